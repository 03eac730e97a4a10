"""Market data: one shared, cached yfinance client, indicators, chart builders and text formatters.

This package imports only from `core` and itself: the Hub copies of the market
tools embed its modules' source (hub/market_tools.py).
"""
