"""Moved to standins/live_app.py (evals and benchmarks use it too). Kept as an alias."""

import sys

import standins.live_app

sys.modules[__name__] = standins.live_app
