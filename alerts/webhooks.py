"""Webhook delivery: one JSON POST per notification, retried with backoff; works with ntfy, Slack and Discord.

The payload carries `text` (Slack), `content` (Discord), `title`/`message` (ntfy's JSON publishing, which
also wants `topic`: taken from the URL path) plus the structured notification under `smol_trader`.

`Poster` is the one thing that reaches the network: `poster(url, payload) -> HTTP status`, raising on a
connection failure. The app's (`egress_poster`) goes through `egress.Egress`, the same rules as the web tools:
redirects followed by hand (at most 5 hops; 307/308 repeat the POST, 301/302/303 become a GET without the payload),
every hop checked, private/loopback/link-local/metadata addresses refused unless `WEB_ALLOW_PRIVATE_HOSTS`, the
connection pinned to the checked address, secrets refused in URL and payload. `deliver()` bounds one delivery
(every try and backoff) by a total time limit: a host that accepts the connection and never answers costs at most
that limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from alerts.rules import AlertInputError

Poster = Callable[[str, dict], int]
DEFAULT_TRIES = 3
DEFAULT_TIME_LIMIT_S = 20.0  # one delivery, all tries and backoffs included
THREAD_GRACE_S = 0.5  # a try's thread ends this long after the limit the delivery is judged failed at


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool
    attempts: int
    detail: str  # "HTTP 200", "HTTP 500 after 3 tries", "connection refused", "timed out: no answer within 20 s"


def check_webhook_url(url: str) -> str:
    """A webhook URL fit to store (http/https with a host), or `AlertInputError`."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AlertInputError("A webhook must be an http:// or https:// URL, e.g. https://ntfy.sh/my-topic.")
    if parts.username or parts.password:
        raise AlertInputError("Put no user name or password in the webhook URL.")
    if len(url) > 500:
        raise AlertInputError("That webhook URL is too long (500 characters at most).")
    return url


def post_url(url: str) -> str:
    """Where to POST: an ntfy topic URL (https://ntfy.sh/TOPIC) goes to the server root, ntfy's JSON publishing
    endpoint (the topic travels in the payload); every other URL as given."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if "ntfy" in (parts.hostname or "") and len(segments) == 1:
        return f"{parts.scheme}://{parts.netloc}/"
    return url


def payload_for(url: str, title: str, body: str, data: dict) -> dict:
    message = f"{title}\n{body}".strip()
    topic = urlsplit(url).path.strip("/").split("/")[-1] if urlsplit(url).path.strip("/") else ""
    payload: dict[str, Any] = {"text": message, "content": message[:2000], "title": title, "message": body,
                               "smol_trader": data}
    if topic:
        payload["topic"] = topic
    return payload


def egress_poster(egress) -> Poster:
    """One JSON POST through the app's egress (`egress.Egress`): every redirect hop checked, private and metadata
    addresses refused unless allowed, the connection pinned to the checked address, secrets refused in the URL and
    the payload. A refusal becomes `PermissionError`, which `deliver()` does not retry."""
    from egress import EgressError, EgressUnreachable

    def post(url: str, payload: dict, time_left_s: float | None = None) -> int:
        try:
            return egress.post_json(url, payload, total_timeout_s=time_left_s).status
        except EgressUnreachable as exc:  # allowed but not answering: deliver() tries again
            raise ConnectionError(exc.user_message) from None
        except EgressError as exc:
            raise PermissionError(f"refused: {exc.user_message}") from None

    post.takes_time_left = True  # deliver() hands it the delivery's remaining time: its thread ends by then
    return post


def deliver(poster: Poster, url: str, payload: dict, *, tries: int = DEFAULT_TRIES, backoff_s: float = 1.0,
            sleep: Callable[[float], None] = time.sleep, time_limit_s: float | None = DEFAULT_TIME_LIMIT_S,
            clock: Callable[[], float] = time.monotonic) -> DeliveryResult:
    """POST until a 2xx answer, at most `tries` times, waiting backoff_s, 2*backoff_s, … in between, all within
    `time_limit_s` (None: no limit): a try still waiting at the limit is abandoned and the delivery failed."""
    deadline = None if time_limit_s is None else clock() + time_limit_s
    detail = ""
    for attempt in range(1, tries + 1):
        try:
            status = poster(url, payload) if deadline is None else _within(deadline - clock(), poster, url, payload)
        except PermissionError as exc:  # refused by policy: retrying cannot help
            return DeliveryResult(False, attempt, str(exc))
        except _OutOfTime:
            return DeliveryResult(False, attempt, f"timed out: no answer within the {time_limit_s:g} s limit")
        except Exception as exc:  # network errors of any client library
            detail = _network_problem(exc)
        else:
            if 200 <= status < 300:
                return DeliveryResult(True, attempt, f"HTTP {status}")
            detail = f"HTTP {status}"
            if 400 <= status < 500 and status not in (408, 429):
                return DeliveryResult(False, attempt, detail)  # the URL is wrong: retrying cannot help
        if attempt < tries:
            wait = backoff_s * 2 ** (attempt - 1)
            if deadline is not None and clock() + wait >= deadline:
                return DeliveryResult(False, attempt, f"{detail}; gave up at the {time_limit_s:g} s limit after "
                                                      f"{attempt} {'try' if attempt == 1 else 'tries'}")
            sleep(wait)
    return DeliveryResult(False, tries, f"{detail} after {tries} tries")


class _OutOfTime(Exception):
    pass


def _within(seconds: float, poster: Poster, url: str, payload: dict) -> int:
    """`poster(url, payload)` in a daemon thread, waited for at most `seconds`; past the limit `_OutOfTime` is
    raised. A poster that takes the time left (`takes_time_left`, as the app's egress poster does) is given it as
    its total deadline (plus `THREAD_GRACE_S`, so the limit is reported as such), so its thread ends then instead
    of lingering."""
    if seconds <= 0:
        raise _OutOfTime()
    outcome: dict[str, object] = {}
    bounded = bool(getattr(poster, "takes_time_left", False))

    def attempt() -> None:
        try:
            outcome["status"] = (poster(url, payload, time_left_s=seconds + THREAD_GRACE_S) if bounded
                                 else poster(url, payload))
        except BaseException as exc:  # handed to the waiting thread
            outcome["error"] = exc

    worker = threading.Thread(target=attempt, name="webhook-post", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _OutOfTime()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["status"]  # type: ignore[return-value]


def _network_problem(exc: Exception) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "timed out" in text or "timeout" in text or "did not answer" in text:  # the last: egress's wording
        return "timed out"
    if "name" in text and "resolv" in text:
        return "host does not resolve"
    return type(exc).__name__ + ("" if getattr(exc, "user_message", None) is None else f": {exc.user_message}")
