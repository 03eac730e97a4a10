"""Market data: one shared, cached yfinance client, indicators, chart builders.

Functions marked "self-contained" import what they need inside their body and
call no other function of ours, so smolagents tools can carry them into the
code they save for the Hub (see `market.hub.carries`).
"""
