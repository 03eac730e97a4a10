"""The forecast's user-facing error."""

from __future__ import annotations

from core.errors import UserError


class ForecastError(UserError, ValueError):
    """A forecast cannot be made as asked (bad horizon or interval, too little history)."""
