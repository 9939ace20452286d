"""Deliveries go through the address guard, like fetches: no subscription can aim
claimwatch's requests at the newsroom's internal network.

A subscription's URL is chosen by whoever can create one, so it is checked when the
subscription is created (a clear error for the operator) and again at every delivery
(the allow-list or DNS may have changed since). The check is :mod:`ingest.guard`'s, with
the same allow-list (``CLAIMWATCH_ALLOWED_NETWORKS``). Webhooks connect through
:class:`ingest.fetch.GuardedTransport`. Apprise opens its own connections (requests for
HTTP services, smtplib for e-mail), so :func:`guarded_sockets` makes every connection a
delivery opens resolve through the guard and checks the connected peer: redirects and
DNS rebinding are caught there, not only the host named in the URL.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

import urllib3.util.connection

from config.settings import get_settings
from ingest.errors import BlockedAddress, FetchError
from ingest.guard import AddressGuard
from notify.secrets import PLACEHOLDER


def delivery_guard() -> AddressGuard:
    """The guard with the operator's allow-list, as fetches use it."""
    return AddressGuard(get_settings().allowed_network_list)


def channel_hosts(url: str) -> list[tuple[str, int]]:
    """The (host, port) pairs a channel URL names as places to connect to.

    A webhook names its host. An Apprise URL names one when its service is self-hosted
    (json://, form://, xml://, ntfy://, gotify:// ..., whose URL templates have a
    ``{host}``), or for e-mail its SMTP server; a service with a fixed API host (slack://,
    tgram://) carries tokens where a host would be, and names none.
    """
    if url.lower().startswith(("http://", "https://")):
        parts = urlsplit(url)
        secure = parts.scheme.lower() == "https"
        return [(parts.hostname, parts.port or (443 if secure else 80))] if parts.hostname else []
    import apprise  # on first use, as in notify.apprise_channel

    service = apprise.Apprise.instantiate(url)
    if service is None:
        return []
    # E-mail connects to its SMTP server, which may differ from the address's domain.
    host = getattr(service, "smtp_host", None) or service.host
    if host and any("{host}" in template for template in service.templates):
        return [(host, service.port or 0)]
    return []


def check_channel(url: str, guard: AddressGuard) -> None:
    """Raise :class:`BlockedAddress` (refused) or :class:`FetchError` (cannot resolve)
    unless every host the channel URL names may be connected to."""
    for host, port in channel_hosts(url):
        guard.resolve(host, port)


def creation_refusal(url: str, guard: AddressGuard) -> str | None:
    """Why a new subscription to ``url`` is refused, or None.

    ``${VAR}`` tokens are filled in only when sending, so a neutral stand-in takes their
    place here. A name that does not resolve from here is accepted: it is checked again
    at every delivery.
    """
    for host, port in channel_hosts(PLACEHOLDER.sub("x", url)):
        try:
            guard.resolve(host, port)
        except BlockedAddress as error:
            return error.message
        except FetchError:
            continue
    return None


class RefusedConnection(ConnectionRefusedError):
    """A connection the guard refused; an OSError, so each library reports it as the
    connection failure it is instead of crashing."""


@dataclass
class _Scope:
    guard: AddressGuard
    refusals: list[str] = field(default_factory=list)


# The guard of the delivery running in this context. Apprise copies the context into
# its worker threads, so a service it sends from a thread pool is guarded too.
_scope: ContextVar[_Scope | None] = ContextVar("claimwatch_delivery_guard", default=None)
_install_lock = threading.Lock()
_installed = False


@contextmanager
def guarded_sockets(guard: AddressGuard) -> Iterator[list[str]]:
    """Within the block, every TCP connection opened through ``socket.create_connection``
    or urllib3 goes only to addresses the guard permits; yields the refusals' reasons."""
    _install()
    scope = _Scope(guard)
    token = _scope.set(scope)
    try:
        yield scope.refusals
    finally:
        _scope.reset(token)


def _install() -> None:
    """Wrap the two connection functions once per process; outside a guarded block the
    wrappers call the originals unchanged."""
    global _installed
    with _install_lock:
        if _installed:
            return
        socket.create_connection = _guarded(socket.create_connection)  # type: ignore[assignment]
        urllib3.util.connection.create_connection = _guarded(  # type: ignore[assignment]
            urllib3.util.connection.create_connection
        )
        _installed = True


def _guarded(connect: Callable[..., socket.socket]) -> Callable[..., socket.socket]:
    @wraps(connect)
    def guarded_connect(address: tuple[Any, ...], *args: Any, **kwargs: Any) -> socket.socket:
        scope = _scope.get()
        if scope is None:
            return connect(address, *args, **kwargs)
        host, port = str(address[0]), int(address[1])
        try:
            addresses = scope.guard.resolve(host, port)
        except BlockedAddress as error:
            scope.refusals.append(str(error))
            raise RefusedConnection(str(error)) from error
        except FetchError as error:
            raise socket.gaierror(str(error)) from error
        last_error: OSError | None = None
        for ip in addresses:
            try:
                sock = connect((ip, port), *args, **kwargs)
            except OSError as error:
                last_error = error
                continue
            try:
                scope.guard.check_address(str(sock.getpeername()[0]), host=host)
            except BlockedAddress as error:
                sock.close()
                scope.refusals.append(str(error))
                raise RefusedConnection(str(error)) from error
            return sock
        assert last_error is not None
        raise last_error

    return guarded_connect
