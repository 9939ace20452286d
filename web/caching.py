"""Conditional GETs, and the rendered pages a server process keeps.

Every successful read gets an ETag and is revalidated, not refetched. The ETag is a hash
of the body, so it changes exactly when what a reader sees changes, whatever part of the
database that came from; an unchanged page costs a 304 and no transfer. Pages can differ
by sign-in, hence ``private``.

Story pages are read far more often than they change, and building one (its rows as
models, its HTML, its timeline) cost ~20 ms of CPU: :class:`KeptPages` keeps each story's
rendered part, keyed by the story's version, which the database moves with every write
to what the page shows (storage.models.Story.version). Each process keeps its own.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

READ_CACHE_CONTROL = "private, no-cache"

V = TypeVar("V")


class KeptPages(Generic[V]):
    """One value per key, the least recently read dropped first once their sizes pass
    ``capacity``; safe for the server's threads. A caller checks a value's version
    itself: keeping only the latest per key bounds the memory by the number of keys."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._kept: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._kept.get(key)
            if found is None:
                return None
            self._kept.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: V, size: int) -> None:
        """Keep ``value`` for ``key`` in place of any earlier one (not when ``size`` alone
        passes the capacity)."""
        with self._lock:
            if (old := self._kept.pop(key, None)) is not None:
                self._size -= old[1]
            if size > self.capacity:
                return
            self._kept[key] = (value, size)
            self._size += size
            while self._size > self.capacity:
                _, (_, dropped) = self._kept.popitem(last=False)
                self._size -= dropped


class ETagMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, buffer)
        body = b"".join(chunks)
        headers = MutableHeaders(scope=start)
        if start["status"] == 200 and "no-store" not in headers.get("cache-control", ""):
            etag = f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'
            headers["etag"] = etag
            headers.setdefault("cache-control", READ_CACHE_CONTROL)
            if etag in Headers(scope=scope).get("if-none-match", ""):
                del headers["content-length"]
                await send({**start, "status": 304})
                await send({"type": "http.response.body", "body": b""})
                return
        await send(start)
        await send({"type": "http.response.body", "body": body})
