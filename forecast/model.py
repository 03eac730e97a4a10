"""The forecasting model: statsmodels' ETS on log prices, and its rolling-origin replay.

Two additive-error, non-seasonal ETS forms compete by AIC: ETS(A,N,N)
(simple exponential smoothing; with a smoothing weight near 1 it is the
random walk) and ETS(A,Ad,N) (damped additive trend). Prices are modelled on
the log scale, so intervals are exponentiated back and stay positive.

Rolling origin without look-ahead: the parameters are estimated once on the
data up to the first evaluated origin; the model is then run with those
fixed parameters over the whole series, and each origin's forecast starts
from the states filtered with data up to that origin only
(`get_prediction(dynamic=0)` anchors the dynamic forecast there).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

FORMS = {"ETS(A,N,N)": {}, "ETS(A,Ad,N)": {"trend": "add", "damped_trend": True}}
Z = {"80": 1.2815515655446004, "95": 1.959963984540054}  # two-sided normal quantiles (scipy.stats.norm.ppf)


@dataclass(frozen=True)
class Path:
    """Forecasts for steps 1..h on the price scale."""

    point: np.ndarray
    lower80: np.ndarray
    upper80: np.ndarray
    lower95: np.ndarray
    upper95: np.ndarray


def _ets(log_prices: np.ndarray, form: str):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    return ETSModel(pd.Series(log_prices), error="add", **FORMS[form])


def fit_best(log_prices: np.ndarray):
    """(form name, fitted results) of the ETS form with the lowest AIC.

    The damped-trend fit starts from the simple fit's level and weight (trend 0,
    damping 0.95): the optimizer then needs about half the evaluations.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter from the optimizer; AIC decides
        simple = _ets(log_prices, "ETS(A,N,N)").fit(disp=False)
        alpha, level = simple.params
        start = np.array([alpha, min(0.001, alpha / 2), 0.95, level, 0.0])
        damped = _ets(log_prices, "ETS(A,Ad,N)").fit(disp=False, start_params=start)
    return ("ETS(A,N,N)", simple) if simple.aic <= damped.aic else ("ETS(A,Ad,N)", damped)


def _path(prediction) -> Path:
    """Exact ETS intervals (what `pred_int` computes: mean ± z·sd), for both levels at once, on the price scale."""
    mean = np.asarray(prediction.predicted_mean, dtype=float)
    sd = np.sqrt(np.asarray(prediction.forecast_variance, dtype=float))
    bands = {}
    for level, z in Z.items():
        bands[f"lower{level}"], bands[f"upper{level}"] = np.exp(mean - z * sd), np.exp(mean + z * sd)
    return Path(point=np.exp(mean), **bands)


def forecast_path(log_prices: np.ndarray, horizon: int, form: str, start_params=None) -> Path:
    """Refit `form` on all of `log_prices` (from `start_params`) and forecast `horizon` steps past its end."""
    n = len(log_prices)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = _ets(log_prices, form).fit(disp=False, start_params=start_params)
        return _path(results.get_prediction(start=n, end=n + horizon - 1))


def rolling_origin(log_prices: np.ndarray, horizon: int, origins: list[int]):
    """(form, fitted params, one Path per origin): each origin's `horizon`-step forecast, with the form chosen and
    its parameters fitted on data up to the first origin only."""
    form, results = fit_best(log_prices[: origins[0] + 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        replay = _ets(log_prices, form).smooth(results.params)
        paths = [_path(replay.get_prediction(start=t + 1, end=t + horizon, dynamic=0)) for t in origins]
    return form, results.params, paths
