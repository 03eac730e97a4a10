"""Evals: how well a given model drives the team, on tasks with known answers.

`python -m evals [--model …] [--tasks …] [--repeat N]` runs the real team (real prompts, tools, sealed
executor, paper broker) through `ChatService` on the tasks of a YAML file, with market data served from
the recorded Yahoo replay and web pages from the local DuckDuckGo/web stand-ins. Expected figures are
computed by our own domain code (market/, backtest/) from the same recorded data when the run starts.
This is a developer tool run from a checkout: it uses the replay servers of standins/, fed by tests/fixtures.
"""
