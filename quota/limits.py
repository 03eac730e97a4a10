"""Who a visitor is, what they may still do, and the meter of one running turn."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.db import store_target
from core.errors import UserError
from core.settings import Settings
from quota.store import UsageStore

WINDOW_S = 60.0
ANONYMOUS_POOL = "anonymous:all"  # the usage row every anonymous visitor's tokens are also counted in


def is_anonymous(visitor: str) -> bool:
    return not visitor.startswith("user:")


class LimitError(UserError):
    """A visitor's limit is reached; the message says which and when it frees up (`retry_after_s`, when known)."""

    def __init__(self, user_message: str, retry_after_s: float | None = None):
        super().__init__(user_message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Limits:
    turns_per_minute: int = 6  # messages (model turns, MCP tool calls) per visitor per minute; 0 = unlimited
    commands_per_minute: int = 60  # slash commands per visitor per minute (their own count); 0 = unlimited
    tokens_per_day: int = 200_000  # model tokens per visitor and UTC day; 0 = unlimited
    tokens_per_turn: int = 100_000  # model tokens one turn may use before it is stopped; 0 = unlimited
    anonymous_tokens_per_day: int = 2_000_000  # all anonymous visitors together, per UTC day; 0 = unlimited
    unlimited_users: frozenset[str] = frozenset()  # signed-in names exempt from every limit


def visitor_key(user: str | None, workspace: str | None, client: str | None = None) -> str:
    """A signed-in person by name, else the browser's workspace, else the client's address."""
    if user:
        return f"user:{user}"
    if workspace:
        return f"workspace:{workspace}"
    return f"client:{client or 'unknown'}"


def _wait_words(seconds: float) -> str:
    seconds = max(1, int(seconds + 0.999))
    if seconds < 120:
        return f"{seconds} s"
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


class TurnPass:
    """One admitted turn: `meter(tokens)` counts usage and returns why the turn must stop (or None); `close()`."""

    def __init__(self, quota: Quota, visitor: str, *, charged: bool, exempt: bool):
        self.quota = quota
        self.visitor = visitor
        self.charged = charged
        self.exempt = exempt
        self.tokens = 0
        self._closed = False

    def meter(self, tokens: int) -> str | None:
        if tokens <= 0:
            return None
        self.tokens += tokens
        limits = self.quota.limits
        used = self.quota.charge(self.visitor, tokens) if self.charged else None
        pooled = self.quota.charge(ANONYMOUS_POOL, tokens) if self.charged and is_anonymous(self.visitor) else None
        if self.exempt:
            return None
        if limits.tokens_per_turn and self.tokens > limits.tokens_per_turn:
            return (f"⛔ This turn used {self.tokens:,} model tokens, more than the limit of "
                    f"{limits.tokens_per_turn:,} per turn, and was stopped. Your conversation is kept: "
                    "ask a narrower question, or split it into steps.")
        if used is not None and limits.tokens_per_day and used >= limits.tokens_per_day:
            return self.quota.budget_message(stopped=True)
        if pooled is not None and limits.anonymous_tokens_per_day and pooled >= limits.anonymous_tokens_per_day:
            return self.quota.pool_message(stopped=True)
        return None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.quota.release(self.visitor)


class Quota:
    """Every visitor's limits; `clock` returns epoch seconds (injected in tests)."""

    def __init__(self, limits: Limits, store: UsageStore, clock: Callable[[], float] = time.time,
                 sign_in_hint: str = ""):
        self.limits = limits
        self.store = store
        self.clock = clock
        self.sign_in_hint = sign_in_hint  # added to a budget message when visitors may bring their own inference
        self._running: set[str] = set()
        self._lock = threading.Lock()

    # -- days ------------------------------------------------------------------------------
    def day(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).date().isoformat()

    def seconds_to_midnight(self) -> float:
        now = datetime.fromtimestamp(self.clock(), UTC)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        return (midnight - now).total_seconds()

    def used_today(self, visitor: str) -> int:
        return self.store.used(visitor, self.day())

    def charge(self, visitor: str, tokens: int) -> int:
        return self.store.add(visitor, self.day(), tokens)

    def exempt(self, user: str | None) -> bool:
        return bool(user) and user in self.limits.unlimited_users

    def budget_message(self, stopped: bool = False) -> str:
        head = ("⛔ Today's budget of model tokens is used up, so this turn was stopped"
                if stopped else "⛔ You have used today's budget of model tokens")
        return f"{head} ({self.limits.tokens_per_day:,} per day). {self._resets()}"

    def pool_message(self, stopped: bool = False) -> str:
        head = ("⛔ Today's shared budget of model tokens for anonymous visitors is used up, so this turn was stopped"
                if stopped else "⛔ Today's shared budget of model tokens for anonymous visitors is used up")
        return f"{head} ({self.limits.anonymous_tokens_per_day:,} per day on this Space). {self._resets()}"

    def _resets(self) -> str:
        return (f"It resets at midnight UTC, in {_wait_words(self.seconds_to_midnight())}. Slash commands (`/help`) "
                "still work." + (f" {self.sign_in_hint}" if self.sign_in_hint else ""))

    # -- admission -----------------------------------------------------------------------------
    def _refuse_over_rate(self, visitor: str, count: bool = False, limit: int | None = None,
                          what: str = "messages") -> None:
        """Raise `LimitError` when the visitor already sent `limit` (default `turns_per_minute`) `what` in the last
        minute; else, when `count`, count this one. The window is rows in the database, so every replica counts in
        it; slash commands have a window of their own."""
        limit = self.limits.turns_per_minute if limit is None else limit
        if not limit:
            return
        now = self.clock()
        recent = self.store.window(visitor if what == "messages" else f"{visitor}|{what}", now, WINDOW_S, limit,
                                   count=count)
        if len(recent) >= limit:
            wait = WINDOW_S - (now - recent[0])
            raise LimitError(f"⏳ You have sent {len(recent)} {what} in the last minute; the limit is {limit} "
                             f"per minute. Try again in {_wait_words(wait)}. Nothing was lost.", wait)

    def _count_message(self, visitor: str) -> None:
        """Refuse when the visitor already sent `turns_per_minute` messages in the last minute; else count this one."""
        self._refuse_over_rate(visitor, count=True)

    def check_rate(self, visitor: str, user: str | None = None) -> None:
        """Raise `LimitError` when a message of the visitor would be refused for the rate now; counts nothing
        (for a request whose message is counted later, when it runs: a run of the HTTP API)."""
        if self.exempt(user):
            return
        with self._lock:
            self._refuse_over_rate(visitor)

    def admit_command(self, visitor: str, user: str | None = None) -> None:
        """A slash command or an MCP tool call: free of tokens, but rate-limited."""
        if self.exempt(user):
            return
        with self._lock:
            self._count_message(visitor)

    def admit_slash_command(self, visitor: str, user: str | None = None) -> None:
        """A slash command typed in the chat: no model tokens, so its own, generous rate (`commands_per_minute`)."""
        if self.exempt(user):
            return
        with self._lock:
            self._refuse_over_rate(visitor, count=True, limit=self.limits.commands_per_minute, what="slash commands")

    def admit_turn(self, visitor: str, user: str | None = None, *, charged: bool = True) -> TurnPass:
        """A model turn: rate, one running turn per visitor, and (when `charged`) the daily budget."""
        exempt = self.exempt(user)
        with self._lock:
            if not exempt:
                if visitor in self._running:
                    raise LimitError("The team is still working on your previous message (maybe in another tab). "
                                     "Press Stop there first, or wait for the answer.")
                if charged and self.limits.tokens_per_day and \
                        self.store.used(visitor, self.day()) >= self.limits.tokens_per_day:
                    raise LimitError(self.budget_message())
                if charged and is_anonymous(visitor) and self.limits.anonymous_tokens_per_day and \
                        self.store.used(ANONYMOUS_POOL, self.day()) >= self.limits.anonymous_tokens_per_day:
                    raise LimitError(self.pool_message())
                self._count_message(visitor)
            self._running.add(visitor)
        return TurnPass(self, visitor, charged=charged, exempt=exempt)

    def release(self, visitor: str) -> None:
        with self._lock:
            self._running.discard(visitor)

    def usage_label(self, visitor: str, own_inference: bool = False) -> str:
        """'1,234 / 200,000 tokens today' for the status line."""
        if own_inference:
            return "your own inference"
        budget = f"{self.limits.tokens_per_day:,}" if self.limits.tokens_per_day else "unlimited"
        return f"{self.used_today(visitor):,} / {budget} tokens today"


SIGN_IN = ("🔑 Sign in with Hugging Face (the button at the top) to use your own inference: "
           "your turns then run on your own Hugging Face account.")  # the hint of a visitor's limit messages


def quota_from_settings(settings: Settings, clock: Callable[[], float] = time.time, sign_in_hint: str = "") -> Quota:
    """The app's quota: limits from settings, daily usage in `<DATA_DIR>/usage.sqlite3` (or the DATABASE_URL's
    database, which also holds the rate window every replica counts in)."""
    limits = Limits(turns_per_minute=settings.rate_limit_turns_per_minute,
                    commands_per_minute=settings.slash_commands_per_minute,
                    tokens_per_day=settings.token_budget_per_day, tokens_per_turn=settings.token_budget_per_turn,
                    unlimited_users=frozenset(settings.unlimited_users),
                    anonymous_tokens_per_day=settings.token_budget_anonymous_per_day)
    store = UsageStore(store_target(settings, Path(settings.data_dir) / "usage.sqlite3"))
    return Quota(limits, store, clock, sign_in_hint)
