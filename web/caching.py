"""Conditional GETs: every successful read gets an ETag and is revalidated, not refetched.

The ETag is a hash of the body, so it changes exactly when what a reader sees changes,
whatever part of the database that came from; an unchanged page costs a 304 and no
transfer. Pages can differ by sign-in, hence ``private``.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

READ_CACHE_CONTROL = "private, no-cache"


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
