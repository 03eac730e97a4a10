"""Which destinations outbound requests may reach, and how names are resolved (once)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable

from core.errors import UserError

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata", "instance-data",
                            "instance-data.ec2.internal"})
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                                ipaddress.ip_address("169.254.170.2")})
SHARED_NETWORK = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: neither private nor global

Resolver = Callable[[str, int], list[str]]  # (host, port) -> IP addresses as text


class EgressError(UserError):
    """An outbound request was refused or failed; the message says why."""


class EgressUnreachable(EgressError):
    """Allowed, but the host did not answer (timeout, connection refused, TLS failure): trying later may work."""


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system resolves `host` to (each once, in its order)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise EgressError(f"the name {host} could not be resolved.") from None
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]).split("%", 1)[0], None)
    return list(seen)


def address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why `address` may not be reached from a public service (None when it is a public unicast address)."""
    mapped = getattr(address, "ipv4_mapped", None) or getattr(address, "sixtofour", None)
    if mapped is not None:
        return address_problem(mapped)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address in SHARED_NETWORK:
        return "a shared address (100.64.0.0/10)"
    if address.is_private or not address.is_global:
        return "a private address"
    return None


class AddressPolicy:
    """Public unicast addresses only, unless `allow_private`; `allowed_endpoints` lists (ip, port) exceptions.

    Cloud-metadata names and addresses are refused even when private hosts are allowed.
    """

    def __init__(self, allow_private: bool = False, allowed_endpoints: Iterable[tuple[str, int]] = ()):
        self.allow_private = allow_private
        self.allowed_endpoints = {(str(ipaddress.ip_address(ip)), int(port)) for ip, port in allowed_endpoints}

    def check_name(self, host: str) -> None:
        if host.lower().rstrip(".") in METADATA_HOSTS:
            raise EgressError(f"{host} is a cloud metadata service; reaching it is not allowed.")

    def check(self, host: str, address: str, port: int) -> None:
        ip = ipaddress.ip_address(address)
        if ip in METADATA_ADDRESSES or getattr(ip, "ipv4_mapped", None) in METADATA_ADDRESSES:
            raise EgressError(f"{host} is a cloud metadata address ({ip}); reaching it is not allowed.")
        if self.allow_private or (str(ip), port) in self.allowed_endpoints:
            return
        problem = address_problem(ip)
        if problem:
            shown = host if host == str(ip) else f"{host} ({ip})"
            raise EgressError(f"{shown} is {problem}; reading it is not allowed.")
