"""Webhook delivery to a stand-in on 127.0.0.1: the payload (Slack/Discord/ntfy fields), a 500 then success is
retried, an unreachable webhook is reported in the notification and nothing else breaks; private addresses are
refused by default."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alerts.rules import AlertInputError
from alerts.scheduler import AlertScheduler, BriefDesk
from alerts.service import AlertService
from alerts.webhooks import deliver, egress_poster
from egress import Egress
from tests.harness import local_stack
from tests.servers import LocalServer
from tests.servers.yahoo import closed_port_url

MONDAY_OPEN = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


class WebhookStandIn(LocalServer):
    """Records JSON POSTs; answers with the statuses in `script`, then 200 (like ntfy/Slack/Discord)."""

    def __init__(self, script: list[int] | None = None):
        self.script = list(script or [])
        self.received: list[dict] = []
        self.lock = threading.Lock()

    def start(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
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


@pytest.fixture
def stack(tmp_path):
    with local_stack(tmp_path, QUOTE_TTL_S=0, DATA_DIR=tmp_path / "data") as stack:
        yield stack


def scheduler_for(stack, waits: list[float]) -> AlertScheduler:
    service = AlertService.from_settings(stack.settings, stack.services.market, clock=lambda: MONDAY_OPEN,
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
    assert len(report.fired) == 2 and waits == [1.0, 2.0]
    [down] = service.notifications("down")
    assert down.delivery == "failed" and down.attempts == 3 and "connection refused" in down.delivery_detail
    [quiet] = service.notifications("quiet")
    assert quiet.delivery == "none"  # no webhook: stored and shown, nothing to deliver
    service.add_alert("down", ["AMZN", "above", "1"])
    assert len(scheduler.tick_alerts().fired) == 1  # the scheduler goes on
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
