"""The technical-indicators tool: SMA/EMA, RSI, MACD, Bollinger, ATR, average volume, each with a plain reading."""

from __future__ import annotations

from market.client import origin
from market.formatting import indicators_text, naive_index
from market.indicators import indicator_frames, indicator_readings, latest_values
from tools.market_base import SYMBOL, MarketTool, plain, schema


class TechnicalIndicatorsTool(MarketTool):
    name = "technical_indicators"
    description = ("Latest indicators of one ticker's daily bars with plain readings. `values`: SMA_50, RSI_14, "
                   "MACD, BB_upper, ATR_14... -> last value (None: too little history).")
    inputs = {
        "symbol": SYMBOL,
        "indicators": {"type": "string", "description": "e.g. 'sma50,ema20,rsi,macd,bollinger,atr,volume' "
                                                        "(default: all, sma20/50/200).", "nullable": True},
        "period": {"type": "string", "description": "6mo 1y (default) 2y 5y.", "nullable": True},
    }
    output_type = "object"
    output_schema = schema(symbol="string", close="number", values="object", readings="array")

    def forward(self, symbol: str, indicators: str | None = None, period: str | None = None) -> dict:
        symbol, frame, enriched = indicator_frames(self.market, symbol, indicators, period)
        readings = indicator_readings(enriched)
        return plain({"symbol": symbol, "close": float(frame["Close"].iloc[-1]), "values": latest_values(enriched),
                      "readings": readings, "as_of": naive_index(frame)[-1], "source": origin(frame),
                      "summary": indicators_text(symbol, frame, readings)})
