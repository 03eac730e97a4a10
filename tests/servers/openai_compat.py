"""Moved to standins/openai_compat.py (product code may use it; tests may not be imported by it). Kept as an alias."""

import sys

import standins.openai_compat

sys.modules[__name__] = standins.openai_compat
