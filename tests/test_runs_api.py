"""The plain-HTTP run/status API against the running app, with plain `requests`."""

from __future__ import annotations

import time

import pytest
import requests

from chat.runs import RunRegistry
from standins.live_app import running_app
from standins.scripted_model import ScriptedModel, Slow, final
from workspace.run_store import FAILED, RESTART_NOTE, RunRecord, RunStore

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop


def manager_reply(messages):
    if "slowly" in str(messages[-1]):
        return Slow(4, final("too late"))
    return final("NVDA: up 5% on the month.")


def scripted_team():
    return {"manager": ScriptedModel(default=manager_reply), "web_agent": ScriptedModel(), "trader": ScriptedModel()}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("runs")
    with running_app(data_dir, scripted_team, DATA_DIR=data_dir, RUNS_MAX_QUEUED=2) as (url, stack, ui):
        yield url, ui


def new_workspace(url: str) -> dict:
    """The header of a new workspace: the app makes the key (a key a client made up opens nothing)."""
    started = requests.post(url + "api/runs", json={"message": "/help"}, timeout=10)
    assert started.status_code == 202
    return {"X-Smol-Workspace": started.headers["X-Smol-Workspace"]}


def post(url: str, message: str, headers: dict | None = None) -> requests.Response:
    return requests.post(url + "api/runs", json={"message": message}, headers=headers or {}, timeout=10)


def wait(url: str, run_id: str, headers: dict, until=("done", "failed", "stopped"), timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        view = requests.get(f"{url}api/runs/{run_id}", headers=headers, timeout=10).json()
        if view["status"] in until or time.monotonic() > deadline:
            return view
        time.sleep(0.1)


def test_a_run_is_accepted_at_once_and_polled_to_its_answer(server):
    url, _ = server
    ALICE = new_workspace(url)
    started = post(url, "How did NVDA do this month?", ALICE)
    assert started.status_code == 202
    body = started.json()
    assert body["status"] == "queued" and body["workspace"] == ALICE["X-Smol-Workspace"]
    assert started.headers["Location"] == f"/api/runs/{body['id']}"
    view = wait(url, body["id"], ALICE)
    assert view["status"] == "done" and view["answer"] == "NVDA: up 5% on the month."
    kinds = [item["kind"] for item in view["items"]]
    assert kinds[0] == "step" and "final" in kinds
    assert all({"role", "kind", "content", "metadata"} <= set(item) for item in view["items"])


def test_a_slash_command_run_and_a_new_workspace_key_when_none_is_sent(server):
    url, _ = server
    started = post(url, "/help")
    assert started.status_code == 202
    key = started.json()["workspace"]
    assert started.headers["X-Smol-Workspace"] == key and len(key) >= 16
    view = wait(url, started.json()["id"], {"X-Smol-Workspace": key})
    assert view["status"] == "done" and "/quote" in view["answer"]


def test_deleting_a_workspace_deletes_its_runs(server):
    """Review of issue 22: a deleted (or idle-swept) workspace's runs stayed in the runs database for good: the
    person's messages and answers outlived "delete everything", and swept anonymous workspaces left them behind."""
    url, ui = server
    ALICE, BOB = new_workspace(url), new_workspace(url)
    kept = wait(url, post(url, "/help", BOB).json()["id"], BOB)
    run = wait(url, post(url, "How did NVDA do this month?", ALICE).json()["id"], ALICE)
    assert run["status"] == "done"
    alice_id = ui.runtime.workspaces.store.resolve_key(ALICE["X-Smol-Workspace"])
    store = ui.integrations.runs.store
    assert store.recent(alice_id)
    ui.runtime.workspaces.delete(alice_id)
    assert store.recent(alice_id) == [] and store.get(alice_id, run["id"]) is None
    assert store.get(ui.runtime.workspaces.store.resolve_key(BOB["X-Smol-Workspace"]), kept["id"]) is not None


def test_another_workspace_cannot_read_or_stop_a_run(server):
    url, _ = server
    ALICE, BOB = new_workspace(url), new_workspace(url)
    run_id = post(url, "/help", ALICE).json()["id"]
    wait(url, run_id, ALICE)
    assert requests.get(f"{url}api/runs/{run_id}", headers=BOB, timeout=10).status_code == 404
    assert requests.post(f"{url}api/runs/{run_id}/stop", headers=BOB, timeout=10).status_code == 404
    assert requests.get(f"{url}api/runs/{run_id}", timeout=10).status_code == 400  # no key at all
    assert requests.get(f"{url}api/runs/{run_id}", headers={"X-Smol-Workspace": "x"}, timeout=10).status_code == 400
    guessed = {"X-Smol-Workspace": "alice-workspace-key-0001"}  # well-formed, but no workspace has it
    refused = requests.get(f"{url}api/runs/{run_id}", headers=guessed, timeout=10)
    assert refused.status_code == 404 and refused.json() == requests.get(
        url + "api/runs", headers={"X-Smol-Workspace": "bob-workspace-key-000002"}, timeout=10).json()
    assert run_id not in [run["id"] for run in requests.get(url + "api/runs", headers=BOB, timeout=10).json()]
    assert run_id in [run["id"] for run in requests.get(url + "api/runs", headers=ALICE, timeout=10).json()]


def test_stop_ends_a_running_turn_and_the_queue_is_bounded(server):
    url, _ = server
    carol = new_workspace(url)
    wait(url, requests.get(url + "api/runs", headers=carol, timeout=10).json()[0]["id"], carol)
    first = post(url, "Think slowly about AAPL.", carol).json()["id"]
    second = post(url, "/help", carol).json()["id"]
    refused = post(url, "/help", carol)
    assert refused.status_code == 429 and "unfinished runs" in refused.json()["detail"]
    assert wait(url, first, carol, until=("running",))["status"] == "running"
    assert wait(url, second, carol, until=("running", "done"), timeout_s=0.5)["status"] == "queued"
    stopped = requests.post(f"{url}api/runs/{first}/stop", headers=carol, timeout=10)
    assert stopped.status_code == 200
    view = wait(url, first, carol)
    assert view["status"] == "stopped" and view["answer"] is None
    assert wait(url, second, carol)["status"] == "done"  # the queued run went ahead after the stop


def test_bad_input_is_a_clear_400(server):
    url, _ = server
    ALICE = new_workspace(url)
    response = post(url, "   ", ALICE)
    assert response.status_code == 400 and "empty" in response.json()["detail"]
    assert requests.post(url + "api/runs", json={}, timeout=10).status_code == 422


def test_orders_run_only_on_the_own_workspaces_ticket_id(server):
    url, _ = server
    ALICE, BOB = new_workspace(url), new_workspace(url)
    proposal = wait(url, post(url, "/buy 1 AAPL limit 100", ALICE).json()["id"], ALICE)
    tickets = [item["extra"]["ticket"] for item in proposal["items"] if item["kind"] == "ticket"]
    assert tickets and tickets[0]["status"] == "pending", proposal
    ticket_id = tickets[0]["id"]
    foreign = wait(url, post(url, f"/confirm {ticket_id}", BOB).json()["id"], BOB)
    assert f"There is no ticket {ticket_id!r}" in foreign["error"]
    own = wait(url, post(url, f"/confirm {ticket_id}", ALICE).json()["id"], ALICE)
    assert own["status"] == "done", own
    titles = [item["metadata"].get("title") for item in own["items"]]
    assert f"Ticket {ticket_id}: filled" in titles or f"Ticket {ticket_id}: order placed" in titles, own


def test_the_openapi_schema_documents_the_runs_api(server):
    url, _ = server
    schema = requests.get(url + "api/openapi.json", timeout=10).json()
    assert {"/api/runs", "/api/runs/{run_id}", "/api/runs/{run_id}/stop"} <= set(schema["paths"])
    assert "202" in schema["paths"]["/api/runs"]["post"]["responses"]
    status = schema["components"]["schemas"]["RunView"]["properties"]["status"]
    assert set(status["enum"]) == {"queued", "running", "done", "failed", "stopped"}


def test_finished_runs_outlive_a_restart_and_unfinished_ones_say_why(tmp_path):
    path = tmp_path / "runs.sqlite3"
    store = RunStore(path)
    store.save(RunRecord("r1", "ws-a", "hi", status="done", answer="hello", created=1.0, updated=2.0))
    store.save(RunRecord("r2", "ws-a", "slow", status="running", created=3.0, updated=3.0))
    store.close()
    registry = RunRegistry(chat=None, store=RunStore(path), session_of=lambda key: None)
    assert registry.get("ws-a", "r1").answer == "hello"
    assert registry.get("ws-b", "r1") is None
    interrupted = registry.get("ws-a", "r2")
    assert interrupted.status == FAILED and interrupted.error == RESTART_NOTE


def test_with_an_app_login_the_runs_api_wants_the_same_credentials(tmp_path):
    """APP_USERNAME/APP_PASSWORD protect Gradio's pages; the runs API must not be a way around them."""
    import asyncio

    import httpx
    from fastapi import FastAPI

    from api.clients import open_workspace
    from api.runs_routes import runs_router
    from chat.session import SessionStore
    from tests.harness import local_stack
    from workspace.access import Workspaces

    with local_stack(tmp_path, APP_USERNAME="ada", APP_PASSWORD="s3cret-pass") as stack:
        sessions = SessionStore(idle_seconds=60)
        registry = RunRegistry(stack.chat(None), RunStore(tmp_path / "runs.sqlite3"), sessions.get)
        workspaces = Workspaces.from_settings(stack.settings)
        opener = lambda key, client=None: open_workspace(workspaces, key, client)  # noqa: E731
        app = FastAPI(routes=runs_router(registry, stack.settings, opener).routes)

        async def calls():
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
                anonymous = await client.post("/api/runs", json={"message": "/help"})
                wrong = await client.post("/api/runs", json={"message": "/help"}, auth=("ada", "nope"))
                right = await client.post("/api/runs", json={"message": "/help"}, auth=("ada", "s3cret-pass"))
                return anonymous, wrong, right

        anonymous, wrong, right = asyncio.run(calls())
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Basic"
        assert wrong.status_code == 401
        assert right.status_code == 202
        registry.close()
