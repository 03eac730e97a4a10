"""Price forecasts with error bars, always evaluated before they are shown (issue 17).

`forecast_price(market, symbol, horizon, interval)` returns a `Forecast`: a
point forecast with 80% and 95% intervals from statsmodels' ETS, its
rolling-origin evaluation against the naive and drift baselines, and a
plain-words verdict. `fan_figure(forecast)` draws it.
"""

from forecast.errors import ForecastError
from forecast.model import warm_up
from forecast.service import Forecast, forecast_closes, forecast_price

__all__ = ["Forecast", "ForecastError", "forecast_closes", "forecast_price", "warm_up"]
