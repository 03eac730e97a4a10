"""One alert check over every workspace: rules from the database, one snapshot per symbol, numpy evaluation,
then one transaction with the new crossing states and the notifications of the rules that fired."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from alerts.evaluate import FailureMemo, IndicatorCache, evaluate, needs_of, snapshots
from alerts.rules import AlertRule
from alerts.store import AlertStore, utc_text


@dataclass(frozen=True)
class CheckReport:
    at: datetime
    rules: int
    symbols: int
    fired: list[int] = field(default_factory=list)  # notification ids
    failures: dict[str, str] = field(default_factory=dict)  # symbol -> message
    skipped: str = ""  # why nothing was checked (e.g. "exchange closed")
    fired_kinds: list[str] = field(default_factory=list)  # the rule kind of each fired alert (price, move, …)


def alert_message(rule: AlertRule, alert_id: str, value: float, price: float | None, as_of: datetime | None,
                  now: datetime, source: str = "") -> tuple[str, str, dict]:
    """Title, body and structured data of a fired alert's notification."""
    observed = as_of or now
    when = f"{observed:%Y-%m-%d %H:%M} UTC" if as_of else f"checked {now:%Y-%m-%d %H:%M} UTC"
    shown = f"{price:,.2f}" if price is not None else "n/a"
    if rule.kind == "price":
        reading = f"last price {shown}"
    elif rule.kind == "move":
        reading = f"day move {value:+.2f}% (price {shown})"
    elif rule.kind == "rsi":
        reading = f"{rule.indicator.upper()} {value:.1f} (price {shown})"
    else:
        side = "above" if value >= 0 else "below"
        reading = f"price {shown} is now {side} its {rule.indicator.upper()} ({price - value:,.2f})" \
            if price is not None else f"price crossed its {rule.indicator.upper()}"
    title = f"Alert {alert_id}: {rule.describe()}"
    body = f"{reading}, observed {when}" + (f" ({source})" if source else "") + \
        ". Alerts only notify; nothing was traded."
    data = {"alert_id": alert_id, "symbol": rule.symbol, "rule": rule.text(), "value": round(float(value), 4),
            "price": price, "observed_at": utc_text(observed), "checked_at": utc_text(now), "source": source}
    return title, body, data


def check_alerts(store: AlertStore, market, cache: IndicatorCache, now: datetime, *,
                 max_workers: int = 8, memo: FailureMemo | None = None) -> CheckReport:
    """Evaluate every active rule once; fired rules become notifications (pending delivery when a webhook is set)."""
    rows = store.active_rules()
    if not rows:
        return CheckReport(now, 0, 0)
    columns = list(zip(*rows))
    ids, workspaces, symbols, kinds, ops, indicators = (np.array(columns[i], dtype=object) for i in (0, 1, 2, 3, 4, 6))
    thresholds = np.array(columns[5], dtype=float)
    last = np.array([-1 if state is None else state for state in columns[7]], dtype=int)
    snaps, failures = snapshots(market, needs_of(symbols, kinds, indicators), cache, max_workers=max_workers,
                                 memo=memo)
    result = evaluate(symbols, kinds, ops, thresholds, indicators, last, snaps)
    changed = np.flatnonzero((result.state >= 0) & ((result.state != last) | result.fired))
    states = [(int(result.state[i]), float(result.value[i]), ids[i]) for i in changed]
    fired_rows = np.flatnonzero(result.fired)
    hooks = store.webhooks() if len(fired_rows) else {}
    notifications = []
    for i in fired_rows:
        rule = AlertRule(symbols[i], kinds[i], ops[i], float(thresholds[i]), indicators[i])
        snap = snaps[symbols[i]]
        title, body, data = alert_message(rule, ids[i], float(result.value[i]), snap.price, snap.as_of, now,
                                          snap.source)
        workspace = workspaces[i]
        notifications.append((workspace, "alert", title, body, data, "pending" if workspace in hooks else "none"))
    fired_ids = store.record_check(states, [(ids[i],) for i in fired_rows], notifications, now)
    return CheckReport(now, len(rows), len(snaps) + len(failures), fired_ids, failures,
                       fired_kinds=[str(kinds[i]) for i in fired_rows])
