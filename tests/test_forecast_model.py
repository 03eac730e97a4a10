"""Forecast method and its evaluation on synthetic series whose truth is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast import ForecastError, forecast_closes
from forecast.evaluation import evaluate
from forecast.model import Path


def _series(log_steps: np.ndarray, start: float = 100.0) -> pd.Series:
    return pd.Series(start * np.exp(np.cumsum(log_steps)), index=pd.bdate_range("2021-01-04", periods=len(log_steps)))


def test_coverage_is_counted_exactly_on_hand_made_windows():
    prices = np.array([10.0, 11.0, 12.0, 13.0, 14.0, 15.0])
    # origins 0..3, horizon 2: actual prices 12, 13, 14, 15
    bands = [(11.5, 12.5, 11, 13), (13.5, 14.5, 13, 15), (13.9, 14.1, 12, 16), (10, 11, 9, 12)]
    paths = [Path(point=np.array([0, (lo + hi) / 2]), lower80=np.array([0, lo]), upper80=np.array([0, hi]),
                  lower95=np.array([0, lo95]), upper95=np.array([0, hi95])) for lo, hi, lo95, hi95 in bands]
    e = evaluate(prices, [0, 1, 2, 3], 2, paths, "trading day")
    assert e.coverage80 == 0.5 and e.coverage95 == 0.75  # 12 in, 13 out, 14 in, 15 out / 95%: in, in, in, out
    assert e.mae_naive == pytest.approx(2.0)  # naive repeats the origin price: off by 2 each time
    assert e.mae == pytest.approx(np.mean([0, 1, 0, 4.5]))


def test_intervals_cover_about_80_and_95_percent_of_a_series_with_known_noise():
    rng = np.random.default_rng(7)
    closes = _series(rng.normal(0.0, 0.015, 700))
    e = forecast_closes(closes, "SYN", horizon=1, windows=400).evaluation
    assert e.windows == 400
    # binomial sampling error over 400 windows: sd 2.0 points at 80%, 1.1 at 95%; allow 3 sd
    assert 0.74 <= e.coverage80 <= 0.86, e.coverage80
    assert 0.917 <= e.coverage95 <= 0.983, e.coverage95


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_random_walk_yields_no_skill(seed):
    closes = _series(np.random.default_rng(seed).normal(0.0, 0.02, 600))
    result = forecast_closes(closes, "RW", horizon=5)
    assert result.evaluation.verdict.startswith("no skill"), result.evaluation.verdict
    assert result.summary.splitlines()[0].startswith("RW 5-trading day forecast — no skill")
    assert "over 40 windows" in result.summary


def test_a_strong_trend_with_drift_beats_naive():
    closes = _series(0.01 + np.random.default_rng(4).normal(0.0, 0.003, 600))
    e = forecast_closes(closes, "UP", horizon=5).evaluation
    assert e.skill and e.mase < 0.5 and e.verdict.startswith("measured edge")
    assert e.hit_rate == 1.0


def test_intervals_widen_with_the_horizon_and_95_contains_80():
    result = forecast_closes(_series(np.random.default_rng(5).normal(0.0, 0.02, 400)), "W", horizon=20)
    p = result.path
    width95, width80 = p.upper95 - p.lower95, p.upper80 - p.lower80
    assert (np.diff(width95) > 0).all() and (np.diff(width80) > 0).all()
    assert (p.lower95 < p.lower80).all() and (p.upper80 < p.upper95).all()
    assert len(result.dates) == 20 and result.dates[0] > result.as_of


@pytest.mark.parametrize("horizon, message", [(0, "outside 1 to 60"), (61, "outside 1 to 60"),
                                              ("ten", "not a whole number")])
def test_bad_horizons_are_refused_clearly(horizon, message):
    with pytest.raises(ForecastError, match=message):
        forecast_closes(_series(np.zeros(300)), "X", horizon=horizon)


def test_bad_interval_and_too_short_history_are_refused_clearly():
    with pytest.raises(ForecastError, match="use daily or weekly"):
        forecast_closes(_series(np.zeros(300)), "X", horizon=5, interval="hourly")
    with pytest.raises(ForecastError) as caught:
        forecast_closes(_series(np.full(70, 0.001)), "SHORT", horizon=10)
    assert caught.value.user_message.startswith("SHORT has only 70 daily closes; a 10-trading day forecast needs "
                                                "at least 89 (60 to fit the model and 20 windows to evaluate it)")


def test_fewer_windows_when_history_allows_no_more():
    e = forecast_closes(_series(np.random.default_rng(6).normal(0, 0.01, 100)), "S", horizon=5).evaluation
    assert e.windows == 36


@pytest.mark.parametrize("drift, expected_form", [(0.0, "ETS(A,N,N)"), (0.01, "ETS(A,Ad,N)")])
def test_each_origin_forecast_is_statsmodels_own_forecast_from_that_origin(drift, expected_form):
    from forecast.model import _ets, fit_best, rolling_origin

    rng = np.random.default_rng(11)
    log_prices = np.log(_series(drift + rng.normal(0.0, 0.01, 300)).to_numpy())
    origins = [250, 260, 290]
    form, params, paths = rolling_origin(log_prices, 7, origins)
    assert form == expected_form
    _, fitted = fit_best(log_prices[:251])
    replay = _ets(log_prices, form).smooth(fitted.params)
    for origin, path in zip(origins, paths):
        own = replay.get_prediction(start=origin + 1, end=origin + 7, dynamic=0).predicted_mean
        assert np.allclose(np.log(path.point), np.asarray(own), atol=1e-10)
