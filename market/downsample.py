"""Thinning long price histories so a chart stays light (10y daily, a month of 1m bars)."""

from __future__ import annotations

MAX_CHART_BARS = 600


def downsample_ohlcv(frame, max_bars: int = 600):
    """`frame` with consecutive bars merged so at most `max_bars` remain.

    Each group of k bars becomes one bar: first Open, max High, min Low,
    last Close, summed Volume; other columns (indicators) keep their last
    value; the index is the group's first timestamp. Shorter frames are
    returned unchanged.
    """
    import math

    import numpy as np

    n = len(frame)
    if n <= max_bars:
        return frame
    size = math.ceil(n / max_bars)
    groups = np.arange(n) // size
    grouped = frame.groupby(groups)
    out = grouped.last()
    for column, how in (("Open", "first"), ("High", "max"), ("Low", "min"), ("Volume", "sum")):
        if column in frame.columns:
            out[column] = getattr(grouped[column], how)()
    out.index = frame.index[::size][: len(out)]
    out.index.name = frame.index.name
    return out
