"""Moved to standins/otlp.py (product code may use it; tests may not be imported by it). Kept as an alias."""

import sys

import standins.otlp

sys.modules[__name__] = standins.otlp
