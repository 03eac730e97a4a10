"""The forecasting model: statsmodels' ETS on log prices, and its rolling-origin replay.

Two additive-error, non-seasonal ETS forms compete by AIC: ETS(A,N,N)
(simple exponential smoothing; with a smoothing weight near 1 it is the
random walk) and ETS(A,Ad,N) (damped additive trend). Prices are modelled on
the log scale, so intervals are exponentiated back and stay positive.

Rolling origin without look-ahead: the form, its parameters and the error
variance are estimated once on the data up to the first evaluated origin; the
model is then run with those fixed parameters over the whole series, and each
origin's forecast starts from the level (and trend) filtered with data up to
that origin only. With fixed parameters every origin's h-step error variance
is the same, so it is taken from the fitted model's own forecast.
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


def _path(log_mean: np.ndarray, variance: np.ndarray) -> Path:
    """Exact ETS intervals (what statsmodels' `pred_int` computes: mean ± z·sd) on the price scale."""
    sd = np.sqrt(variance)
    bands = {}
    for level, z in Z.items():
        bands[f"lower{level}"], bands[f"upper{level}"] = np.exp(log_mean - z * sd), np.exp(log_mean + z * sd)
    return Path(point=np.exp(log_mean), **bands)


def _forecast(results, nobs: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean, variance) of the log forecast for steps 1..horizon past the end of `results`' data."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prediction = results.get_prediction(start=nobs, end=nobs + horizon - 1)
    return np.asarray(prediction.predicted_mean, dtype=float), np.asarray(prediction.forecast_variance, dtype=float)


def forecast_path(log_prices: np.ndarray, horizon: int, form: str, start_params=None) -> Path:
    """Refit `form` on all of `log_prices` (from `start_params`) and forecast `horizon` steps past its end."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = _ets(log_prices, form).fit(disp=False, start_params=start_params)
    return _path(*_forecast(results, len(log_prices), horizon))


def rolling_origin(log_prices: np.ndarray, horizon: int, origins: list[int]):
    """(form, fitted params, one Path per origin): each origin's `horizon`-step forecast, with the form chosen,
    its parameters and its error variance estimated on data up to the first origin only."""
    nobs = origins[0] + 1
    form, results = fit_best(log_prices[:nobs])
    _, variance = _forecast(results, nobs, horizon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        replay = _ets(log_prices, form).smooth(results.params)
    at = np.asarray(origins)
    means = np.repeat(np.asarray(replay.level, dtype=float)[at][:, None], horizon, axis=1)
    if replay.has_trend:  # damped trend: level + (phi + ... + phi^h) * slope
        reach = np.cumsum(results.damping_trend ** np.arange(1, horizon + 1))
        means = means + np.asarray(replay.slope, dtype=float)[at][:, None] * reach[None, :]
    return form, results.params, [_path(mean, variance) for mean in means]


def warm_up() -> None:
    """Import statsmodels' ETS and fit once, so the first forecast a person asks for does not pay for it."""
    fit_best(np.log(100.0 + np.arange(80, dtype=float) % 7))
