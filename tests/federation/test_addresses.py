"""Host normalisation and address classification: every refused range, every numeric spelling."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from smartnode.federation.addresses import (
    AddressPolicy,
    address_problem,
    is_public_address,
    normalise_host,
    parse_ip_literal,
)

REFUSED = [
    ("0.0.0.0", "this network"),
    ("0.1.2.3", "this network"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback"),
    ("169.254.169.254", "link-local"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.0.0.8", "IETF protocol assignments"),
    ("192.0.2.10", "documentation"),
    ("192.88.99.1", "6to4 relay"),
    ("192.168.1.1", "private"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("::7f00:1", "IPv4-compatible"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.1.2.3", "private"),
    ("::ffff:169.254.169.254", "link-local"),
    ("64:ff9b::7f00:1", "NAT64"),
    ("64:ff9b::a9fe:a9fe", "link-local"),
    ("64:ff9b:1::a00:1", "local-use NAT64"),
    ("100::1", "discard-only"),
    ("2001::1", "Teredo"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
    ("2001:10::1", "IETF protocol assignments"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("2002:7f00:1::1", "6to4"),
    ("2002:c0a8:101::1", "private"),
    ("5f00::1", "SRv6"),
    ("fc00::1", "unique local"),
    ("fd12:3456:789a::1", "unique local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("febf::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("1::", "outside IPv6 global unicast"),
    ("4000::1", "outside IPv6 global unicast"),
]

PUBLIC = [
    "1.1.1.1",
    "8.8.8.8",
    "100.63.255.255",
    "100.128.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "192.167.255.255",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_non_public_ranges_are_refused_with_a_reason(address: str, reason: str) -> None:
    problem = address_problem(ip_address(address))
    assert problem is not None and reason in problem
    assert not is_public_address(ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ip_address(address)) is None
    assert is_public_address(ip_address(address))


def test_embedded_ipv4_is_named_in_the_reason() -> None:
    assert address_problem(ip_address("64:ff9b::a00:1")) == (
        "NAT64 address of 10.0.0.1, private (10.0.0.0/8)"
    )


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7F.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0177.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("10.0x10000", "10.1.0.0"),
        ("169.254.43518", "169.254.169.254"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("[::1]", "::1"),
        ("[::FFFF:7F00:1]", "::ffff:127.0.0.1"),
        ("fe80::1%eth0", "fe80::1"),
        ("0x", "0.0.0.0"),
    ],
)
def test_numeric_spellings_name_the_address_getaddrinfo_would_use(
    spelling: str, address: str
) -> None:
    assert parse_ip_literal(spelling) == ip_address(address)


@pytest.mark.parametrize(
    "host", ["example.com", "1.2.3.4.5", "256.1.1.1", "1.16777216", "08.0.0.1", "1..2", "", "::g"]
)
def test_names_and_invalid_numbers_are_not_addresses(host: str) -> None:
    assert parse_ip_literal(host) is None


@pytest.mark.parametrize(
    ("host", "normal"),
    [
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("example.com..", "example.com"),
        ("Bücher.example", "xn--bcher-kva.example"),
        ("ＥＸＡＭＰＬＥ.com", "example.com"),
        ("0x7f.1", "127.0.0.1"),
        ("2130706433.", "127.0.0.1"),
        ("[::1]", "::1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
    ],
)
def test_hosts_are_normalised(host: str, normal: str) -> None:
    assert normalise_host(host) == normal


@pytest.mark.parametrize("host", ["", ".", "exa mple.com", "a/b", "user@host", "x" * 64 + ".com"])
def test_invalid_host_names_are_refused(host: str) -> None:
    with pytest.raises(ValueError):
        normalise_host(host)


def test_policy_refuses_private_unless_allowed() -> None:
    loopback = ip_address("127.0.0.1")
    assert AddressPolicy().refusal(loopback) == "loopback (127.0.0.0/8)"
    assert AddressPolicy(allow_private=True).refusal(loopback) is None
    assert AddressPolicy().refusal(ip_address("8.8.8.8")) is None


def test_blocked_networks_are_refused_even_when_private_is_allowed() -> None:
    policy = AddressPolicy.with_blocked("127.0.0.2/32", "fd00::/8", allow_private=True)
    assert policy.refusal(ip_address("127.0.0.1")) is None
    assert policy.refusal(ip_address("127.0.0.2")) == "blocked network 127.0.0.2/32"
    assert policy.refusal(ip_address("::ffff:127.0.0.2")) == "blocked network 127.0.0.2/32"
    assert policy.refusal(ip_address("fd00::5")) == "blocked network fd00::/8"
