"""Slash commands for watchlists, alerts, notifications and briefs (answered by code; alerts never trade)."""

from __future__ import annotations

from alerts.briefs import BRIEF_USAGE, describe_schedule
from alerts.rules import USAGE as ALERT_USAGE
from alerts.rules import AlertInputError
from alerts.scheduler import BriefDesk
from alerts.store import Notification, StoredAlert
from chat.commands import Command, CommandContext, CommandError
from chat.messages import ChatItem

DELIVERY = {"none": "", "pending": " · webhook: sending", "delivered": " · webhook: delivered",
            "failed": " · webhook: FAILED"}


def _service(ctx: CommandContext):
    return ctx.runtime.alerts


def _briefs(ctx: CommandContext) -> BriefDesk:
    return ctx.runtime.briefs  # the scheduler's own desk (positions, commentary)


def _checked(fn):
    """Input problems of the alerts domain become the command's usage message."""

    def handler(ctx: CommandContext, args: list[str]):
        try:
            return fn(ctx, args)
        except AlertInputError as exc:
            raise CommandError(exc.user_message) from None

    return handler


def alert_line(alert: StoredAlert) -> str:
    if alert.status == "pending":
        state = f"proposed by the trader, awaiting `/alert confirm {alert.id}`"
    elif alert.last_state == 1 and alert.rule.kind != "cross":
        state = "triggered (re-arms when the condition is false again)"
    else:
        state = "armed"
    fired = f", fired {alert.fired_count}× (last {alert.last_fired})" if alert.fired_count else ""
    note = f" — {alert.note}" if alert.note else ""
    return f"| `{alert.id}` | {alert.rule.describe()} | {state}{fired}{note} |"


def notification_line(item: Notification) -> str:
    detail = f" ({item.delivery_detail}, {item.attempts} tries)" if item.delivery in ("delivered", "failed") else ""
    first = item.body.splitlines()[0] if item.body else ""
    return f"- **{item.title}** · {item.created}{DELIVERY.get(item.delivery, '')}{detail}\n  {first}"


@_checked
def watch(ctx: CommandContext, args: list[str]):
    added, unknown = _service(ctx).watch_known(ctx.session.workspace_id, args)
    listed = _service(ctx).watchlist(ctx.session.workspace_id)
    skipped = (f" Not added: {', '.join(unknown)} (" + "; ".join(unknown.values()) + ")." if unknown else "")
    if unknown and not added:
        return ChatItem(content=f"Nothing added.{skipped}", kind="error")
    new = ", ".join(added) if added else "nothing new"
    shown = ", ".join(listed) if listed else "empty"
    return f"Watching {new}.{skipped} Your watchlist: {shown} (shown in the side panel)."


@_checked
def unwatch(ctx: CommandContext, args: list[str]):
    if len(args) != 1:
        raise CommandError("Name one ticker to remove, e.g. `/unwatch AAPL`.")
    removed = _service(ctx).unwatch(ctx.session.workspace_id, args[0])
    return (f"Removed {args[0].upper()} from your watchlist." if removed
            else f"{args[0].upper()} was not on your watchlist.")


def watchlist(ctx: CommandContext, args: list[str]):
    rows = _service(ctx).watch_rows(ctx.session.workspace_id)
    if not rows:
        return "Your watchlist is empty: add symbols with `/watch AAPL MSFT`."
    lines = ["| symbol | last | day | as of |", "|---|---:|---:|---|"]
    for row in rows:
        if row.problem:
            lines.append(f"| {row.symbol} | n/a | | {row.problem} |")
            continue
        price = f"{row.price:,.2f}" if row.price is not None else "n/a"
        move = f"{row.change_pct:+.2f}%" if row.change_pct is not None else "n/a"
        when = f"{row.as_of:%Y-%m-%d %H:%M} UTC" if row.as_of else "unknown"
        lines.append(f"| {row.symbol} | {price} | {move} | {when} |")
    return "**Watchlist** (the shared market-data cache; `/status` shows which sources answer)\n\n" + "\n".join(lines)


@_checked
def alert(ctx: CommandContext, args: list[str]):
    service, workspace = _service(ctx), ctx.session.workspace_id
    verb = args[0].lower() if args else ""
    if verb in ("delete", "remove", "confirm"):
        if len(args) != 2:
            raise CommandError(f"Give the alert's id, e.g. `/alert {verb} A-1F2C` (see `/alerts`).")
        if verb == "confirm":
            confirmed = service.confirm_alert(workspace, args[1])
            return f"Alert {confirmed.id} is active: {confirmed.rule.describe()}. It notifies you; it never trades."
        service.delete_alert(workspace, args[1])
        return f"Alert {args[1].upper()} deleted."
    created = service.add_alert(workspace, args)
    hours = f"checked every {ctx.settings.alert_check_seconds:g} s while the exchange is open"
    return (f"Alert {created.id} set: {created.rule.describe()} ({hours}; it fires once per crossing and "
            f"re-arms after the price moves back). Alerts only notify; they never trade.")


def alerts(ctx: CommandContext, args: list[str]):
    found = _service(ctx).alerts(ctx.session.workspace_id)
    if not found:
        return f"No alerts yet. Set one with {ALERT_USAGE}."
    rows = "\n".join(alert_line(a) for a in found)
    return f"**Alerts** ({len(found)})\n\n| id | rule | state |\n|---|---|---|\n{rows}"


def notifications(ctx: CommandContext, args: list[str]):
    service = _service(ctx)
    items = service.open_notifications(ctx.session.workspace_id)  # listed = read: the panel's badge resets
    hook = service.webhook(ctx.session.workspace_id)
    where = f"Webhook: {hook}" if hook else "No webhook (`/notify webhook URL` to push notifications)."
    if not items:
        return f"No notifications yet. {where}"
    return f"**Notifications** (newest first) · {where}\n\n" + "\n".join(notification_line(n) for n in items)


@_checked
def notify(ctx: CommandContext, args: list[str]):
    service, workspace = _service(ctx), ctx.session.workspace_id
    if args and args[0].lower() == "off" and len(args) == 1:
        service.set_webhook(workspace, None)
        return "Webhook removed: notifications stay in the app (`/notifications`)."
    if len(args) == 2 and args[0].lower() == "webhook":
        url = service.set_webhook(workspace, args[1])
        return (f"Notifications will also be POSTed as JSON to {url} (works with ntfy, Slack and Discord incoming "
                "webhooks; 3 tries with backoff; delivery status in `/notifications`).")
    raise CommandError("Use `/notify webhook URL` or `/notify off`.")


@_checked
def brief(ctx: CommandContext, args: list[str]):
    desk, workspace = _briefs(ctx), ctx.session.workspace_id
    verb = args[0].lower() if args else ""
    if not args:
        found = desk.briefs(workspace)
        listed = "\n".join(f"- {describe_schedule(b)}" for b in found) or "- none"
        return f"**Scheduled briefs**\n{listed}\n\nSchedule one with {BRIEF_USAGE}."
    if verb == "now":
        note = desk.service.store.notification(desk.produce(workspace))
        return f"**{note.title}**\n\n{note.body}"
    if verb in ("delete", "off"):
        if len(args) != 2:
            raise CommandError("Give the brief's id, e.g. `/brief delete B-1A2B` (see `/brief`).")
        desk.delete(workspace, args[1])
        return f"Brief {args[1].upper()} deleted."
    created = desk.add(workspace, args)
    return f"Brief scheduled: {describe_schedule(created)}. It arrives as a notification (and to your webhook)."


def commands() -> list[Command]:
    return [
        Command("watch", "/watch SYMBOL…", "Add symbols to your watchlist (side panel)", watch),
        Command("unwatch", "/unwatch SYMBOL", "Remove a symbol from your watchlist", unwatch),
        Command("watchlist", "/watchlist", "Last price and day move of your watchlist", watchlist),
        Command("alert", "/alert SYMBOL above|below PRICE | move PCT | rsi above|below N | cross sma50 · "
                "/alert delete ID · /alert confirm ID", "Set, delete or confirm a price/indicator alert", alert),
        Command("alerts", "/alerts", "Your alerts and their state", alerts),
        Command("notifications", "/notifications", "Your latest notifications and webhook delivery status",
                notifications),
        Command("notify", "/notify webhook URL | /notify off", "Push notifications to a webhook (ntfy, Slack, "
                "Discord)", notify),
        Command("brief", "/brief daily HH:MM | weekly [DAY] [HH:MM] | now | delete ID",
                "Scheduled briefs on your watchlist and positions", brief),
    ]
