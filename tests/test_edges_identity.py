"""Identity is a key, never a guessable name (issue 22, items 1, 2 and 12).

The live app on 127.0.0.1; the attacker is a Gradio client that chooses its own session hash (gradio_client lets
any client do that), or a reader of the exported spans. A victim's workspace is reached through the runs API (its
key) and the browser-style API; the attacker knows everything that is not a key: the workspace id (it is in every
export), the session id the spans show, and everything `/config` serves.
"""

from __future__ import annotations

import json
import re
import time

import pytest
import requests
from gradio_client import Client

from tests.live_app import running_app
from tests.scripted_model import ScriptedModel
from tests.servers.otlp import OTLPReceiver

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop


def team():
    return {"manager": ScriptedModel(), "web_agent": ScriptedModel(), "trader": ScriptedModel()}


def client(url: str, key: str | None = None, session_hash: str | None = None) -> Client:
    api = Client(url, verbose=False, analytics_enabled=False, download_files=False,
                 headers={"X-Smol-Workspace": key} if key else None)
    if session_hash is not None:
        api.session_hash = session_hash  # a client chooses its own session id
    return api


def run(url: str, message: str, key: str | None = None, timeout_s: float = 30) -> tuple[str, dict]:
    """(workspace key, finished run) of one runs-API run."""
    started = requests.post(url + "api/runs", json={"message": message},
                            headers={"X-Smol-Workspace": key} if key else {}, timeout=10)
    assert started.status_code == 202, started.text
    key = started.headers["X-Smol-Workspace"]
    deadline = time.monotonic() + timeout_s
    while True:
        view = requests.get(url + started.json()["url"].lstrip("/"), headers={"X-Smol-Workspace": key},
                            timeout=10).json()
        if view["status"] in ("done", "failed", "stopped") or time.monotonic() > deadline:
            return key, view
        time.sleep(0.05)


@pytest.fixture(scope="module")
def receiver():
    with OTLPReceiver() as otlp:
        yield otlp


@pytest.fixture(scope="module")
def server(tmp_path_factory, receiver):
    tmp = tmp_path_factory.mktemp("edges-identity")
    with running_app(tmp, team, DATA_DIR=tmp / "data", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=receiver.endpoint) \
            as (url, stack, ui):
        yield url, ui


def victim_with_a_pending_ticket(url: str, ui) -> tuple[str, str, str]:
    """(key, workspace id, ticket id): a runs-API client whose workspace holds a pending buy ticket."""
    key, view = run(url, "/buy 2 AAPL limit 1000")
    ticket = next(item["extra"]["ticket"] for item in view["items"] if item.get("extra", {}).get("ticket"))
    workspace_id = ui.runtime.workspaces.store.resolve_key(key)
    return key, workspace_id, ticket["id"]


def pending_of(url: str, key: str) -> list[dict]:
    return client(url, key).predict(api_name="/tickets")


@pytest.mark.parametrize("chosen", ["api-workspace:{wid}", "api:{wid}", "{wid}", "session:{wid}", "workspace:{wid}"])
def test_a_session_hash_named_after_a_workspace_opens_nothing(server, chosen):
    """Item 1: a Gradio client picking `api-workspace:<workspace id>` (or any other spelling of the id) as its
    session hash lists no ticket, exports nothing of the victim and cannot confirm the victim's ticket."""
    url, ui = server
    key, workspace_id, ticket_id = victim_with_a_pending_ticket(url, ui)
    attacker = client(url, session_hash=chosen.format(wid=workspace_id))

    assert attacker.predict(api_name="/tickets") == []
    exported = attacker.predict(api_name="/export_workspace")
    text = json.dumps(exported)
    assert workspace_id not in text and ticket_id not in text and "AAPL" not in text
    assert exported["tickets"] == [] and exported["conversations"] == []
    answer = attacker.predict(ticket_id, api_name="/confirm_ticket")
    assert "Filled" not in json.dumps(answer) and "executed" not in json.dumps(answer)
    assert [t["id"] for t in pending_of(url, key)] == [ticket_id]  # still the victim's, still pending
    assert attacker.predict(api_name="/workspace")["key"] != key


def test_the_workspace_id_is_not_a_key(server):
    url, ui = server
    _, workspace_id, _ = victim_with_a_pending_ticket(url, ui)
    refused = requests.get(url + "api/runs", headers={"X-Smol-Workspace": workspace_id}, timeout=10)
    assert refused.status_code in (400, 404)
    with pytest.raises(Exception, match="not valid|must be"):
        client(url, workspace_id).predict(api_name="/tickets")


def test_a_session_id_read_from_the_spans_opens_nothing(server, receiver):
    """Item 2: spans carry a keyed hash of the Gradio session id (a chat's turns still group); reusing the value
    read from the spans from another client reaches a fresh, empty workspace."""
    url, ui = server
    victim = client(url)
    victim.predict("/buy 1 AAPL limit 999", api_name="/chat")
    victim.predict("/quote AAPL", api_name="/chat")
    victim.predict("How is the market today?", api_name="/chat")  # a model turn: agents, steps, model calls
    victim_key = victim.predict(api_name="/workspace")["key"]
    [ticket] = victim.predict(api_name="/tickets")
    def turn_roots():
        assert ui.runtime.tracing.flush()
        return [s for s in receiver.spans() if not s.parent_span_id and s.attributes.get("input.value") in
                ("/buy 1 AAPL limit 999", "/quote AAPL", "How is the market today?")]

    deadline = time.monotonic() + 20  # a turn's root span ends on its own thread, just after the answer is sent
    while len(roots := turn_roots()) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    labels = {s.attributes["session.id"] for s in roots}
    assert len(roots) == 3 and len(labels) == 1, "one chat's turns group under one session id"
    [model_turn] = [s for s in roots if s.name == "chat turn"]
    assert len([s for s in receiver.spans() if s.trace_id == model_turn.trace_id]) > 2  # its agent spans too
    [label] = labels
    assert {s.attributes["langfuse.session.id"] for s in roots} == {label}
    raw = receiver.raw_bytes()
    assert victim.session_hash.encode() not in raw and label != victim.session_hash
    assert re.fullmatch(r"[0-9a-f]{32}", label)

    thief = client(url, session_hash=label)
    assert thief.predict(api_name="/tickets") == []
    assert thief.predict(api_name="/workspace")["key"] != victim_key
    answer = json.dumps(thief.predict(ticket["id"], api_name="/confirm_ticket"))
    assert "Filled" not in answer and "executed" not in answer
    assert [t["id"] for t in victim.predict(api_name="/tickets")] == [ticket["id"]]


def test_config_serves_no_key_and_no_secret(server):
    """Item 12: `/config` carries Gradio's BrowserState secret (the page needs it to read its own storage), so it
    is no secret; what matters is that nothing it serves opens a workspace or is one of the app's secrets."""
    url, ui = server
    key = client(url).predict(api_name="/workspace")["key"]
    config = requests.get(url + "config", timeout=10)
    assert config.status_code == 200
    text = config.text
    assert key not in text
    state = [c for c in config.json()["components"] if c.get("type") == "browserstate"]
    assert len(state) == 1
    served = state[0]["props"]["secret"]
    for settings_secret in ui.settings.secret_values():
        assert settings_secret not in text
    refused = requests.get(url + "api/runs", headers={"X-Smol-Workspace": served}, timeout=10)
    assert refused.status_code in (400, 404)
    stranger = client(url, session_hash=served)
    assert stranger.predict(api_name="/workspace")["key"] != key
