"""`Egress`: GET and POST JSON that follow redirects hop by hop, each hop checked and pinned to its checked address."""

from __future__ import annotations

import heapq
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util.ssl_match_hostname import CertificateError

from core.text import KNOWN_SECRETS, carries_secret
from egress.policy import AddressPolicy, EgressError, EgressUnreachable, Resolver, system_resolver

MAX_HOPS = 5
REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_MAX_BYTES = 3_000_000
DEFAULT_TOTAL_TIMEOUT_S = 30.0  # one request, every hop, connect and all reads together
USER_AGENT = "Mozilla/5.0 (SmolTrader page reader)"
SECRET_REFUSAL = ("the URL carries a secret value of this app (in some encoding); "
                  "sending secrets out is not allowed, so nothing was requested.")


@dataclass(frozen=True)
class EgressResponse:
    url: str  # the final URL, after redirects
    status: int
    headers: Mapping[str, str]
    body: bytes
    address: str  # the IP address the final hop connected to
    hops: tuple[str, ...] = field(default=())  # every URL requested, in order

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def encoding(self) -> str:
        for part in self.content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip('"')
        return "utf-8"

    def text(self) -> str:
        try:
            return self.body.decode(self.encoding, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class _Hop:
    scheme: str
    host: str
    port: int
    address: str
    target: str  # path and query

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


class Egress:
    """Outbound HTTP(S) for URLs a model or a person chose.

    `secrets` (a list, or a callable returning one) are refused in URLs in any spelling, together
    with the visitors' tokens in `core.text.KNOWN_SECRETS`. `resolver` maps (host, port) to
    addresses; it is asked once per hop and the connection goes to the address that was checked.
    """

    def __init__(self, *, allow_private: bool = False, timeout_s: float = 10.0,
                 secrets: Iterable[str] | Callable[[], Iterable[str]] = (), resolver: Resolver | None = None,
                 allowed_endpoints: Iterable[tuple[str, int]] = (), user_agent: str = USER_AGENT,
                 max_hops: int = MAX_HOPS, ca_certs: str | None = None,
                 total_timeout_s: float = DEFAULT_TOTAL_TIMEOUT_S):
        self.policy = AddressPolicy(allow_private, allowed_endpoints)
        self.timeout_s = timeout_s  # one connect, or one wait for bytes
        self.total_timeout_s = total_timeout_s  # the whole request: `requests`-style per-read timeouts never add up
        self._secrets = secrets
        self.resolver = resolver or system_resolver
        self.user_agent = user_agent
        self.max_hops = max_hops
        self.ca_certs = ca_certs  # a CA bundle file; default: certifi's

    # -- checks ------------------------------------------------------------------------
    def secrets(self) -> list[str]:
        own = self._secrets() if callable(self._secrets) else self._secrets
        return [*own, *KNOWN_SECRETS.values()]

    def check_text(self, text: str, what: str = "URL") -> None:
        """Refuse `text` (a URL, a search query) that carries a secret in any spelling."""
        if carries_secret(text, self.secrets()):
            raise EgressError(SECRET_REFUSAL.replace("the URL", f"the {what}"))

    def _hop(self, url: str, check_secrets: bool = True) -> _Hop:
        if check_secrets:
            self.check_text(url)
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise EgressError(f"{url!r} is not a valid URL.") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EgressError(f"{url!r} is not an http(s) URL.")
        if parts.username or parts.password:
            raise EgressError("URLs with a user name or password are not allowed.")
        host = parts.hostname
        port = port or (443 if parts.scheme == "https" else 80)
        self.policy.check_name(host)
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            addresses = self.resolver(host, port)  # the one resolution of this hop
        if not addresses:
            raise EgressError(f"the name {host} could not be resolved.")
        for address in addresses:  # every address the name has must pass, not just the one we use
            self.policy.check(host, address, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return _Hop(parts.scheme, host, port, addresses[0], target)

    # -- one hop ---------------------------------------------------------------------------
    def _connection(self, hop: _Hop, timeout_s: float) -> HTTPConnection:
        if hop.scheme == "https":
            import certifi

            is_ip = hop.host == hop.address
            return HTTPSConnection(hop.address, hop.port, timeout=timeout_s, cert_reqs="CERT_REQUIRED",
                                   ca_certs=self.ca_certs or certifi.where(),
                                   server_hostname=None if is_ip else hop.host, assert_hostname=hop.host)
        return HTTPConnection(hop.address, hop.port, timeout=timeout_s)

    def _send(self, hop: _Hop, method: str, body: bytes | None, headers: Mapping[str, str],
              max_bytes: int, deadline: float, total_s: float) -> tuple[int, dict[str, str], bytes]:
        """One request on a fresh connection to the checked address. Each connect or wait for bytes is bounded by
        `timeout_s`, and the whole exchange by `deadline` (time.monotonic): a watchdog shuts the socket down then,
        however slowly the server drips its headers or body."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise EgressUnreachable(f"{hop.host} was not reached within the {total_s:g} s limit for one request.")
        conn = self._connection(hop, min(self.timeout_s, remaining))
        watchdog = _Watchdog(conn, remaining)
        sent = {"Host": hop.host_header, "User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate",
                **headers}
        try:
            conn.request(method, hop.target, body=body, headers=sent, preload_content=False)
            watchdog.hold(conn.sock)  # http.client drops conn.sock once a "Connection: close" answer starts
            response = conn.getresponse()
            data = response.read(max_bytes, decode_content=True) if method != "HEAD" else b""
            if watchdog.fired:  # the socket was shut mid-read: what was read is not the whole answer
                raise EgressUnreachable(f"{hop.host} did not send its answer within the {total_s:g} s limit "
                                        "for one request.")
            return response.status, {k.lower(): v for k, v in response.headers.items()}, data
        except EgressError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure of the exchange becomes one of two messages
            if watchdog.fired:
                raise EgressUnreachable(f"{hop.host} did not send its answer within the {total_s:g} s limit "
                                        "for one request.") from None
            raise _failure(hop, exc, self.timeout_s) from None
        finally:
            watchdog.cancel()
            conn.close()

    # -- requests ------------------------------------------------------------------------------
    def request(self, method: str, url: str, *, body: bytes | None = None, headers: Mapping[str, str] | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES, url_is_configured: bool = False,
                total_timeout_s: float | None = None) -> EgressResponse:
        """`method url`, following up to `max_hops` redirects, each checked before it is requested.

        `url_is_configured`: the first URL comes from a setting or the person (a webhook URL that is itself
        a secret), not from a model: it is not refused for carrying a secret. Redirect targets always are.
        The whole request (every hop: connects, headers, body) ends within `total_timeout_s` (default: the
        client's `total_timeout_s`), or `EgressUnreachable` says it ran out of time.
        """
        total_s = self.total_timeout_s if total_timeout_s is None else min(total_timeout_s, self.total_timeout_s)
        deadline = time.monotonic() + total_s
        headers = dict(headers or {})
        hops: list[str] = []
        for _ in range(self.max_hops + 1):
            hop = self._hop(url, check_secrets=not (url_is_configured and not hops))
            hops.append(url)
            status, got, data = self._send(hop, method, body, headers, max_bytes, deadline, total_s)
            location = got.get("location")
            if status not in REDIRECTS or not location:
                return EgressResponse(url, status, got, data, hop.address, tuple(hops))
            url = urljoin(url, location.strip())
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, body = "GET", None
                headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        raise EgressError(f"the page redirected more than {self.max_hops} times; stopped following it.")

    def get(self, url: str, *, headers: Mapping[str, str] | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
            total_timeout_s: float | None = None) -> EgressResponse:
        return self.request("GET", url, headers=headers, max_bytes=max_bytes, total_timeout_s=total_timeout_s)

    def post_json(self, url: str, payload: Any, *, headers: Mapping[str, str] | None = None,
                  max_bytes: int = 100_000, url_is_configured: bool = False,
                  total_timeout_s: float | None = None) -> EgressResponse:
        """POST `payload` as JSON (a webhook). The payload is checked for secrets like the URL."""
        body = json.dumps(payload, default=str)
        self.check_text(body, "message")
        return self.request("POST", url, body=body.encode(), max_bytes=max_bytes, url_is_configured=url_is_configured,
                            headers={"Content-Type": "application/json", **(headers or {})},
                            total_timeout_s=total_timeout_s)

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> Egress:
        """The app's egress: `WEB_ALLOW_PRIVATE_HOSTS`, `WEB_TIMEOUT_S`, `WEB_TOTAL_TIMEOUT_S`, and the settings'
        secrets refused."""
        return cls(allow_private=settings.web_allow_private_hosts, timeout_s=settings.web_timeout_s,
                   total_timeout_s=settings.web_total_timeout_s, secrets=settings.secret_values, **kwargs)


class _Watchdog:
    """Shuts a connection's socket down once `seconds` have passed, so a blocked read returns at once.

    One daemon thread (`_WATCHER`) serves every request of the process: arming and cancelling a watchdog is a
    heap push under a lock, not a thread per request."""

    def __init__(self, conn: HTTPConnection, seconds: float):
        self.fired = False
        self.cancelled = False
        self._conn = conn
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        _WATCHER.arm(self, time.monotonic() + seconds)

    def hold(self, sock: socket.socket | None) -> None:
        """The connected socket to shut (shut at once when the time is already up)."""
        with self._lock:
            self._sock = sock
            if self.fired:
                self._shut()

    def fire(self) -> None:
        with self._lock:
            if self.cancelled:
                return
            self.fired = True
            self._shut()

    def _shut(self) -> None:
        for sock in {id(s): s for s in (self._sock, getattr(self._conn, "sock", None)) if s is not None}.values():
            try:  # the plain socket's shutdown, also under TLS: the reader sees end of stream
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            self._conn = None  # type: ignore[assignment]
            self._sock = None


class _Watcher:
    """The one thread that fires due watchdogs (started on first use; cancelled ones are dropped when due)."""

    def __init__(self):
        self._heap: list[tuple[float, int, _Watchdog]] = []
        self._cond = threading.Condition()
        self._count = 0
        self._thread: threading.Thread | None = None

    def arm(self, watchdog: _Watchdog, due: float) -> None:
        with self._cond:
            self._count += 1
            heapq.heappush(self._heap, (due, self._count, watchdog))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="egress-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0][2] is watchdog:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._cond.wait(None if not self._heap else self._heap[0][0] - time.monotonic())
                _, _, watchdog = heapq.heappop(self._heap)
            if not watchdog.cancelled:
                watchdog.fire()


_WATCHER = _Watcher()


def _failure(hop: _Hop, exc: BaseException, timeout_s: float) -> EgressError:
    """One exchange's failure as the message a person or the model reads."""
    if isinstance(exc, urllib3.exceptions.NewConnectionError):  # a subclass of TimeoutError in urllib3 2
        reason = "connection refused" if "refused" in str(exc).lower() else "no connection"
        return EgressUnreachable(f"could not connect to {hop.host} at {hop.address} ({reason}).")
    if isinstance(exc, (urllib3.exceptions.TimeoutError, TimeoutError)):
        return EgressUnreachable(f"{hop.host} did not answer within {timeout_s:g} s.")
    if isinstance(exc, (urllib3.exceptions.SSLError, ssl.SSLError, CertificateError)):
        return EgressError(f"{hop.host}'s TLS certificate could not be verified.")
    if isinstance(exc, ConnectionRefusedError):
        return EgressUnreachable(f"could not connect to {hop.host} at {hop.address} (connection refused).")
    reason = type(getattr(exc, "reason", None) or exc).__name__
    return EgressUnreachable(f"could not connect to {hop.host} at {hop.address} ({reason}).")
