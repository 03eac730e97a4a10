"""Webhook delivery to a stand-in on 127.0.0.1: the payload (Slack/Discord/ntfy fields), a 500 then success is
retried, a redirect is followed, a brief arrives too, an unreachable webhook is reported in the notification and
nothing else breaks, a host that never answers fails at the time limit without holding up the next check; private
addresses are refused by default."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alerts.rules import AlertInputError
from alerts.scheduler import AlertScheduler, BriefDesk
from alerts.service import AlertService
from alerts.webhooks import deliver, egress_poster
from chat.commands import CommandContext, dispatch
from chat.session import Session
from egress import Egress
from standins import LocalServer
from standins.yahoo import closed_port_url

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

MONDAY_OPEN = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


class WebhookStandIn(LocalServer):
    """Records JSON POSTs; answers with the statuses in `script`, then 200 (like ntfy/Slack/Discord). A path in
    `redirects` answers 307 to its target instead (a moved webhook)."""

    def __init__(self, script: list[int] | None = None, redirects: dict[str, str] | None = None):
        self.script = list(script or [])
        self.redirects = dict(redirects or {})
        self.received: list[dict] = []
        self.lock = threading.Lock()

    def start(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path in stand_in.redirects:
                    self.send_response(307)
                    self.send_header("Location", stand_in.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with stand_in.lock:
                    stand_in.received.append({"path": self.path, "type": self.headers["Content-Type"], "body": body})
                    status = stand_in.script.pop(0) if stand_in.script else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        return self._serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler), "webhook-stand-in")

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/smol-alerts"


class SilentHost:
    """A webhook host on 127.0.0.1 that accepts every connection and never answers (reads nothing, sends nothing)
    until it is stopped."""

    def __init__(self):
        self.connections: list[socket.socket] = []
        self._stopped = threading.Event()

    def __enter__(self):
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self._thread = threading.Thread(target=self._accept, name="silent-host", daemon=True)
        self._thread.start()
        return self

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(connection)

    def __exit__(self, *exc) -> None:
        self._stopped.set()
        self._thread.join(5)
        for connection in self.connections:
            connection.close()
        self._socket.close()

    @property
    def url(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}/hook"


def wait_for(condition, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def stack_env():
    return {"QUOTE_TTL_S": 0}  # every check fetches (the `stack` fixture is in conftest.py)


def scheduler_for(stack, waits: list[float]) -> AlertScheduler:
    service = AlertService.from_settings(stack.settings, stack.runtime.market, clock=lambda: MONDAY_OPEN,
                                         sleep=waits.append, max_workers=2)
    return AlertScheduler(service, BriefDesk(service))


def test_a_fired_alert_is_posted_and_a_500_is_retried_with_backoff(stack):
    waits: list[float] = []
    with WebhookStandIn(script=[500]) as hook:
        scheduler = scheduler_for(stack, waits)
        service = scheduler.service
        service.set_webhook("ws", hook.url)
        alert = service.add_alert("ws", ["AAPL", "above", "100"])
        scheduler.tick_alerts()
        assert service.wait_deliveries(10)  # delivered off the check's thread
        assert len(hook.received) == 2 and waits == [1.0]  # one failure, one backoff, then delivered
        sent = hook.received[-1]
        assert sent["type"] == "application/json" and sent["path"] == "/smol-alerts"
        body = sent["body"]
        assert body["text"].startswith(f"Alert {alert.id}: AAPL above 100.00")  # Slack
        assert body["content"] == body["text"] and body["topic"] == "smol-alerts"  # Discord, ntfy
        assert body["smol_trader"]["alert_id"] == alert.id and body["smol_trader"]["price"] == 244.6
        [note] = service.notifications("ws")
        assert (note.delivery, note.delivery_detail, note.attempts) == ("delivered", "HTTP 200", 2)
        service.close()


def test_an_unreachable_webhook_is_reported_and_nothing_else_breaks(stack):
    waits: list[float] = []
    scheduler = scheduler_for(stack, waits)
    service = scheduler.service
    service.set_webhook("down", closed_port_url() + "/hook")
    service.add_alert("down", ["AAPL", "above", "100"])
    service.add_alert("quiet", ["AAPL", "above", "100"])
    report = scheduler.tick_alerts()
    assert len(report.fired) == 2 and service.wait_deliveries(10) and waits == [1.0, 2.0]
    [down] = service.notifications("down")
    assert down.delivery == "failed" and down.attempts == 3 and "connection refused" in down.delivery_detail
    [quiet] = service.notifications("quiet")
    assert quiet.delivery == "none"  # no webhook: stored and shown, nothing to deliver
    service.add_alert("down", ["AMZN", "above", "1"])
    assert len(scheduler.tick_alerts().fired) == 1  # the scheduler goes on
    service.close()


def test_a_webhook_that_never_answers_fails_at_the_time_limit_and_the_next_check_runs_on_time(stack):
    service = AlertService.from_settings(stack.settings, stack.runtime.market, clock=lambda: MONDAY_OPEN,
                                         max_workers=2, delivery_limit_s=4.0)
    scheduler = AlertScheduler(service, BriefDesk(service), interval_s=0.25)
    with SilentHost() as host:
        service.set_webhook("hung", host.url)
        service.add_alert("hung", ["AAPL", "above", "100"])  # fires at the first check; its delivery hangs
        later = service.add_alert("quiet", ["AAPL", "above", "250"])  # fires once the price crosses 250
        scheduler.start()
        try:
            wait_for(lambda: host.connections)  # the webhook POST is connected and waiting for an answer
            hanging_since = time.monotonic()
            stack.yahoo.set_quote("AAPL", 252.0)
            [quiet] = wait_for(lambda: service.notifications("quiet"))
            assert time.monotonic() - hanging_since < 4.0 and quiet.title.startswith(f"Alert {later.id}:")
            assert service.notifications("hung")[0].delivery == "pending"  # the next check ran meanwhile
            wait_for(lambda: service.notifications("hung")[0].delivery != "pending", 15)
        finally:
            scheduler.stop()
    [hung] = service.notifications("hung")
    assert (hung.delivery, hung.attempts) == ("failed", 1)
    assert hung.delivery_detail == "timed out: no answer within the 4 s limit"
    runtime = dataclasses.replace(stack.runtime, alerts=service)  # /notifications reads this service
    [item] = dispatch("/notifications", CommandContext(session=Session(id="tab", workspace="hung"),
                                                       runtime=runtime))
    assert "webhook: FAILED (timed out: no answer within the 4 s limit, 1 tries)" in str(item.content)
    service.close()


def test_a_scheduled_brief_reaches_the_webhook(stack):
    now = [datetime(2026, 11, 23, 13, 0, tzinfo=UTC)]  # 08:00 in New York
    with WebhookStandIn() as hook:
        service = AlertService.from_settings(stack.settings, stack.runtime.market, clock=lambda: now[0],
                                             max_workers=2)
        scheduler = AlertScheduler(service, BriefDesk(service))
        service.watch("ws", ["AAPL"])
        service.set_webhook("ws", hook.url)
        scheduler.briefs.add("ws", ["daily", "08:30"])
        now[0] = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)  # 08:30 in New York
        [produced] = scheduler.tick_briefs()
        assert service.wait_deliveries(10)
        [sent] = hook.received
        body = sent["body"]
        assert sent["path"] == "/smol-alerts" and body["title"] == "Brief for 2026-11-23 13:30 UTC"
        assert body["text"].startswith("Brief for 2026-11-23 13:30 UTC\n**Watchlist and positions**")
        assert "**AAPL**" in body["message"] and "untrusted" in body["message"]
        assert body["smol_trader"]["symbols"] == ["AAPL"] and body["topic"] == "smol-alerts"
        note = service.store.notification(produced)
        assert (note.kind, note.delivery, note.delivery_detail) == ("brief", "delivered", "HTTP 200")
        service.close()


def test_a_moved_webhook_is_followed_through_its_redirect(stack):
    with WebhookStandIn(redirects={"/old-hook": "/smol-alerts"}) as hook:
        scheduler = scheduler_for(stack, [])
        service = scheduler.service
        service.set_webhook("ws", hook.url.replace("/smol-alerts", "/old-hook"))
        service.add_alert("ws", ["AAPL", "above", "100"])
        scheduler.tick_alerts()
        assert service.wait_deliveries(10)
        [sent] = hook.received  # the 307 repeated the POST, payload and all, at the new address
        assert sent["path"] == "/smol-alerts" and sent["body"]["text"].startswith("Alert A-")
        [note] = service.notifications("ws")
        assert (note.delivery, note.attempts) == ("delivered", 1)
        service.close()


def test_ntfy_slack_and_discord_get_what_they_read():
    from alerts.webhooks import payload_for, post_url

    payload = payload_for("https://ntfy.sh/smol-alerts", "Alert A-1: AAPL above 250.00", "last price 251.00", {})
    assert post_url("https://ntfy.sh/smol-alerts") == "https://ntfy.sh/"  # ntfy's JSON publishing endpoint
    assert (payload["topic"], payload["title"], payload["message"]) == ("smol-alerts", "Alert A-1: AAPL above 250.00",
                                                                       "last price 251.00")
    slack = "https://hooks.slack.com/services/T000/B000/XXXX"
    assert post_url(slack) == slack and payload_for(slack, "t", "b", {})["text"] == "t\nb"
    discord = "https://discord.com/api/webhooks/1/abc"
    assert post_url(discord) == discord
    assert payload_for(discord, "t", "b" * 3000, {})["content"] == ("t\n" + "b" * 3000)[:2000]


def test_private_addresses_are_refused_by_default_and_urls_are_checked():
    result = deliver(egress_poster(Egress(allow_private=False)), "http://127.0.0.1:9/hook", {"text": "x"},
                     sleep=lambda s: None)
    assert not result.delivered and result.attempts == 1 and "127.0.0.1 is a loopback address" in result.detail
    result = deliver(egress_poster(Egress(allow_private=False)), "http://169.254.169.254/latest", {},
                     sleep=lambda s: None)
    assert not result.delivered and "169.254.169.254" in result.detail
    from alerts.webhooks import check_webhook_url

    for bad in ("ftp://example.com/x", "not a url", "https://user:pw@example.com/hook"):
        with pytest.raises(AlertInputError):
            check_webhook_url(bad)
