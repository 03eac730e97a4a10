"""Moved to standins/stooq.py (product code may use it; tests may not be imported by it). Kept as an alias."""

import sys

import standins.stooq

sys.modules[__name__] = standins.stooq
