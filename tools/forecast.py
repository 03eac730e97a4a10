"""`forecast_price`: the trader's price forecast, always with its measured verdict and a fan chart.

Returns structured data (numbers, `as_of`, `source`, `summary`) described by
`output_schema`; the summary leads with the verdict. The fan chart goes to the
person through `on_figure` (set by the team builder), like the chart tools.
"""

from __future__ import annotations

from smolagents import Tool

from core.errors import UserError, user_message
from forecast import forecast_price
from forecast.chart import fan_figure
from tools.market_base import CompactTool

_NUMBER = {"type": "number"}


class ForecastPriceTool(CompactTool):
    name = "forecast_price"
    description = (
        "Price forecast 1-60 bars ahead with 80%/95% intervals, backtested on 40 windows against naive and drift "
        "(`verdict`); shows a fan chart.")
    inputs = {
        "symbol": {"type": "string", "description": "Ticker symbol, e.g. AAPL."},
        "horizon": {"type": "integer", "description": "1-60, default 5.", "nullable": True},
        "interval": {"type": "string", "description": "daily (default) or weekly.", "nullable": True},
    }
    output_type = "object"
    output_schema = {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "Verdict first, then the forecast and its evaluation."},
            "verdict": {"type": "string"}, "skill": {"type": "boolean"},
            "as_of": {"type": "string", "description": "Date of the last bar used."},
            "source": {"type": "string"}, "last_close": _NUMBER,
            "forecast": {"type": "array", "items": {"type": "object", "properties": {
                "date": {"type": "string"}, "point": _NUMBER, "lower80": _NUMBER, "upper80": _NUMBER,
                "lower95": _NUMBER, "upper95": _NUMBER}}},
            "evaluation": {"type": "object", "properties": {
                "windows": {"type": "integer"}, "mae": _NUMBER, "mae_naive": _NUMBER, "mae_drift": _NUMBER,
                "mase": _NUMBER, "mase_drift": _NUMBER, "hit_rate": _NUMBER, "up_share": _NUMBER,
                "coverage80": _NUMBER, "coverage95": _NUMBER}},
        },
        "required": ["summary"],
    }

    def __init__(self, data_client=None, on_figure=None):
        super().__init__()
        self.data_client = data_client
        self.on_figure = on_figure

    def forward(self, symbol: str, horizon: int | None = None, interval: str | None = None) -> dict:
        try:
            result = forecast_price(self.data_client, symbol, horizon or 5, interval or "daily")
        except Exception as exc:  # a bad request or a data failure: smolagents shows the model the message
            raise UserError(user_message(exc)) from None
        sink = self.on_figure
        if sink is not None:
            sink(fan_figure(result), f"{result.symbol} {result.horizon}-bar {result.interval} forecast")
        return result.as_dict()


def forecast_tools(market, on_figure=None) -> list[Tool]:
    return [ForecastPriceTool(data_client=market, on_figure=on_figure)]
