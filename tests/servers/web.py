"""Moved to standins/web.py (product code may use it; tests may not be imported by it). Kept as an alias."""

import sys

import standins.web

sys.modules[__name__] = standins.web
