"""The side-panel block for watchlists and alerts: watchlist with sparklines, a badge of unread notifications,
toasts (gr.Info / gr.Warning from a polling gr.Timer), opening the notifications, and confirming a proposed alert
with one button.

The timer reads the shared market cache (one Yahoo refresh per symbol per QUOTE_TTL_S for every viewer) and
this workspace's new and unread notifications; it never fetches per visitor beyond what the cache holds. The badge
counts the workspace's unread notifications (the same in every tab); listing them with `/notifications` or the
panel's "Open notifications" button reads them, so the badge drops to zero.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import gradio as gr

from alerts.rules import AlertInputError

POLL_SECONDS = 5.0


def sparkline(closes: tuple[float, ...], width: int = 56, height: int = 20) -> str:
    """An inline SVG polyline of `closes` (green when the last close is above the first)."""
    if len(closes) < 2:
        return ""
    low, high = min(closes), max(closes)
    span = (high - low) or 1.0
    step = width / (len(closes) - 1)
    points = " ".join(f"{i * step:.1f},{height - (c - low) / span * height:.1f}" for i, c in enumerate(closes))
    colour = "#16a34a" if closes[-1] >= closes[0] else "#dc2626"
    return (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" aria-label="30-day trend">'
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/></svg>')


def watchlist_html(rows) -> str:
    if not rows:
        return "<p class='watch-empty'>Empty: add symbols with <code>/watch AAPL MSFT</code>.</p>"
    lines = []
    for row in rows:
        symbol = html.escape(row.symbol)
        if row.problem:
            lines.append(f"<tr><td><b>{symbol}</b></td><td colspan='3'>{html.escape(row.problem[:80])}</td></tr>")
            continue
        price = f"{row.price:,.2f}" if row.price is not None else "n/a"
        move = f"{row.change_pct:+.2f}%" if row.change_pct is not None else ""
        colour = "#16a34a" if (row.change_pct or 0) >= 0 else "#dc2626"
        lines.append(f"<tr data-symbol='{symbol}'><td><b>{symbol}</b></td><td>{price}</td>"
                     f"<td style='color:{colour}'>{move}</td><td>{sparkline(row.closes)}</td></tr>")
    return ("<table class='watchlist' style='width:100%;font-size:0.85em;table-layout:auto'>" + "".join(lines)
            + "</table>"
            "<p style='font-size:0.75em;opacity:0.7'>Yahoo Finance, may be delayed; 30 daily closes.</p>")


def alerts_html(alerts) -> str:
    """The alerts the person set (active ones), one line each, with how often they fired."""
    active = [a for a in alerts if a.status == "active"]
    if not active:
        return "<p class='alerts-empty'>No alerts set: try <code>/alert AAPL above 250</code>.</p>"
    lines = []
    for alert in active:
        fired = f" · fired {alert.fired_count}×" if alert.fired_count else ""
        lines.append(f"<li data-id='{html.escape(alert.id)}'><code>{html.escape(alert.id)}</code> "
                     f"{html.escape(alert.rule.describe())}{fired}</li>")
    return "<ul class='alerts-list' style='font-size:0.85em;padding-left:1em;margin:0'>" + "".join(lines) + "</ul>"


def badge_html(count: int) -> str:
    if not count:
        return "<span id='alerts-badge-count' data-count='0'>🔔 no unread notifications</span>"
    return (f"<span id='alerts-badge-count' data-count='{count}'>🔔 <b>{count}</b> unread "
            f"notification{'s' if count != 1 else ''} · <code>/notifications</code></span>")


def notifications_html(items) -> str:
    """The latest notifications (newest first), with their webhook delivery status."""
    if not items:
        return "<p class='notifications-empty'>No notifications yet.</p>"
    lines = []
    for item in items:
        delivery = {"pending": " · webhook: sending", "delivered": " · webhook: delivered",
                    "failed": f" · webhook: failed ({item.delivery_detail})"}.get(item.delivery, "")
        first = item.body.splitlines()[0] if item.body else ""
        lines.append(f"<li data-id='{item.id}'><b>{html.escape(item.title)}</b> · {html.escape(item.created)}"
                     f"{html.escape(delivery)}<br>{html.escape(first[:200])}</li>")
    return "<ul class='notifications' style='font-size:0.85em;padding-left:1em'>" + "".join(lines) + "</ul>"


class AlertsPanel:
    """Build inside the side column (`build()`), then `wire()` inside the same Blocks."""

    def __init__(self, service_of: Callable[[], object], workspace_of: Callable[[gr.Request | None], str],
                 poll_s: float = POLL_SECONDS,
                 polled_workspace_of: Callable[[gr.Request | None], str | None] | None = None):
        self.service_of = service_of
        self.workspace_of = workspace_of  # for clicks: the page's workspace
        # for polls, which start with the page: the workspace the page's own load has bound, None until then (a poll
        # must never open a workspace itself: racing the load, it would bind the tab to a new, empty one)
        self.polled_workspace_of = polled_workspace_of or workspace_of
        self.poll_s = poll_s

    def build(self) -> None:
        self.badge = gr.HTML(badge_html(0), elem_id="alerts-badge")
        self.open = gr.Button("Open notifications", elem_id="open-notifications", size="sm")
        self.listing = gr.HTML("", elem_id="notifications-list")
        self.watchlist = gr.HTML(watchlist_html([]), elem_id="watchlist")
        self.alerts = gr.HTML(alerts_html([]), elem_id="alerts-list")
        with gr.Group(visible=False, elem_id="alert-proposals-group") as self.proposals_group:
            self.proposals = gr.Dropdown(choices=[], label="Alerts the trader proposed", elem_id="alert-proposals",
                                         interactive=True)
            self.confirm = gr.Button("Confirm alert", elem_id="confirm-alert", size="sm")
        self.cursor = gr.State(None)  # the last notification id this page has shown (each tab its own)
        self.timer = gr.Timer(self.poll_s)

    def _choices(self, workspace: str) -> list[tuple[str, str]]:
        return [(f"{a.id} · {a.rule.describe()}", a.id) for a in self.service_of().pending_alerts(workspace)]

    def poll(self, cursor: int | None, chosen: str | None, request: gr.Request | None = None):
        """Toasts for new notifications, the unread badge, the watchlist and the proposals (keeping the choice)."""
        service, workspace = self.service_of(), self.polled_workspace_of(request)
        if workspace is None:  # the page is still loading its workspace: nothing to show yet
            return cursor, gr.update(), gr.update(), gr.update(), gr.update(), gr.update()
        fresh, cursor = service.to_show(workspace, cursor)
        for item in fresh[-3:]:  # an info toast titled by the alert (screen readers hear it: a polite region)
            first = item.body.splitlines()[0][:200] if item.body else ""
            # Gradio renders a toast's message and title as HTML: the notification's text is shown as text
            title = html.escape(item.title)
            gr.Info(html.escape(f"{item.title}: {first}") if first else title, duration=15, title=title)
        choices = self._choices(workspace)
        value = chosen if chosen in {c[1] for c in choices} else None
        return (cursor, badge_html(service.unread_count(workspace)), watchlist_html(service.watch_rows(workspace)),
                gr.update(choices=choices, value=value), alerts_html(service.alerts(workspace)),
                gr.update(visible=bool(choices)))

    def open_clicked(self, request: gr.Request | None = None):
        """The latest notifications, now read: the list and the badge (zero unless more arrived meanwhile)."""
        service, workspace = self.service_of(), self.workspace_of(request)
        items = service.open_notifications(workspace)
        return notifications_html(items), badge_html(service.unread_count(workspace))

    def confirm_clicked(self, chosen: str | None, request: gr.Request):
        workspace = self.workspace_of(request)
        if not chosen:
            gr.Info("Pick a proposed alert first.")
        else:
            try:
                alert = self.service_of().confirm_alert(workspace, chosen)
                gr.Info(f"Alert {alert.id} is active: {alert.rule.describe()}.")
            except AlertInputError as exc:
                gr.Warning(exc.user_message)
        return gr.update(choices=self._choices(workspace), value=None)

    def wire(self, demo: gr.Blocks) -> None:
        outputs = [self.cursor, self.badge, self.watchlist, self.proposals, self.alerts, self.proposals_group]
        self.timer.tick(self.poll, [self.cursor, self.proposals], outputs, api_visibility="private",
                        show_progress="hidden", concurrency_limit=None)
        demo.load(self.poll, [self.cursor, self.proposals], outputs, api_visibility="private",
                  show_progress="hidden")
        self.open.click(self.open_clicked, None, [self.listing, self.badge], api_visibility="private")
        self.confirm.click(self.confirm_clicked, [self.proposals], [self.proposals], api_visibility="private")
