"""The agents' system prompts stay lean: the real team is built and each prompt's size printed (pytest -s shows it).

The trader's prompt lists every tool with its description, inputs and output schema; it must stay at or
under TRADER_PROMPT_LIMIT characters so that each model call stays cheap and the tool list readable.
"""

from __future__ import annotations

import pytest

from agents.team import build_team
from chat.service import trader_kit
from chat.session import Session
from standins.scripted_model import ScriptedModel
from tests.harness import local_stack

TRADER_PROMPT_LIMIT = 13_000


@pytest.fixture
def team(tmp_path):
    with local_stack(tmp_path) as stack:
        yield build_team(trader_kit(stack.runtime, Session(id="prompt-size")), ScriptedModel([]))


def test_system_prompt_sizes_are_printed_and_the_trader_stays_lean(team):
    sizes = {agent.name: len(agent.initialize_system_prompt()) for agent in team.agents()}
    trader = team.members["trader"]
    print("\nsystem prompt characters: " + ", ".join(f"{name} {size}" for name, size in sizes.items())
          + f" ({len(trader.tools) - 1} trader tools)")
    assert sizes["trader"] <= TRADER_PROMPT_LIMIT
    prompt = trader.initialize_system_prompt()
    # Leaner, not poorer: every tool is still listed, the spec grammar is one call away, the example is ours.
    assert all(f"def {name}(" in prompt for name in trader.tools)
    assert "backtest_help()" in prompt and "crosses_above" in trader.tools["backtest_help"]()
    assert "wikipedia_search" not in prompt and "technical_indicators(symbol=" in prompt
