"""Moved to standins/scripted_model.py (evals and benchmarks use it too). Kept as an alias."""

import sys

import standins.scripted_model

sys.modules[__name__] = standins.scripted_model
