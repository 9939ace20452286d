"""Address guard: keep fetches of untrusted URLs away from internal networks (SSRF).

Feed entries and redirects are attacker-controlled. Before any connection we resolve the host
and refuse it if *any* address it resolves to is not globally routable (private, loopback,
link-local, multicast, reserved, unspecified, shared, documentation, ...), unless it falls in an
operator-allowed network (``CLAIMWATCH_ALLOWED_NETWORKS``; tests allow ``127.0.0.1/32`` for
their loopback servers).

A check alone is not enough against DNS rebinding (the name may resolve differently when the
HTTP library connects). :class:`GuardedNetworkBackend` therefore plugs into httpcore and does
the resolution itself: it checks the addresses, connects to one of exactly those addresses
(TLS still uses the host name for SNI and certificate checks), and verifies the peer address
of the established socket. :mod:`ingest.fetch` uses it for every connection and also calls
:meth:`AddressGuard.check` on every redirect hop for an early, clear error.
:class:`GuardedAsyncNetworkBackend` does the same for asyncio (batch feed polling).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
import httpcore

from ingest.errors import BlockedAddress, FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

ALLOWED_SCHEMES = frozenset({"http", "https"})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

__all__ = [
    "AddressGuard",
    "BlockedAddress",
    "CheckedTarget",
    "GuardedAsyncNetworkBackend",
    "GuardedNetworkBackend",
    "parse_networks",
    "system_resolver",
]


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` with getaddrinfo; returns the distinct addresses in resolver order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]).split("%", 1)[0], None)
    return list(seen)


def parse_networks(networks: Iterable[str] | str | None) -> list[IPNetwork]:
    """Parse CIDRs (a list or one comma-separated string); a bare address means a /32 or /128."""
    if networks is None:
        return []
    if isinstance(networks, str):
        networks = networks.split(",")
    parsed: list[IPNetwork] = []
    for raw in networks:
        text = raw.strip()
        if not text:
            continue
        try:
            parsed.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise ValueError(f"invalid allowed network {text!r}: {exc}") from exc
    return parsed


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in a mapped, 6to4, Teredo or NAT64 IPv6 address, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _not_public_why(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public unicast address, or None when it is."""
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "not global"
    return None


@dataclass(frozen=True)
class CheckedTarget:
    """A URL that passed the guard, with the addresses it may be connected to."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


class AddressGuard:
    """Decides whether a URL / address may be fetched.

    ``allowed_networks`` are CIDRs exempt from the public-address rule (empty by default).
    ``resolver`` is injectable so tests can simulate DNS answers; it defaults to getaddrinfo.
    """

    def __init__(
        self,
        allowed_networks: Iterable[str] | str | None = None,
        *,
        resolver: Resolver | None = None,
    ) -> None:
        self.allowed_networks: tuple[IPNetwork, ...] = tuple(parse_networks(allowed_networks))
        self._resolve: Resolver = resolver or system_resolver

    # -- addresses -------------------------------------------------------------------------
    def _is_allowed(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.allowed_networks)

    def refusal(self, address: str | IPAddress) -> str | None:
        """Why connecting to ``address`` is refused, or None when it is permitted."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return f"not an IP address: {address!r}"
        if isinstance(ip, ipaddress.IPv6Address):
            if ip.scope_id:
                ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
            embedded = _embedded_ipv4(ip)
            if embedded is not None and not self._is_allowed(ip):
                why = self.refusal(embedded)
                if why:
                    return f"{ip} embeds {why}"
                return None
        if self._is_allowed(ip):
            return None
        why = _not_public_why(ip)
        return f"{ip} is {why}" if why else None

    def check_address(self, address: str, *, host: str | None = None) -> None:
        """Raise :class:`BlockedAddress` unless ``address`` may be connected to."""
        why = self.refusal(address)
        if why:
            where = f"{host} -> " if host and host != address else ""
            raise BlockedAddress("blocked_address", f"refused address {where}{why}")

    def resolve(self, host: str, port: int) -> tuple[str, ...]:
        """Resolve ``host`` and check every address; return them (all permitted)."""
        host = host.strip("[]")
        try:
            ipaddress.ip_address(host)
            addresses = [host]
        except ValueError:
            try:
                addresses = self._resolve(host, port)
            except (OSError, UnicodeError) as exc:
                raise FetchError("dns_error", f"cannot resolve {host!r}: {exc}") from exc
        if not addresses:
            raise FetchError("dns_error", f"no addresses for {host!r}")
        for address in addresses:
            self.check_address(address, host=host)
        return tuple(addresses)

    # -- URLs ------------------------------------------------------------------------------
    def check_url_syntax(self, url: str) -> tuple[str, str, int]:
        """Validate scheme, credentials and host without DNS; return (scheme, host, port)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise FetchError("bad_url", f"invalid URL {url!r}: {exc}", url=url) from exc
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            raise BlockedAddress(
                "blocked_scheme", f"scheme {scheme or '(none)'!r} is not http(s)", url=url
            )
        if parts.username is not None or parts.password is not None:
            raise BlockedAddress(
                "blocked_credentials", "URLs with credentials are refused", url=url
            )
        host = parts.hostname
        if not host:
            raise FetchError("bad_url", f"URL has no host: {url!r}", url=url)
        return scheme, host, port or (443 if scheme == "https" else 80)

    def check(self, url: str) -> CheckedTarget:
        """Check a URL completely (scheme, credentials, every resolved address)."""
        scheme, host, port = self.check_url_syntax(url)
        try:
            addresses = self.resolve(host, port)
        except FetchError as exc:
            exc.url = url
            raise
        return CheckedTarget(url=url, scheme=scheme, host=host, port=port, addresses=addresses)


class GuardedNetworkBackend(httpcore.NetworkBackend):
    """httpcore backend that connects only to addresses the guard has just approved.

    Resolution happens here, once per connection, so the name cannot be re-resolved to
    another address between the check and the connect (DNS rebinding). The peer address of
    the established socket is verified as a second line of defence.
    """

    def __init__(self, guard: AddressGuard, inner: httpcore.NetworkBackend | None = None) -> None:
        self.guard = guard
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[tuple[int, int, int | bytes | None]] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.guard.resolve(host, port)
        last_error: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,  # type: ignore[arg-type]
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            try:
                _check_peer(self.guard, stream, host)
            except BlockedAddress:
                stream.close()
                raise
            return stream
        assert last_error is not None
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Sequence[tuple[int, int, int | bytes | None]] | None = None,
    ) -> httpcore.NetworkStream:
        raise BlockedAddress("blocked_address", "unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedAsyncNetworkBackend(httpcore.AsyncNetworkBackend):
    """:class:`GuardedNetworkBackend` for asyncio (used by :class:`ingest.fetch.AsyncFetcher`).

    Name resolution runs in a worker thread (getaddrinfo blocks); an IP literal is checked
    in place, without the thread hop.

    Its ``connect_tcp`` repeats the synchronous one line for line on purpose: the two differ
    in every I/O call (``await``, ``aclose``), and httpcore wants one backend class per
    model, so a shared body would need the sync code to run an event loop, or the async one
    to block. The checks they share (:func:`_check_peer`, ``AddressGuard``) have one home.
    """

    def __init__(
        self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[tuple[int, int, int | bytes | None]] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if _is_ip_literal(host):
            addresses = self.guard.resolve(host, port)
        else:
            addresses = await anyio.to_thread.run_sync(self.guard.resolve, host, port)
        last_error: Exception | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,  # type: ignore[arg-type]
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            try:
                _check_peer(self.guard, stream, host)
            except BlockedAddress:
                await stream.aclose()
                raise
            return stream
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[tuple[int, int, int | bytes | None]] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("blocked_address", "unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _check_peer(
    guard: AddressGuard, stream: httpcore.NetworkStream | httpcore.AsyncNetworkStream, host: str
) -> None:
    """Second line of defence: the connected socket's peer must be a permitted address.

    Raises :class:`BlockedAddress`; the caller closes the stream.
    """
    sock = stream.get_extra_info("socket")
    if sock is None:
        return
    try:
        peer = sock.getpeername()[0]
    except OSError:
        return
    guard.check_address(str(peer), host=host)
