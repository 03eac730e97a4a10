"""The technical-indicators tool: SMA/EMA, RSI, MACD, Bollinger, ATR, average volume, each with a plain reading.

Self-contained like the other market tools (see tools/market.py); the math is
market.indicators', carried into the saved tool.
"""

from __future__ import annotations

from smolagents import Tool

from market.hub import carries
from market.indicators import compute_indicators, indicator_readings
from tools.market import DATA_HELPERS


@carries(*DATA_HELPERS, compute_indicators, indicator_readings)
class TechnicalIndicatorsTool(Tool):
    name = "technical_indicators"
    description = ("Technical indicators for one ticker from its daily history, with a plain reading of each "
                   "(e.g. 'RSI(14) 72.1: overbought'). Indicators: smaN, emaN (e.g. sma50, ema20), rsi, macd, "
                   "bollinger, atr, volume. Rules of thumb, not advice.")
    inputs = {
        "symbol": {"type": "string", "description": "Ticker symbol, e.g. AAPL."},
        "indicators": {"type": "string", "description": "Comma-separated, default 'sma20,sma50,sma200,rsi,macd,bollinger,atr,volume'.", "nullable": True},
        "period": {"type": "string", "description": "History to compute on: 6mo 1y 2y 5y. Default 1y (SMA200 needs 1y+).", "nullable": True},
    }
    output_type = "string"

    def __init__(self, data_client=None):
        super().__init__()
        self.data_client = data_client

    def forward(self, symbol: str, indicators: str | None = None, period: str | None = None) -> str:
        helpers = type(self)
        symbol = symbol.strip().upper()
        names = [n.strip() for n in (indicators or "sma20,sma50,sma200,rsi,macd,bollinger,atr,volume").split(",") if n.strip()]
        try:
            frame = helpers.load_market(helpers, self.data_client, "history", symbol,
                                        {"period": period or "1y", "interval": "1d"})
            enriched = helpers.compute_indicators(frame, names[:12])
        except Exception as exc:
            return f"Error: {getattr(exc, 'user_message', None) or exc}"
        index = frame.index.tz_localize(None) if getattr(frame.index, "tz", None) is not None else frame.index
        close = float(frame["Close"].iloc[-1])
        lines = [f"{symbol} technical indicators on {len(frame)} daily bars to {index[-1].strftime('%Y-%m-%d')} "
                 f"(last close {close:,.2f}; source Yahoo Finance, adjusted prices):"]
        lines += [f"- {line}" for line in helpers.indicator_readings(enriched)]
        return helpers.cap_text("\n".join(lines))
