"""The request-body cap: a pure ASGI middleware in front of every route (issue 22, item 7).

A request whose `Content-Length` says more than the cap is answered 413 before one byte of its body is read; a
body without a length (chunked) is counted as it is read and answered 413 the moment it passes the cap, so no
route ever holds more than the cap of one request. `/api/...` and `/mcp` take MAX_REQUEST_BYTES (1 MB); Gradio's
own routes take MAX_UI_REQUEST_BYTES, because a chat sends its whole history back with each message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

API_PREFIXES = ("/api/", "/mcp")


class BodyTooLarge(Exception):
    """Raised into the route that was reading a body past the cap (the 413 is already sent)."""


def limit_for(settings: Any) -> Callable[[str], int]:
    """The cap of a request path: MAX_REQUEST_BYTES for our API routes, MAX_UI_REQUEST_BYTES for Gradio's."""
    api, ui = settings.max_request_bytes, settings.max_ui_request_bytes

    def limit(path: str) -> int:
        return api if path.startswith(API_PREFIXES) or path == "/api" else ui

    return limit


def _message(limit: int, setting: str) -> bytes:
    return json.dumps({"detail": f"The request body is too large: the limit is {limit:,} bytes ({setting})."}
                      ).encode()


class BodyLimit:
    """ASGI middleware: `BodyLimit(app, limit_of=limit_for(settings))`."""

    def __init__(self, app: Any, limit_of: Callable[[str], int], api_limit_name: str = "MAX_REQUEST_BYTES",
                 ui_limit_name: str = "MAX_UI_REQUEST_BYTES"):
        self.app = app
        self.limit_of = limit_of
        self.names = (api_limit_name, ui_limit_name)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.limit_of(path)
        setting = self.names[0] if path.startswith(API_PREFIXES) else self.names[1]
        declared = next((value for name, value in scope.get("headers", ()) if name == b"content-length"), None)
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                await _reply(send, 400, json.dumps({"detail": "Content-Length is not a number."}).encode())
                return
            if length > limit:
                await _reply(send, 413, _message(limit, setting))
                return
        state = {"read": 0, "started": False, "refused": False}

        async def counted_receive() -> dict:
            message = await receive()
            if message["type"] == "http.request":
                state["read"] += len(message.get("body", b""))
                if state["read"] > limit:
                    if not state["started"]:
                        state["refused"] = True
                        await _reply(send, 413, _message(limit, setting))
                    raise BodyTooLarge(f"more than {limit} bytes")
            return message

        async def guarded_send(message: dict) -> None:
            if state["refused"]:
                return  # the 413 went out; whatever the route answers to the interrupted read is dropped
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:  # BodyTooLarge, or what the route made of it (FastAPI turns a failed read into a 400)
            if not state["refused"]:
                raise


async def _reply(send: Callable, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def trust_proxies(settings: Any, environ: Any = None) -> str:
    """Make the server believe `X-Forwarded-For` only from TRUSTED_PROXIES (issue 22, item 9); returns the value.

    Gradio serves the app with uvicorn, whose proxy-header middleware rewrites the client address of every request
    from `X-Forwarded-For` when the peer is in FORWARDED_ALLOW_IPS, which defaults to 127.0.0.1 and ::1: anyone
    on the machine (or a local tunnel) could then name any address and pass the per-address limits. uvicorn reads
    FORWARDED_ALLOW_IPS when Gradio builds the server, so it is set here, from our setting, just before launch;
    empty trusts no one. Every address the app counts (`request.client.host`: quota, MCP rate, new workspaces)
    is the one uvicorn resolved under this rule."""
    import os

    environ = os.environ if environ is None else environ
    value = ",".join(settings.trusted_proxies)
    environ["FORWARDED_ALLOW_IPS"] = value
    return value
