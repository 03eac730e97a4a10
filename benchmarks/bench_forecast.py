"""Forecast speed and weight: first forecast in a fresh process, warm forecasts, cache hits, install size.

Run: python benchmarks/bench_forecast.py   (prints a table). Targets: first forecast after start
<= 2 s including the library's import, warm forecast with its 40-window evaluation <= 300 ms.
Data: the recorded TSLA daily chart (tests/fixtures/prices), its last 750 closes; the first
forecast runs in a fresh `python` process that has loaded the closes but not statsmodels.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import time  # noqa: E402

from forecast.service import forecast_closes, forecast_price  # noqa: E402
from standins.prices import tsla_daily  # noqa: E402

FRESH = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
from standins.prices import tsla_daily
closes = tsla_daily()["Close"]
start, start_cpu = time.perf_counter(), time.process_time()
import statsmodels.tsa.exponential_smoothing.ets
imported, imported_cpu = time.perf_counter(), time.process_time()
from forecast.service import forecast_closes
forecast_closes(closes, "TSLA", int(sys.argv[2]))
done, done_cpu = time.perf_counter(), time.process_time()
print(json.dumps({"import_s": imported - start, "first_s": done - start,
                  "import_cpu_s": imported_cpu - start_cpu, "first_cpu_s": done_cpu - start_cpu}))
"""
DEPENDENCIES = ("statsmodels", "patsy", "formulaic", "interface_meta")  # what requirements.txt's statsmodels pin adds


def installed_mb(names) -> float:
    total = 0
    for name in names:
        dist = importlib.metadata.distribution(name)
        total += sum(os.path.getsize(dist.locate_file(f)) for f in dist.files or [] if dist.locate_file(f).exists())
    return total / 1e6


def timed(fn, repeat: int = 5) -> tuple[float, float]:
    """Median (wall, CPU) time in milliseconds: CPU time is what a loaded shared machine distorts least."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


class RecordedMarket:
    """A market source answering history() from the recording, to time the cached path."""

    def __init__(self, frame):
        self.frame = frame

    def history(self, symbol, period="5y", interval="1d"):
        return self.frame.copy()


def main() -> None:
    frame = tsla_daily()
    closes = frame["Close"]
    rows = []
    for horizon in (1, 10):
        runs = [json.loads(subprocess.run([sys.executable, "-c", FRESH, str(ROOT), str(horizon)], capture_output=True,
                                          text=True, check=True).stdout.strip().splitlines()[-1]) for _ in range(3)]
        for key, name, target in (("import", "import statsmodels ETS", "-"),
                                  ("first", "first forecast incl. import", "<= 2000")):
            rows.append((f"fresh process: {name} (h={horizon})",
                         (statistics.median(r[f"{key}_s"] for r in runs) * 1000,
                          statistics.median(r[f"{key}_cpu_s"] for r in runs) * 1000), target))
    forecast_closes(closes, "TSLA", 5)
    for horizon in (1, 10, 60):
        shift = iter(range(1, 100))
        rows.append((f"warm forecast + 40-window evaluation, 750 daily bars (h={horizon})",
                     timed(lambda shift=shift, horizon=horizon:
                           forecast_closes(closes.iloc[: -next(shift)], "TSLA", horizon)), "<= 300"))
    weekly = forecast_price(RecordedMarket(frame), "TSLA", 8, "weekly")
    shift = iter(range(1, 100))
    rows.append(("warm weekly forecast + evaluation, 260 weeks (h=8)",
                 timed(lambda: forecast_closes(weekly.history.iloc[: -next(shift)], "TSLA", 8, "weekly")), "-"))
    market = RecordedMarket(frame)
    forecast_price(market, "TSLA", 10)
    rows.append(("cached forecast (same symbol, horizon, interval, last bar)",
                 timed(lambda: forecast_price(market, "TSLA", 10)), "-"))
    print(f"Load average while measuring (2 cores, shared): {os.getloadavg()[0]:.1f}\n")
    print("| measure | wall ms | CPU ms | target |\n|---|---:|---:|---:|")
    for name, (wall, cpu), target in rows:
        print(f"| {name} | {wall:,.1f} | {cpu:,.1f} | {target} |")
    print(f"\nInstall size added by statsmodels=={importlib.metadata.version('statsmodels')} and its new "
          f"dependencies ({', '.join(DEPENDENCIES)}): {installed_mb(DEPENDENCIES):.1f} MB")


if __name__ == "__main__":
    main()
