"""`AlertService`: what commands, tools, the panel and the scheduler call. Per-workspace watchlists, alerts,
notifications (with what the person has read) and webhook, with caps; the check over every workspace; webhook
delivery of pending notifications on a small pool of its own (`alerts.delivery`), never on the check's thread.

One instance per process (`runtime.Runtime.alerts`), sharing the market cache with everything else.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alerts.checker import CheckReport, check_alerts
from alerts.delivery import DeliveryQueue
from alerts.evaluate import FailureMemo, IndicatorCache
from alerts.rules import AlertInputError, AlertRule, parse_rule, parse_symbol
from alerts.store import AlertStore, Notification, StoredAlert
from alerts.webhooks import (
    DEFAULT_TIME_LIMIT_S,
    DEFAULT_TRIES,
    Poster,
    check_webhook_url,
    deliver,
    egress_poster,
    payload_for,
    post_url,
)
from core.db import store_target

DATABASE_NAME = "alerts.sqlite3"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Caps:
    watchlist: int = 50
    alerts: int = 100
    briefs: int = 3


@dataclass(frozen=True)
class WatchRow:
    symbol: str
    price: float | None
    change_pct: float | None
    as_of: datetime | None
    closes: tuple[float, ...]  # recent daily closes, for a sparkline
    problem: str = ""


class AlertService:
    def __init__(self, store: AlertStore, market, *, calendar=None, clock: Callable[[], datetime] = utc_now,
                 poster: Poster | None = None, caps: Caps = Caps(), tries: int = DEFAULT_TRIES,
                 backoff_s: float = 1.0, sleep: Callable[[float], None] = time.sleep, max_workers: int = 8,
                 delivery_limit_s: float | None = DEFAULT_TIME_LIMIT_S, delivery_workers: int = 4, metrics=None):
        self.store = store
        self.market = market
        self.calendar = calendar
        self.clock = clock
        self.poster = poster  # where webhooks are sent (alerts.webhooks.egress_poster); None: not sent
        self.caps = caps
        self.tries = tries
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.max_workers = max_workers
        self.delivery_limit_s = delivery_limit_s  # one webhook delivery, every try and backoff included
        self.metrics = metrics  # telemetry.metrics.Metrics (alerts fired), or None
        self.deliveries = DeliveryQueue(self._deliver_workspace, workers=delivery_workers)
        self.indicators = IndicatorCache(ttl_s=getattr(market, "history_ttl_s", 3600.0))
        self.unknown_symbols = FailureMemo()
        self._check_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings, market, **overrides) -> AlertService:
        from egress import Egress
        from market.calendar import exchange_calendar

        options = dict(calendar=exchange_calendar(),
                       poster=egress_poster(Egress.from_settings(settings)),
                       caps=Caps(settings.watchlist_max_symbols, settings.alerts_max_per_workspace,
                                 settings.briefs_max_per_workspace))
        options.update(overrides)
        store = AlertStore(store_target(settings, Path(settings.data_dir) / DATABASE_NAME))
        return cls(store, market, **options)

    def close(self) -> None:
        self.deliveries.close(wait_s=2.0)
        self.store.close()

    # --- watchlist ------------------------------------------------------------------------------
    def watch(self, workspace: str, words: list[str]) -> list[str]:
        added, unknown = self.watch_known(workspace, words)
        if unknown and not added:
            raise AlertInputError(" ".join(unknown.values()))
        return added

    def watch_known(self, workspace: str, words: list[str]) -> tuple[list[str], dict[str, str]]:
        """Add the symbols Yahoo knows; returns (added, {unknown symbol: why}) so one bad ticker loses no other."""
        pieces = [piece for word in words for piece in word.split(",") if piece.strip()]
        symbols = list(dict.fromkeys(parse_symbol(piece) for piece in pieces))
        if not symbols:
            raise AlertInputError("Name at least one ticker to watch, e.g. `/watch AAPL MSFT`.")
        current = self.store.watchlist(workspace)
        new = [s for s in symbols if s not in current]
        if len(current) + len(new) > self.caps.watchlist:
            raise AlertInputError(f"A watchlist holds at most {self.caps.watchlist} symbols; it has "
                                  f"{len(current)}. Remove some with `/unwatch SYMBOL` first.")
        unknown = self._unknown(new)
        known = [s for s in new if s not in unknown]
        return (self.store.watch(workspace, known, self.clock()) if known else []), unknown

    def unwatch(self, workspace: str, word: str) -> bool:
        return self.store.unwatch(workspace, parse_symbol(word))

    def watchlist(self, workspace: str) -> list[str]:
        return self.store.watchlist(workspace)

    def watch_rows(self, workspace: str, points: int = 30) -> list[WatchRow]:
        """Last price, day change and recent closes of each watched symbol, from the shared market cache."""
        rows = []
        for symbol in self.store.watchlist(workspace):
            try:
                quote = self.market.quote(symbol)
                closes = tuple(float(c) for c in self.market.history(symbol, period="3mo")["Close"].tail(points))
                rows.append(WatchRow(symbol, quote.price, quote.change_pct, quote.as_of, closes))
            except Exception as exc:  # one bad symbol must not hide the others
                rows.append(WatchRow(symbol, None, None, None, (), getattr(exc, "user_message", str(exc))))
        return rows

    def _known(self, symbols: list[str]) -> None:
        """Refuse symbols Yahoo does not know (a network failure lets them through: the check reports it)."""
        unknown = self._unknown(symbols)
        if unknown:
            raise AlertInputError(" ".join(unknown.values()))

    def _unknown(self, symbols: list[str]) -> dict[str, str]:
        """The symbols Yahoo does not know, with why (a network failure lets a symbol through)."""
        from market.errors import UnknownSymbol

        unknown = {}
        for symbol in symbols:
            try:
                self.market.quote(symbol)
            except UnknownSymbol as exc:
                unknown[symbol] = exc.user_message
            except Exception:
                pass
        return unknown

    # --- alerts ------------------------------------------------------------------------------
    def _room_for_alert(self, workspace: str) -> None:
        if self.store.count_alerts(workspace) >= self.caps.alerts:
            raise AlertInputError(f"This workspace has the maximum of {self.caps.alerts} alerts; delete one with "
                                  "`/alert delete ID` first.")

    def add_alert(self, workspace: str, words: list[str]) -> StoredAlert:
        rule = parse_rule(words)
        self._room_for_alert(workspace)
        self._known([rule.symbol])
        return self.store.add_alert(workspace, rule, status="active", source="person", note="", now=self.clock())

    def propose_alert(self, workspace: str, rule: AlertRule, note: str = "") -> StoredAlert:
        """A pending alert the person must confirm (`confirm_alert`); it is never checked before that."""
        self._room_for_alert(workspace)
        self._known([rule.symbol])
        return self.store.add_alert(workspace, rule, status="pending", source="trader", note=note[:300],
                                    now=self.clock())

    def confirm_alert(self, workspace: str, alert_id: str) -> StoredAlert:
        if not self.store.set_status(workspace, alert_id, ("pending",), "active"):
            raise AlertInputError(f"There is no proposed alert {alert_id.upper()} waiting for confirmation.")
        return self.store.alert(workspace, alert_id)

    def delete_alert(self, workspace: str, alert_id: str) -> None:
        if not self.store.set_status(workspace, alert_id, ("pending", "active"), "deleted"):
            raise AlertInputError(f"There is no alert {alert_id.upper()} in this workspace (see `/alerts`).")

    def alerts(self, workspace: str) -> list[StoredAlert]:
        return self.store.alerts(workspace)

    def pending_alerts(self, workspace: str) -> list[StoredAlert]:
        return self.store.alerts(workspace, "pending")

    # --- notifications and webhook ---------------------------------------------------------------
    def notifications(self, workspace: str, limit: int = 20) -> list[Notification]:
        return self.store.notifications(workspace, limit)

    def open_notifications(self, workspace: str, limit: int = 20) -> list[Notification]:
        """The latest notifications, as the person reads them (`/notifications`, the panel's button): the ones
        listed count as read, so the badge drops them."""
        items = self.store.notifications(workspace, limit)
        if items:
            self.store.mark_read(workspace, max(n.id for n in items), self.clock())
        return items

    def unread_count(self, workspace: str) -> int:
        """Notifications of the workspace the person has not listed or opened yet (the panel's badge)."""
        return self.store.unread_count(workspace)

    def unshown(self, workspace: str) -> list[Notification]:
        return self.store.unshown(workspace)

    def to_show(self, workspace: str, cursor: int | None) -> tuple[list[Notification], int]:
        """What one open page shows as toasts, and its new cursor. Each page keeps its own cursor, so every open
        tab shows a new notification; a page's first call (`cursor` None) shows what fired while none was open."""
        if cursor is None:
            before = self.store.latest_id(workspace)
            fresh = self.store.unshown(workspace)
            return fresh, max([before, *(n.id for n in fresh)])
        fresh = self.store.after(workspace, cursor)
        return fresh, max([cursor, *(n.id for n in fresh)])

    def set_webhook(self, workspace: str, url: str | None) -> str | None:
        checked = check_webhook_url(url) if url else None
        self.store.set_webhook(workspace, checked, self.clock())
        return checked

    def webhook(self, workspace: str) -> str | None:
        return self.store.webhook(workspace)

    def notify(self, workspace: str, kind: str, title: str, body: str, data: dict) -> int:
        """Store a notification; with a webhook, its delivery is queued at once (not waited for)."""
        delivery = "pending" if self.store.webhook(workspace) else "none"
        notification_id = self.store.add_notification(workspace, kind, title, body, data, delivery, self.clock())
        if delivery == "pending":
            self.deliver_pending([workspace])
        return notification_id

    def deliver_pending(self, workspaces: list[str] | None = None) -> None:
        """Queue the delivery of every notification awaiting its webhook (of `workspaces`, default all) and return
        at once: deliveries run on the service's own small pool, one task per workspace, each delivery bounded by
        `delivery_limit_s`, so a dead webhook never holds up a check. Status is stored on each notification."""
        if self.poster is None:  # nowhere to send: they stay pending
            return
        self.deliveries.submit(workspaces if workspaces is not None else self.store.undelivered_workspaces())

    def wait_deliveries(self, timeout_s: float | None = None) -> bool:
        """Wait until no webhook delivery is running (True), or `timeout_s` passed (False)."""
        return self.deliveries.wait(timeout_s)

    def _deliver_workspace(self, workspace: str) -> None:
        """POST the workspace's pending notifications to its webhook, oldest first (a `DeliveryQueue` task)."""
        for item in self.store.undelivered(workspace):
            url = self.store.webhook(item.workspace)
            if not url:
                self.store.set_delivery(item.id, "none", "webhook removed", 0)
                continue
            result = deliver(self.poster, post_url(url), payload_for(url, item.title, item.body, item.data),
                             tries=self.tries, backoff_s=self.backoff_s, sleep=self.sleep,
                             time_limit_s=self.delivery_limit_s)
            self.store.set_delivery(item.id, "delivered" if result.delivered else "failed", result.detail,
                                    result.attempts)

    # --- the check ---------------------------------------------------------------------------------
    def market_open(self, now: datetime | None = None) -> bool:
        return self.calendar is None or self.calendar.is_open(now or self.clock())

    def check(self, now: datetime | None = None, *, force: bool = False) -> CheckReport:
        """Evaluate every workspace's active alerts (only while the exchange is open unless `force`)."""
        now = now or self.clock()
        if not force and not self.market_open(now):
            return CheckReport(now, 0, 0, skipped="exchange closed")
        with self._check_lock:
            report = check_alerts(self.store, self.market, self.indicators, now, max_workers=self.max_workers,
                                  memo=self.unknown_symbols)
        if self.metrics is not None:
            for kind in report.fired_kinds:
                self.metrics.alerts_fired.labels(kind=kind).inc()
        return report
