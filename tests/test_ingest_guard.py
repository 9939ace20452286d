"""Address guard: what it refuses, what an operator may allow, and where it connects."""

from __future__ import annotations

import socket

import httpcore
import pytest

from ingest.errors import BlockedAddress, FetchError
from ingest.guard import AddressGuard, GuardedNetworkBackend, parse_networks

BLOCKED_BY_DEFAULT = [
    "http://127.0.0.1/",
    "http://127.0.0.2:8080/x",
    "http://[::1]/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata, link-local
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",  # multicast
    "http://240.0.0.1/",  # reserved
    "http://100.64.0.1/",  # shared address space (CGNAT)
    "http://192.0.2.10/",  # documentation
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
    "http://[::ffff:a00:1]/",  # IPv4-mapped 10.0.0.1
    "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
]


@pytest.mark.parametrize("url", BLOCKED_BY_DEFAULT)
def test_non_public_addresses_are_refused_by_default(url: str) -> None:
    with pytest.raises(BlockedAddress) as info:
        AddressGuard().check(url)
    assert info.value.reason == "blocked_address"


def test_localhost_name_is_resolved_and_refused() -> None:
    with pytest.raises(BlockedAddress) as info:
        AddressGuard().check("http://localhost:8000/feed.xml")
    assert info.value.reason == "blocked_address"
    assert "loopback" in info.value.message


def test_public_addresses_pass() -> None:
    guard = AddressGuard()
    target = guard.check("https://93.184.216.34/article")
    assert target.addresses == ("93.184.216.34",)
    assert target.port == 443
    assert guard.refusal("2606:4700:4700::1111") is None
    assert guard.refusal("[::ffff:8.8.8.8]".strip("[]")) is None


def test_allowed_network_exempts_only_that_network() -> None:
    guard = AddressGuard(["127.0.0.1/32"])
    assert guard.check("http://127.0.0.1:9/x").addresses == ("127.0.0.1",)
    assert guard.refusal("::ffff:127.0.0.1") is None  # same address, mapped form
    for url in ("http://127.0.0.2/", "http://10.0.0.1/", "http://[::1]/"):
        with pytest.raises(BlockedAddress):
            guard.check(url)


def test_any_resolved_address_blocks() -> None:
    """One public and one private answer: refused (the attacker controls the DNS)."""
    guard = AddressGuard(resolver=lambda host, port: ["93.184.216.34", "10.0.0.5"])
    with pytest.raises(BlockedAddress) as info:
        guard.check("http://news.example/a")
    assert "news.example -> 10.0.0.5" in info.value.message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "blocked_scheme"),
        ("ftp://93.184.216.34/x", "blocked_scheme"),
        ("gopher://93.184.216.34/", "blocked_scheme"),
        ("http://user:secret@93.184.216.34/", "blocked_credentials"),
        ("http://user@93.184.216.34/", "blocked_credentials"),
    ],
)
def test_schemes_and_credentials_are_refused(url: str, reason: str) -> None:
    with pytest.raises(BlockedAddress) as info:
        AddressGuard().check(url)
    assert info.value.reason == reason


def test_bad_urls_and_dns_failures_are_fetch_errors() -> None:
    with pytest.raises(FetchError) as info:
        AddressGuard().check("http:///nohost")
    assert info.value.reason == "bad_url"
    with pytest.raises(FetchError) as info:
        AddressGuard().check("http://[::1/")
    assert info.value.reason == "bad_url"

    def fail(host: str, port: int) -> list[str]:
        raise socket.gaierror(-2, "Name or service not known")

    with pytest.raises(FetchError) as info:
        AddressGuard(resolver=fail).check("http://no-such-host.invalid/")
    assert info.value.reason == "dns_error"
    assert not isinstance(info.value, BlockedAddress)


def test_parse_networks_accepts_comma_string_and_rejects_garbage() -> None:
    nets = parse_networks(" 127.0.0.1/32, 10.0.0.0/8 ,,::1")
    assert [str(n) for n in nets] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    with pytest.raises(ValueError):
        parse_networks("not-a-net")


def test_backend_connects_to_the_checked_address_only() -> None:
    """Rebinding: a name that resolves to a blocked address is refused at connect time."""
    answers = iter([["127.0.0.1"], ["10.0.0.7"]])
    guard = AddressGuard(["127.0.0.1/32"], resolver=lambda host, port: next(answers))
    backend = GuardedNetworkBackend(guard)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        stream = backend.connect_tcp("rebind.example", port, timeout=2)
        try:
            assert stream.get_extra_info("socket").getpeername()[0] == "127.0.0.1"
        finally:
            stream.close()
        with pytest.raises(BlockedAddress):
            backend.connect_tcp("rebind.example", port, timeout=2)
    with pytest.raises(BlockedAddress):
        backend.connect_unix_socket("/var/run/docker.sock")
    assert isinstance(backend, httpcore.NetworkBackend)
