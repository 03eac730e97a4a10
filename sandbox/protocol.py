"""The worker wire format: one JSON object per line, both ways (stdlib only).

Nothing from the worker is ever unpickled: the app reads worker messages with `json.loads` only,
bounds their size, and checks their shape (`check_message`). Values sent either way are plain data;
anything else is turned into its `str()` by the sender.
"""

from __future__ import annotations

import json
import os
import select
import time
from typing import Any

MAX_MESSAGE_BYTES = 8 * 1024 * 1024

# What each worker message must carry: op -> {field: type}
WORKER_MESSAGES: dict[str, dict[str, type | tuple]] = {
    "ready": {"hardening": dict},
    "ok": {},
    "call": {"name": str, "args": list, "kwargs": dict},
    "done": {"logs": str, "final": bool},
    "error": {"error": str, "logs": str, "kind": str},
}


class ProtocolError(Exception):
    """The other side sent something that is not a valid message (or closed the pipe)."""


class ChannelClosed(ProtocolError):
    """The other side is gone."""


def _plain(value: Any) -> Any:
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__}>"


def encode(message: dict) -> bytes:
    """One line of JSON; values JSON cannot carry become their str()."""
    try:
        text = json.dumps(message, default=_plain, ensure_ascii=True)
    except (ValueError, TypeError, RecursionError):  # circular or too deep: send the text instead
        text = json.dumps({k: (v if isinstance(v, (str, bool, int, float)) or v is None else _plain(v))
                           for k, v in message.items()}, ensure_ascii=True)
    return text.encode("ascii") + b"\n"


def check_message(message: Any) -> dict:
    """The message if it has a known op and the fields that op needs, else ProtocolError."""
    if not isinstance(message, dict) or not isinstance(message.get("op"), str):
        raise ProtocolError("not a message")
    shape = WORKER_MESSAGES.get(message["op"])
    if shape is None:
        raise ProtocolError(f"unknown op {message['op'][:40]!r}")
    for name, kind in shape.items():
        if not isinstance(message.get(name), kind):
            raise ProtocolError(f"{message['op']}: bad field {name}")
    if message["op"] == "call" and not all(isinstance(k, str) for k in message["kwargs"]):
        raise ProtocolError("call: keyword names must be strings")
    return message


def readable_within(fd: int, timeout_s: float | None) -> bool:
    """True when `fd` can be read (data or end of file) within `timeout_s` seconds (None: wait for it).

    poll(), not select(): select() refuses descriptors numbered 1024 or more, which a busy app holds.
    """
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    try:
        return bool(poller.poll(None if timeout_s is None else int(timeout_s * 1000 + 0.999)))
    except (OSError, ValueError) as exc:
        raise ChannelClosed(str(exc)) from None


class Channel:
    """Reads and writes message lines on two file descriptors; reads have a deadline."""

    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd = read_fd
        self.write_fd = write_fd
        self._buffer = b""

    def send(self, message: dict) -> None:
        data = encode(message)
        try:
            while data:
                written = os.write(self.write_fd, data)
                data = data[written:]
        except OSError as exc:
            raise ChannelClosed(str(exc)) from None

    def receive(self, timeout_s: float | None = None) -> dict | None:
        """The next message (a dict, unchecked), or None when `timeout_s` passed first."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_MESSAGE_BYTES:
                raise ProtocolError("message too long")
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not readable_within(self.read_fd, wait):
                return None
            try:
                chunk = os.read(self.read_fd, 1 << 16)
            except OSError as exc:
                raise ChannelClosed(str(exc)) from None
            if not chunk:
                raise ChannelClosed("the other side closed the pipe")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise ProtocolError(f"not JSON: {exc}") from None
