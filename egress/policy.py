"""Which destinations outbound requests may reach, and how names are resolved (once)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable

from core.errors import UserError

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata", "instance-data",
                            "instance-data.ec2.internal"})
# Cloud metadata services (AWS/GCP/Azure/OpenStack, AWS ECS, Alibaba, Oracle; AWS and OpenStack over IPv6).
# An IPv6 address that carries one of these IPv4 addresses inside it (IPv4-mapped, IPv4-compatible, 6to4, NAT64,
# Teredo, or a link-local interface id) is refused as well: see `embedded_ipv4` and `is_metadata`.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192", "fd00:ec2::254", "fe80::a9fe:a9fe"))
NAT64_NETWORKS = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
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


def embedded_ipv4(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches or stands for (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible
    ::a.b.c.d, 6to4 2002:aabb:ccdd::, NAT64 64:ff9b::a.b.c.d, Teredo's client); None for a plain address."""
    if address.version == 4:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    low = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if any(address in net for net in NAT64_NETWORKS):
        return low
    if address in IPV4_COMPATIBLE and int(address) > 1:  # not :: or ::1
        return low
    return None


def is_metadata(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A cloud metadata address, in any IPv6 spelling of its IPv4 address, with or without a zone id."""
    if address.version == 6 and address.scope_id:
        address = ipaddress.IPv6Address(str(address).split("%", 1)[0])
    if address in METADATA_ADDRESSES:
        return True
    inner = embedded_ipv4(address)
    if inner is None and address.version == 6 and address.is_link_local:
        inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)  # fe80::a9fe:a9fe and its kin
    return inner is not None and inner in METADATA_ADDRESSES


def address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why `address` may not be reached from a public service (None when it is a public unicast address)."""
    if is_metadata(address):
        return "a cloud metadata address"
    inner = embedded_ipv4(address)
    if inner is not None:
        return address_problem(inner)
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
        if is_metadata(ip):
            raise EgressError(f"{host} is a cloud metadata address ({ip}); reaching it is not allowed.")
        if self.allow_private or (str(ip), port) in self.allowed_endpoints:
            return
        problem = address_problem(ip)
        if problem:
            shown = host if host == str(ip) else f"{host} ({ip})"
            raise EgressError(f"{shown} is {problem}; reading it is not allowed.")
