"""Limits for visitors of a public app: turns per minute, one running turn, model tokens per day and per turn.

`Quota.admit()` lets a message in or raises `LimitError` with a message for the
person; a chat turn holds a `TurnPass` whose meter is fed the models' real token
usage, step by step, and says when the turn must stop. Daily counts live in
SQLite (`UsageStore`), so a restart does not reset a day's budget. The clock is
injected; everything is thread-safe.
"""

from quota.limits import LimitError, Limits, Quota, TurnPass, quota_from_settings, visitor_key
from quota.store import UsageStore

__all__ = ["LimitError", "Limits", "Quota", "TurnPass", "UsageStore", "quota_from_settings", "visitor_key"]
