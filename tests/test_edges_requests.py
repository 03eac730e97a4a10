"""Bounded requests at the edge (issue 22, items 7, 8 and 9), against the live app on 127.0.0.1.

Item 7: a body larger than the cap is refused (413) on its Content-Length before it is read, and a chunked body the
moment it passes the cap. Item 8: keyless clients cannot make workspaces without end. Item 9: `X-Forwarded-For`
is believed only from TRUSTED_PROXIES, so a keyless MCP caller rotating it still meets the rate limit.
"""

from __future__ import annotations

import asyncio
import socket
import time
from urllib.parse import urlparse

import pytest
import requests
from gradio_client import Client
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

from tests.live_app import running_app
from tests.scripted_model import ScriptedModel

pytestmark = pytest.mark.slow  # its tests take seconds in total (servers, subprocesses, workers): out of the fast loop

LIMIT = "the limit is 3 per minute"


def team():
    return {"manager": ScriptedModel(), "web_agent": ScriptedModel(), "trader": ScriptedModel()}


def workspaces_made(stack) -> int:
    """Workspaces in the app's store (SQLite or PostgreSQL, through the store's own database handle)."""
    return stack.runtime.workspaces.store.db.one("SELECT COUNT(*) FROM workspaces")[0]


def raw_post(url: str, path: str, head: dict[str, str], body_chunks,
             read_timeout_s: float = 10) -> tuple[int, int, str]:
    """(status, bytes of body sent before the answer came, answer body) of a POST written by hand on a socket:
    the body is sent piece by piece and sending stops as soon as the server has answered."""
    where = urlparse(url)
    sock = socket.create_connection((where.hostname, where.port), timeout=read_timeout_s)
    lines = [f"POST {path} HTTP/1.1", f"Host: {where.hostname}:{where.port}", "Content-Type: application/json",
             *(f"{k}: {v}" for k, v in head.items()), "", ""]
    sock.sendall("\r\n".join(lines).encode())
    sent = 0
    sock.setblocking(False)
    answer = b""
    try:
        for chunk in body_chunks:
            try:
                answer += sock.recv(65536)
            except BlockingIOError:
                pass
            if answer:
                break
            try:
                sock.sendall(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        sock.setblocking(True)
        sock.settimeout(read_timeout_s)
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    finally:
        sock.close()
    head_text, _, body = answer.partition(b"\r\n\r\n")
    return int(head_text.split()[1]), sent, body.decode(errors="replace")


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def chunked(total: int, piece: int = 65536):
    left = total
    while left > 0:
        size = min(piece, left)
        yield f"{size:x}\r\n".encode() + b"x" * size + b"\r\n"
        left -= size
    yield b"0\r\n\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("edges-requests")
    with running_app(tmp, team, DATA_DIR=tmp / "data", RATE_LIMIT_TURNS_PER_MINUTE=3) as (url, stack, ui):
        yield url, ui, stack


# --- item 7: the request-body cap ---------------------------------------------------------------------------------
def test_a_declared_100_mb_run_is_refused_before_its_body_is_read(server):
    url, ui, stack = server
    before = workspaces_made(stack)
    started = time.monotonic()
    status, sent, body = raw_post(url, "/api/runs", {"Content-Length": str(100_000_000)}, [b'{"message": "'])
    assert status == 413 and "The request body is too large: the limit is 1,000,000 bytes (MAX_REQUEST_BYTES)" in body
    assert sent <= 13  # answered with 99,999,987+ bytes still to come (often before the first): it did not wait
    assert time.monotonic() - started < 5
    assert workspaces_made(stack) == before  # nothing was made of it


def test_a_chunked_body_is_refused_as_it_passes_the_cap(server):
    url, ui, data = server
    status, sent, body = raw_post(url, "/api/runs", {"Transfer-Encoding": "chunked"}, chunked(50_000_000))
    assert status == 413 and "MAX_REQUEST_BYTES" in body
    assert sent < 20_000_000  # refused while sending (what was sent past 1 MB sat in the sockets' buffers)


def test_a_large_post_with_requests_is_a_clear_413_and_a_small_one_reaches_the_route(server):
    url, _, _ = server
    big = requests.post(url + "api/runs", data=b'{"message": "' + b"x" * 1_200_000 + b'"}',
                        headers={"Content-Type": "application/json"}, timeout=10)
    assert big.status_code == 413 and "1,000,000 bytes" in big.json()["detail"]
    under = requests.post(url + "api/runs", json={"message": "x" * 900_000}, timeout=10)
    assert under.status_code == 400 and "long" in under.json()["detail"]  # read, and refused by the route itself


def test_gradio_routes_have_their_own_cap(server):
    url, _, _ = server
    status, _, body = raw_post(url, "/gradio_api/queue/join", {"Content-Length": str(50_000_000)},
                               (b"x" * 65536 for _ in range(10)))
    assert status == 413 and "MAX_UI_REQUEST_BYTES" in body


def test_the_served_app_has_both_the_body_cap_and_the_content_security_policy(server):
    """Review of issue 22: the app once handed Gradio the policy middleware in place of the body cap (a merge kept
    one list and dropped the other), so a 100 MB body was read whole again. Both must be on the served app."""
    url, _, _ = server
    big = requests.post(url + "api/runs", data=b"x" * 1_100_000, headers={"Content-Type": "application/json"},
                        timeout=10)
    assert big.status_code == 413 and "MAX_REQUEST_BYTES" in big.json()["detail"]
    page = requests.get(url, timeout=10)
    assert "img-src 'self' data: blob:" in page.headers.get("content-security-policy", "")


# --- item 9: X-Forwarded-For only from trusted proxies ----------------------------------------------------------
def mcp_call(url: str, headers: dict) -> object:
    async def main():
        async with streamablehttp_client(url + "mcp", headers=headers) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await session.call_tool("symbol_search", {"query": "Apple"})

    return asyncio.run(main())


def rotating_calls(url: str, count: int) -> list:
    return [mcp_call(url, {"X-Forwarded-For": f"203.0.113.{n + 1}"}) for n in range(count)]


def test_keyless_mcp_callers_rotating_x_forwarded_for_still_meet_the_rate_limit(server):
    url, _, _ = server
    time.sleep(0)  # the module's other tests sent no keyless MCP call
    results = rotating_calls(url, 5)
    assert [r.isError for r in results] == [False, False, False, True, True]
    assert LIMIT in results[-1].content[0].text


def test_a_trusted_proxy_is_believed(tmp_path):
    """The same rotation from a trusted proxy (TRUSTED_PROXIES=127.0.0.1) is five addresses: the header is read."""
    with running_app(tmp_path, team, DATA_DIR=tmp_path / "data", RATE_LIMIT_TURNS_PER_MINUTE=3,
                     TRUSTED_PROXIES="127.0.0.1,::1") as (url, _, _):
        assert [r.isError for r in rotating_calls(url, 5)] == [False] * 5
        same = [mcp_call(url, {"X-Forwarded-For": "203.0.113.9, 127.0.0.1"}) for _ in range(4)]
        assert [r.isError for r in same] == [False, False, False, True]  # the client the proxy saw, not the proxy


# --- item 8: anonymous workspaces per address and per day -------------------------------------------------------
def test_300_keyless_runs_do_not_make_300_workspaces(tmp_path):
    with running_app(tmp_path, team, DATA_DIR=tmp_path / "data", RUNS_MAX_QUEUED=1) as (url, stack, _):
        session = requests.Session()
        answers = [session.post(url + "api/runs", json={"message": "/help"}, timeout=10) for _ in range(300)]
        made = [a for a in answers if a.status_code == 202]
        refused = [a for a in answers if a.status_code == 429]
        assert len(made) == 50 == stack.settings.anon_workspaces_per_address_day
        assert len(refused) == 250 and workspaces_made(stack) == 50
        detail = refused[-1].json()["detail"]
        assert detail.startswith("Too many new workspaces from your address today (the limit is 50 a day).")
        assert 1 <= int(refused[-1].headers["Retry-After"]) <= 86401
        key = made[0].headers["X-Smol-Workspace"]  # a key still opens its workspace
        assert session.post(url + "api/runs", json={"message": "/help"}, headers={"X-Smol-Workspace": key},
                            timeout=10).status_code in (202, 429)
        assert session.get(url + "api/runs", headers={"X-Smol-Workspace": key}, timeout=10).status_code == 200


def test_gradio_clients_without_a_key_share_the_same_allowance(tmp_path):
    with running_app(tmp_path, team, DATA_DIR=tmp_path / "data", ANON_WORKSPACES_PER_ADDRESS_DAY=2) \
            as (url, stack, _):
        def fresh():
            return Client(url, verbose=False, analytics_enabled=False, download_files=False)

        keys = [fresh().predict(api_name="/workspace")["key"] for _ in range(2)]
        with pytest.raises(Exception, match="Too many new workspaces from your address today"):
            fresh().predict(api_name="/workspace")
        refused = requests.post(url + "api/runs", json={"message": "/help"}, timeout=10)
        assert refused.status_code == 429
        keyed = Client(url, verbose=False, analytics_enabled=False, download_files=False,
                       headers={"X-Smol-Workspace": keys[0]})
        assert keyed.predict(api_name="/workspace")["key"] == keys[0]
        assert workspaces_made(stack) == 2


# --- the allowance and the settings, without a server -------------------------------------------------------------
def test_the_allowance_counts_per_address_per_day_and_in_all():
    from workspace.creation_limit import CreationLimit, NewWorkspaceRefused, address_bucket

    now = [86400 * 20_000 + 3600.0]  # 01:00 UTC
    limit = CreationLimit(per_address=2, per_day=5, clock=lambda: now[0])
    for _ in range(2):
        limit.admit("198.51.100.7")
    with pytest.raises(NewWorkspaceRefused, match=r"the limit is 2 a day\).*try again in 23 h 0 min") as refused:
        limit.admit("198.51.100.7")
    assert refused.value.retry_after_s == 23 * 3600
    limit.admit("2001:db8:1:2::1")
    limit.admit("2001:db8:1:2:ffff::9")  # the same /64: one machine's range
    with pytest.raises(NewWorkspaceRefused):
        limit.admit("2001:db8:1:2::77")
    assert address_bucket("::ffff:198.51.100.7") == "198.51.100.7"
    limit.admit("203.0.113.1")
    with pytest.raises(NewWorkspaceRefused, match=r"as many new workspaces today as it makes in a day \(5\)"):
        limit.admit("203.0.113.2")
    now[0] += 23 * 3600  # the next UTC day
    limit.admit("198.51.100.7")


def test_trusted_proxies_must_be_addresses_or_networks():
    from core.settings import SettingsError, load_settings
    from tests.harness import settings_for

    assert settings_for().trusted_proxies == ()
    assert settings_for(TRUSTED_PROXIES="10.0.0.0/8, ::1").trusted_proxies == ("10.0.0.0/8", "::1")
    for wrong in ("*", "proxy.internal", "10.0.0.0/33"):
        with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
            load_settings({"TRUSTED_PROXIES": wrong}, dotenv_path=None)


def test_launch_hands_uvicorn_only_the_trusted_proxies():
    from api.request_limits import trust_proxies
    from tests.harness import settings_for

    environ = {"FORWARDED_ALLOW_IPS": "*"}
    assert trust_proxies(settings_for(), environ) == "" == environ["FORWARDED_ALLOW_IPS"]
    assert trust_proxies(settings_for(TRUSTED_PROXIES="10.0.0.0/8"), environ) == "10.0.0.0/8"
