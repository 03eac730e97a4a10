"""GET /metrics on the running app: scraped, parsed with prometheus_client's parser, moving after turns."""

from __future__ import annotations

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from starlette.requests import Request

from api.metrics_route import metrics_route
from core.settings import Secret
from standins.live_app import running_app
from standins.scripted_model import ScriptedModel, code, final
from telemetry.metrics import Metrics
from tests.harness import settings_for

TOKEN = "metrics-test-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def scripted_team():
    return {
        "manager": ScriptedModel([code('r = trader(task="AAPL and a bad ticker")\nprint(r)'), final("AAPL is up.")]),
        "web_agent": ScriptedModel(),
        "trader": ScriptedModel([code('print(stock_quote(symbol="AAPL"))\nprint(stock_quote(symbol="NOPE!"))'),
                                 final("AAPL quoted.")]),
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("metrics"), scripted_team, METRICS_TOKEN=TOKEN,
                     RATE_LIMIT_TURNS_PER_MINUTE=0) as (url, stack, ui):  # this module sends many commands at once
        yield url, ui


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    """Every sample as {(name, sorted labels): value}."""
    response = requests.get(url + "metrics", headers=AUTH, timeout=10)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_every_metric_is_named_smol_trader(server):
    url, _ = server
    names = {name for name, _ in scrape(url)}
    assert names and all(name.startswith("smol_trader_") for name in names)
    for expected in ("smol_trader_active_sessions", "smol_trader_running_turns", "smol_trader_turn_seconds_count"):
        assert expected in names


def test_numbers_move_after_a_turn(server):
    url, _ = server
    before = scrape(url)
    reply = requests.post(url + "api/runs", json={"message": "How is AAPL doing?"}, timeout=10).json()
    key = {"X-Smol-Workspace": reply["workspace"]}
    for _ in range(600):
        if requests.get(f"{url}api/runs/{reply['id']}", headers=key, timeout=10).json()["status"] == "done":
            break
    after = scrape(url)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("smol_trader_turns_total", outcome="done") == 1
    assert moved("smol_trader_turn_seconds_count") == 1
    assert moved("smol_trader_step_seconds_count", agent="manager") >= 2
    assert moved("smol_trader_step_seconds_count", agent="trader") >= 1
    assert moved("smol_trader_model_tokens_total", agent="manager", direction="in") >= 2 * 11
    assert moved("smol_trader_model_tokens_total", agent="trader", direction="out") >= 7
    assert moved("smol_trader_tool_calls_total", tool="stock_quote") == 2
    assert moved("smol_trader_tool_errors_total", tool="stock_quote") == 1
    assert moved("smol_trader_market_cache_lookups_total", kind="info", result="miss") >= 1
    assert value(after, "smol_trader_running_turns") == 0
    assert value(after, "smol_trader_active_sessions") >= 1


def test_cache_hits_commands_orders_and_upstream_errors_are_counted(server):
    url, ui = server
    session = ui.chat.sessions.get("metrics-session")
    before = scrape(url)
    for message in ("/quote AAPL", "/quote AAPL", "/quote ZZZZQ"):
        list(ui.chat.respond(session, message))
    items = list(ui.chat.respond(session, "/buy 1 AAPL limit 100"))[-1]
    ticket = next(item.extra["ticket"]["id"] for item in items if item.kind == "ticket")
    list(ui.chat.respond(session, f"/confirm {ticket}"))
    after = scrape(url)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("smol_trader_turns_total", outcome="command") == 5
    assert moved("smol_trader_market_cache_lookups_total", kind="quote", result="hit") >= 1
    upstream = sum(v for (name, _), v in after.items() if name == "smol_trader_market_upstream_errors_total") - \
        sum(v for (name, _), v in before.items() if name == "smol_trader_market_upstream_errors_total")
    assert upstream >= 1
    orders = {labels: v for (name, labels), v in after.items() if name == "smol_trader_orders_total"}
    assert orders and all(dict(labels)["broker"] == "built-in" for labels in orders), orders


def test_the_token_is_required_when_set(server):
    url, _ = server
    assert requests.get(url + "metrics", timeout=10).status_code == 401
    assert requests.get(url + "metrics", headers={"Authorization": "Bearer wrong"}, timeout=10).status_code == 401


def get(route, headers: dict | None = None):
    """Call the /metrics route's endpoint with a real Starlette request."""
    scope = {"type": "http", "method": "GET", "path": "/metrics", "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}
    return route.endpoint(Request(scope))


def test_off_on_a_public_space_unless_a_token_is_set():
    metrics = Metrics()
    metrics.alerts_fired.labels(kind="price").inc()
    assert get(metrics_route(metrics, settings_for(SPACE_ID="someone/smol-trader"))).status_code == 404
    with_token = metrics_route(metrics, settings_for(SPACE_ID="someone/smol-trader", METRICS_TOKEN=TOKEN))
    assert get(with_token).status_code == 401
    response = get(with_token, AUTH)
    assert response.status_code == 200 and b'smol_trader_alerts_fired_total{kind="price"} 1.0' in response.body
    local = settings_for()
    assert not local.metrics_token and isinstance(local.metrics_token, Secret)
    assert get(metrics_route(metrics, local)).status_code == 200


def test_apps_in_one_process_have_their_own_registries():
    first, second = Metrics(), Metrics()
    first.budget_refusals.labels(scope="api_rate").inc()
    assert b'smol_trader_budget_refusals_total{scope="api_rate"} 1.0' in first.exposition()
    assert b"smol_trader_budget_refusals_total{" not in second.exposition()
