"""`forecast_price`: the trader's price forecast, always with its measured verdict and a fan chart.

Returns structured data (numbers, `as_of`, `source`, `summary`) described by
`output_schema`; the summary leads with the verdict. The fan chart goes to the
person through `on_figure` (set by the team builder), like the chart tools.
"""

from __future__ import annotations

from smolagents import Tool

from core.errors import user_message
from forecast import forecast_price
from forecast.chart import fan_figure

_NUMBER = {"type": "number"}


class ForecastPriceTool(Tool):
    name = "forecast_price"
    description = (
        "Statistical price forecast for one ticker, 1 to 60 bars ahead (daily or weekly), with 80% and 95% "
        "intervals, evaluated first on the last 40 windows against 'tomorrow = today' (naive) and drift. Returns "
        "a dict whose 'summary' starts with the verdict (e.g. 'no skill: ...'); never present the forecast "
        "without that verdict. A fan chart is shown to the person.")
    inputs = {
        "symbol": {"type": "string", "description": "Ticker symbol, e.g. AAPL."},
        "horizon": {"type": "integer", "description": "Bars ahead, 1-60. Default 5.", "nullable": True},
        "interval": {"type": "string", "description": "daily (default) or weekly.", "nullable": True},
    }
    output_type = "object"
    output_schema = {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "Verdict first, then the forecast and its evaluation."},
            "verdict": {"type": "string"}, "skill": {"type": "boolean"},
            "symbol": {"type": "string"}, "interval": {"type": "string"}, "horizon": {"type": "integer"},
            "as_of": {"type": "string", "description": "Date of the last bar used."},
            "source": {"type": "string"}, "method": {"type": "string"}, "last_close": _NUMBER,
            "forecast": {"type": "array", "items": {"type": "object", "properties": {
                "date": {"type": "string"}, "point": _NUMBER, "lower80": _NUMBER, "upper80": _NUMBER,
                "lower95": _NUMBER, "upper95": _NUMBER}}},
            "evaluation": {"type": "object", "properties": {
                "windows": {"type": "integer"}, "mae": _NUMBER, "mae_naive": _NUMBER, "mae_drift": _NUMBER,
                "mase": _NUMBER, "mase_drift": _NUMBER, "hit_rate": _NUMBER, "up_share": _NUMBER,
                "coverage80": _NUMBER, "coverage95": _NUMBER}},
            "error": {"type": "string", "description": "Set instead of the figures when no forecast could be made."},
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
        except Exception as exc:  # a bad request or a data failure is an answer for the model, not a crash
            message = user_message(exc)
            return {"error": message, "summary": f"Error: {message}"}
        sink = self.on_figure
        if sink is not None:
            sink(fan_figure(result), f"{result.symbol} {result.horizon}-bar {result.interval} forecast")
        return result.as_dict()


def forecast_tools(market, on_figure=None) -> list[Tool]:
    return [ForecastPriceTool(data_client=market, on_figure=on_figure)]
