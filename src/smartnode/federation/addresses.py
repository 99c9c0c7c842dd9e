"""Host normalisation and IP classification for outbound requests (pure: no I/O).

Every address a request may connect to is classified here: loopback, private, link-local,
CGNAT, benchmarking, multicast, reserved, documentation and the IPv6 transition ranges are
refused; IPv4-mapped, NAT64 (64:ff9b::/96) and 6to4 addresses are judged by the IPv4 address
they embed. Numeric host spellings that getaddrinfo/inet_aton accept (`2130706433`, `0x7f.1`,
`0177.0.0.1`, `127.1`) are parsed to the address they really name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

import idna

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

_V4_REFUSED: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(net), reason)
    for net, reason in (
        ("0.0.0.0/8", "'this network' (0.0.0.0/8)"),
        ("10.0.0.0/8", "private (10.0.0.0/8)"),
        ("100.64.0.0/10", "carrier-grade NAT (100.64.0.0/10)"),
        ("127.0.0.0/8", "loopback (127.0.0.0/8)"),
        ("169.254.0.0/16", "link-local (169.254.0.0/16)"),
        ("172.16.0.0/12", "private (172.16.0.0/12)"),
        ("192.0.0.0/24", "IETF protocol assignments (192.0.0.0/24)"),
        ("192.0.2.0/24", "documentation (192.0.2.0/24)"),
        ("192.88.99.0/24", "6to4 relay anycast (192.88.99.0/24)"),
        ("192.168.0.0/16", "private (192.168.0.0/16)"),
        ("198.18.0.0/15", "benchmarking (198.18.0.0/15)"),
        ("198.51.100.0/24", "documentation (198.51.100.0/24)"),
        ("203.0.113.0/24", "documentation (203.0.113.0/24)"),
        ("224.0.0.0/4", "multicast (224.0.0.0/4)"),
        ("255.255.255.255/32", "broadcast (255.255.255.255)"),
        ("240.0.0.0/4", "reserved (240.0.0.0/4)"),
    )
)

# First match wins: the narrow ranges come before the wider ones that contain them.
_V6_REFUSED: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(net), reason)
    for net, reason in (
        ("::/128", "unspecified (::)"),
        ("::1/128", "loopback (::1)"),
        ("::/96", "IPv4-compatible, deprecated (::/96)"),
        ("64:ff9b:1::/48", "local-use NAT64 (64:ff9b:1::/48)"),
        ("100::/64", "discard-only (100::/64)"),
        ("2001::/32", "Teredo (2001::/32)"),
        ("2001::/23", "IETF protocol assignments (2001::/23)"),
        ("2001:db8::/32", "documentation (2001:db8::/32)"),
        ("3fff::/20", "documentation (3fff::/20)"),
        ("5f00::/16", "SRv6 SIDs (5f00::/16)"),
        ("fc00::/7", "unique local (fc00::/7)"),
        ("fe80::/10", "link-local (fe80::/10)"),
        ("fec0::/10", "site-local, deprecated (fec0::/10)"),
        ("ff00::/8", "multicast (ff00::/8)"),
    )
)
_V6_GLOBAL_UNICAST = IPv6Network("2000::/3")
_NAT64 = IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = IPv6Network("2002::/16")
_ASCII_HOST = re.compile(r"^[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*$")
_MAX_HOST = 253


def normalise_host(host: str) -> str:
    """Lower-case, without trailing dots or brackets, IDNA-encoded; IPs in canonical form."""
    value = host.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    value = value.lower().rstrip(".")
    if not value:
        raise ValueError("empty host name")
    literal = parse_ip_literal(value)
    if literal is not None:
        return str(literal)
    if not value.isascii():
        try:
            value = idna.encode(value, uts46=True).decode("ascii")
        except idna.IDNAError:
            raise ValueError(f"invalid host name {host!r}") from None
    if len(value) > _MAX_HOST or not _ASCII_HOST.match(value):
        raise ValueError(f"invalid host name {host!r}")
    return value


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a host spelled as an IP names (any inet_aton spelling, or IPv6), else None."""
    value = host.strip().lower().rstrip(".")
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    if ":" in value:
        try:
            return _plain(IPv6Address(value))
        except ValueError:
            return None
    return _parse_inet_aton(value)


def _parse_inet_aton(value: str) -> IPv4Address | None:
    """inet_aton semantics: 1–4 parts, each decimal, octal (0…) or hex (0x…)."""
    parts = value.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_inet_aton_part(part) for part in parts]
    if any(n is None for n in numbers):
        return None
    *head, last = [n for n in numbers if n is not None]
    if any(n > 0xFF for n in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    total = last
    for index, byte in enumerate(head):
        total |= byte << (8 * (3 - index))
    return IPv4Address(total)


def _inet_aton_part(part: str) -> int | None:
    if part.startswith("0x"):
        digits, base = part[2:] or "0", 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    allowed = "0123456789abcdef"[:base]
    if not digits or any(ch not in allowed for ch in digits):
        return None
    return int(digits, base)


def _plain(ip: IPAddress) -> IPAddress:
    """The address without an IPv6 zone (scope id), so network membership is exact."""
    if isinstance(ip, IPv6Address) and ip.scope_id:
        return IPv6Address(int(ip))
    return ip


def embedded_ipv4(ip: IPv6Address) -> tuple[IPv4Address, str] | None:
    """The IPv4 address an IPv4-mapped, NAT64 or 6to4 address stands for, and its kind."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, "IPv4-mapped"
    if ip in _NAT64:
        return IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64"
    if ip.sixtofour is not None:
        return ip.sixtofour, "6to4"
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why a request must not connect to `ip` (for logs), or None when it is public."""
    ip = _plain(ip)
    if isinstance(ip, IPv4Address):
        return _first_match(ip, _V4_REFUSED)
    embedded = embedded_ipv4(ip)
    if embedded is not None:
        inner, kind = embedded
        problem = _first_match(inner, _V4_REFUSED)
        return f"{kind} address of {inner}, {problem}" if problem else None
    problem = _first_match(ip, _V6_REFUSED)
    if problem is None and ip not in _V6_GLOBAL_UNICAST:
        return "outside IPv6 global unicast (2000::/3)"
    return problem


def _first_match(
    ip: IPAddress, table: tuple[tuple[IPv4Network, str], ...] | tuple[tuple[IPv6Network, str], ...]
) -> str | None:
    for network, reason in table:
        if ip in network:
            return reason
    return None


def is_public_address(ip: IPAddress) -> bool:
    """True when a request may connect to `ip`."""
    return address_problem(ip) is None


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which addresses outbound requests may reach.

    `allow_private` (tests, the local demo) skips the classification; `blocked` networks are
    refused even then, so tests can allow loopback while still proving a check happens.
    """

    allow_private: bool = False
    blocked: tuple[IPNetwork, ...] = ()

    @classmethod
    def with_blocked(cls, *networks: str, allow_private: bool = False) -> AddressPolicy:
        """A policy refusing the given networks (CIDR strings) on top of the usual rules."""
        return cls(allow_private, tuple(ip_network(n) for n in networks))

    def refusal(self, ip: IPAddress) -> str | None:
        """Why `ip` is refused under this policy, or None when it may be reached."""
        ip = _plain(ip)
        candidates: list[IPAddress] = [ip]
        if isinstance(ip, IPv6Address) and (embedded := embedded_ipv4(ip)) is not None:
            candidates.append(embedded[0])
        for candidate in candidates:
            for network in self.blocked:
                if candidate.version == network.version and candidate in network:
                    return f"blocked network {network}"
        if self.allow_private:
            return None
        return address_problem(ip)
