"""How good a forecast method was on the last windows: errors against the naive and drift baselines.

Every window is an origin t with the price known `horizon` bars later. The
baselines use only data up to t: naive ("tomorrow = today") repeats the
price at t; drift extends the average log change from the first bar to t.
MASE here is the model's mean absolute error divided by the naive
forecast's on the same windows: below 1 the model beat "tomorrow = today".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NOISE_BAND = 0.05  # a MASE within 5% of 1 over a few dozen overlapping windows is not a measured edge


@dataclass(frozen=True)
class Evaluation:
    windows: int
    horizon: int
    unit: str  # "trading day" | "week"
    mae: float
    mae_naive: float
    mae_drift: float
    mase: float
    mase_drift: float
    hit_rate: float | None  # share of windows where the forecast's direction was right (None: it never moved)
    hit_rate_drift: float | None
    up_share: float  # share of windows where the price rose (what always saying "up" would have scored)
    coverage80: float
    coverage95: float
    skill: bool  # beat naive by more than the noise band

    @property
    def verdict(self) -> str:
        unit = self.unit + ("s" if self.horizon > 1 else "")
        over = f"MASE {self.mase:.2f} over {self.windows} windows of {self.horizon} {unit}"
        if self.mase >= 1:
            return f"no skill: did not beat 'tomorrow = today' ({over})"
        edge = (1 - self.mase) * 100
        if not self.skill:
            return f"no skill: only {edge:.0f}% less error than 'tomorrow = today', within noise ({over})"
        text = f"measured edge: {edge:.0f}% less error than 'tomorrow = today' ({over})"
        if self.mase_drift < self.mase:
            text += f", but the plain drift line did better (MASE {self.mase_drift:.2f})"
        return text

    @property
    def coverage_text(self) -> str:
        n = self.windows
        return (f"the 80% band held the actual price in {round(self.coverage80 * n)} of {n} windows "
                f"({self.coverage80:.0%}), the 95% band in {round(self.coverage95 * n)} ({self.coverage95:.0%})")


def baselines(log_prices: np.ndarray, origin: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Naive and drift forecasts (price scale) for steps 1..horizon from `origin`, using data up to it only."""
    last = log_prices[origin]
    slope = (last - log_prices[0]) / origin if origin > 0 else 0.0
    steps = np.arange(1, horizon + 1)
    return np.full(horizon, np.exp(last)), np.exp(last + slope * steps)


def _hit_rate(moves: np.ndarray, actual_moves: np.ndarray) -> float | None:
    moved = moves != 0
    if not moved.any():
        return None
    return float(np.mean(np.sign(moves[moved]) == np.sign(actual_moves[moved])))


def evaluate(prices: np.ndarray, origins: list[int], horizon: int, paths: list, unit: str) -> Evaluation:
    """Score the model's `paths` (one per origin, from forecast.model) and the baselines at step `horizon`."""
    log_prices = np.log(prices)
    start = np.array([prices[t] for t in origins])
    actual = np.array([prices[t + horizon] for t in origins])
    model = np.array([p.point[-1] for p in paths])
    naive, drift = zip(*(baselines(log_prices, t, horizon) for t in origins))
    naive, drift = np.array([n[-1] for n in naive]), np.array([d[-1] for d in drift])
    mae, mae_naive, mae_drift = (float(np.mean(np.abs(f - actual))) for f in (model, naive, drift))
    scale = mae_naive if mae_naive > 0 else float("nan")
    mase = mae / scale
    lower80, upper80 = np.array([p.lower80[-1] for p in paths]), np.array([p.upper80[-1] for p in paths])
    lower95, upper95 = np.array([p.lower95[-1] for p in paths]), np.array([p.upper95[-1] for p in paths])
    return Evaluation(
        windows=len(origins), horizon=horizon, unit=unit, mae=mae, mae_naive=mae_naive, mae_drift=mae_drift,
        mase=mase, mase_drift=mae_drift / scale,
        hit_rate=_hit_rate(np.round(model - start, 10), actual - start),
        hit_rate_drift=_hit_rate(np.round(drift - start, 10), actual - start),
        up_share=float(np.mean(actual > start)),
        coverage80=float(np.mean((actual >= lower80) & (actual <= upper80))),
        coverage95=float(np.mean((actual >= lower95) & (actual <= upper95))),
        skill=bool(mase < 1 - NOISE_BAND),
    )
