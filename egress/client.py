"""`Egress`: GET and POST JSON that follow redirects hop by hop, each hop checked and pinned to its checked address."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3

from core.text import KNOWN_SECRETS, carries_secret
from egress.policy import AddressPolicy, EgressError, EgressUnreachable, Resolver, system_resolver

MAX_HOPS = 5
REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_MAX_BYTES = 3_000_000
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
                 max_hops: int = MAX_HOPS, ca_certs: str | None = None):
        self.policy = AddressPolicy(allow_private, allowed_endpoints)
        self.timeout_s = timeout_s
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
    def _pool(self, hop: _Hop) -> urllib3.HTTPConnectionPool:
        timeout = urllib3.Timeout(connect=self.timeout_s, read=self.timeout_s)
        if hop.scheme == "https":
            import certifi

            is_ip = hop.host == hop.address
            return urllib3.HTTPSConnectionPool(
                hop.address, hop.port, timeout=timeout, retries=False, maxsize=1,
                cert_reqs="CERT_REQUIRED", ca_certs=self.ca_certs or certifi.where(),
                server_hostname=None if is_ip else hop.host, assert_hostname=hop.host)
        return urllib3.HTTPConnectionPool(hop.address, hop.port, timeout=timeout, retries=False, maxsize=1)

    def _send(self, hop: _Hop, method: str, body: bytes | None, headers: Mapping[str, str],
              max_bytes: int) -> tuple[int, dict[str, str], bytes]:
        pool = self._pool(hop)
        sent = {"Host": hop.host_header, "User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate",
                **headers}
        try:
            response = pool.urlopen(method, hop.target, body=body, headers=sent, redirect=False, retries=False,
                                    preload_content=False, assert_same_host=False)
            try:
                data = response.read(max_bytes, decode_content=True) if method != "HEAD" else b""
            finally:
                response.release_conn()
            return response.status, {k.lower(): v for k, v in response.headers.items()}, data
        except urllib3.exceptions.NewConnectionError as exc:  # a subclass of TimeoutError in urllib3 2
            reason = "connection refused" if "refused" in str(exc).lower() else "no connection"
            raise EgressUnreachable(f"could not connect to {hop.host} at {hop.address} ({reason}).") from None
        except urllib3.exceptions.TimeoutError:
            raise EgressUnreachable(f"{hop.host} did not answer within {self.timeout_s:g} s.") from None
        except urllib3.exceptions.SSLError:
            raise EgressError(f"{hop.host}'s TLS certificate could not be verified.") from None
        except urllib3.exceptions.HTTPError as exc:
            reason = type(getattr(exc, "reason", None) or exc).__name__
            raise EgressUnreachable(f"could not connect to {hop.host} at {hop.address} ({reason}).") from None
        finally:
            pool.close()

    # -- requests ------------------------------------------------------------------------------
    def request(self, method: str, url: str, *, body: bytes | None = None, headers: Mapping[str, str] | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES, url_is_configured: bool = False) -> EgressResponse:
        """`method url`, following up to `max_hops` redirects, each checked before it is requested.

        `url_is_configured`: the first URL comes from a setting or the person (a webhook URL that is itself
        a secret), not from a model: it is not refused for carrying a secret. Redirect targets always are.
        """
        headers = dict(headers or {})
        hops: list[str] = []
        for _ in range(self.max_hops + 1):
            hop = self._hop(url, check_secrets=not (url_is_configured and not hops))
            hops.append(url)
            status, got, data = self._send(hop, method, body, headers, max_bytes)
            location = got.get("location")
            if status not in REDIRECTS or not location:
                return EgressResponse(url, status, got, data, hop.address, tuple(hops))
            url = urljoin(url, location.strip())
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, body = "GET", None
                headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        raise EgressError(f"the page redirected more than {self.max_hops} times; stopped following it.")

    def get(self, url: str, *, headers: Mapping[str, str] | None = None,
            max_bytes: int = DEFAULT_MAX_BYTES) -> EgressResponse:
        return self.request("GET", url, headers=headers, max_bytes=max_bytes)

    def post_json(self, url: str, payload: Any, *, headers: Mapping[str, str] | None = None,
                  max_bytes: int = 100_000, url_is_configured: bool = False) -> EgressResponse:
        """POST `payload` as JSON (a webhook). The payload is checked for secrets like the URL."""
        body = json.dumps(payload, default=str)
        self.check_text(body, "message")
        return self.request("POST", url, body=body.encode(), max_bytes=max_bytes, url_is_configured=url_is_configured,
                            headers={"Content-Type": "application/json", **(headers or {})})

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> Egress:
        """The app's egress: `WEB_ALLOW_PRIVATE_HOSTS`, `WEB_TIMEOUT_S`, and the settings' secrets refused."""
        return cls(allow_private=settings.web_allow_private_hosts, timeout_s=settings.web_timeout_s,
                   secrets=settings.secret_values, **kwargs)
