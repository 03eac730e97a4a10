"""Added latency of the edge checks of issue 22 (identity and request bounds), per request.

Each new check is timed alone (the keyed hash a turn's spans carry, the new-workspace allowance, the proxy rule
uvicorn applies to every request under TRUSTED_PROXIES), and the request-body cap is timed as the difference it
makes to a whole request through the same FastAPI app, with and without it (in process, over ASGI, so the
network's noise does not hide a fraction of a millisecond). Target: at most 1 ms a request.

Prints a table; asserts nothing (speed is reported, not tested).
Run: python -m benchmarks.bench_edges_identity
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable

import httpx
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.middleware import Middleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.request_limits import BodyLimit, limit_for
from core.settings import load_settings
from telemetry import Tracing
from workspace.creation_limit import CreationLimit, address_bucket


def timed(label: str, runs: int, fn: Callable[[int], object]) -> tuple[str, int, float, float]:
    fn(0)
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return label, runs, statistics.median(samples), max(samples)


class Body(BaseModel):
    message: str


def api(with_cap: bool) -> FastAPI:
    settings = load_settings({}, dotenv_path=None)
    middleware = [Middleware(BodyLimit, limit_of=limit_for(settings))] if with_cap else []
    app = FastAPI(middleware=middleware)

    @app.post("/api/runs")
    def create(body: Body) -> dict:
        return {"length": len(body.message)}

    return app


def request_times(apps: dict[str, object], runs: int, payload: dict) -> dict[str, list[float]]:
    """Per-request times of the same POST through each app, interleaved (a, b, a, b, ...) so drift hits both."""
    async def main() -> dict[str, list[float]]:
        samples: dict[str, list[float]] = {name: [] for name in apps}
        clients = {name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app")
                   for name, app in apps.items()}
        for client in clients.values():
            for _ in range(50):
                await client.post("/api/runs", json=payload)
        for _ in range(runs):
            for name, client in clients.items():
                start = time.perf_counter()
                await client.post("/api/runs", json=payload)
                samples[name].append((time.perf_counter() - start) * 1000)
        for client in clients.values():
            await client.aclose()
        return samples

    return asyncio.run(main())


def bare_asgi(with_cap: bool, body: bytes) -> Callable[[int], object]:
    """One request through a bare ASGI app that reads its body and answers, with or without the body cap."""
    async def endpoint(scope, receive, send):
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    settings = load_settings({}, dotenv_path=None)
    app = BodyLimit(endpoint, limit_of=limit_for(settings)) if with_cap else endpoint
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    loop = asyncio.new_event_loop()

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        return None

    def one(i: int) -> object:
        scope = {"type": "http", "method": "POST", "path": "/api/runs", "headers": headers}
        return loop.run_until_complete(app(scope, receive, send))

    return one


def proxy_rule(trusted: str) -> Callable[[int], object]:
    """uvicorn's proxy-header middleware over an empty app: one request scope from 127.0.0.1 with a forged header."""
    async def empty(scope, receive, send):
        return None

    middleware = ProxyHeadersMiddleware(empty, trusted_hosts=trusted)
    loop = asyncio.new_event_loop()

    def one(i: int) -> object:
        forged = [(b"x-forwarded-for", f"203.0.113.{i % 250}".encode())]
        scope = {"type": "http", "client": ("127.0.0.1", 5000), "headers": forged}
        return loop.run_until_complete(middleware(scope, None, None))

    return one


def main() -> None:
    tracing = Tracing(session_secret="bench-secret")
    limit = CreationLimit(per_address=10**9, per_day=10**9)
    rows = [
        timed("span session label (HMAC-SHA256), once a turn", 20000,
              lambda i: tracing.session_label(f"session-hash-{i}")),
        timed("new-workspace allowance (IPv4 address)", 20000, lambda i: limit.admit(f"198.51.100.{i % 250}")),
        timed("new-workspace allowance (IPv6 address, by /64)", 20000,
              lambda i: limit.admit(f"2001:db8:{i % 250:x}::1")),
        timed("address bucket of an IPv6 address", 20000, lambda i: address_bucket(f"2001:db8:{i % 250:x}::1")),
        timed("proxy rule, trust none (TRUSTED_PROXIES empty)", 2000, proxy_rule("")),
        timed("proxy rule, uvicorn's default (127.0.0.1 trusted)", 2000, proxy_rule("127.0.0.1,::1")),
    ]
    for size, label in ((100, "100 B"), (100_000, "100 kB")):
        body = b'{"message": "' + b"x" * size + b'"}'
        plain = timed(f"bare ASGI request {label}, no body cap", 20000, bare_asgi(False, body))
        capped = timed(f"bare ASGI request {label}, with the body cap", 20000, bare_asgi(True, body))
        rows += [plain, capped, (f"  added by the body cap ({label})", 20000, capped[2] - plain[2], float("nan"))]
    times = request_times({"plain": api(False), "capped": api(True)}, 1000, {"message": "x" * 100})
    rows += [("POST /api/runs through FastAPI, no body cap", 1000, statistics.median(times["plain"]),
              max(times["plain"])),
             ("POST /api/runs through FastAPI, with the body cap", 1000, statistics.median(times["capped"]),
              max(times["capped"]))]
    print(f"| {'operation':<54} | {'runs':>5} | {'median ms':>9} | {'max ms':>8} |")
    print(f"|{'-' * 56}|{'-' * 7}|{'-' * 11}|{'-' * 10}|")
    for label, runs, median, worst in rows:
        print(f"| {label:<54} | {runs:>5} | {median:>9.4f} | {worst:>8.3f} |")


if __name__ == "__main__":
    main()
