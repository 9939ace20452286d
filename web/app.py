"""The web app factory: JSON API, pages, Atom feed and health checks over one database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from config.settings import get_settings
from storage.db import get_engine, init_db
from web import api, atom, health, pages
from web.caching import ETagMiddleware, KeptPages

CookieSecure = Literal["auto", "true", "false"]

DESCRIPTION = """\
Stories, the reports in them with their stance toward the story's claim, the outlets and
primary sources behind them, and the alerts raised when a report contradicts earlier ones.

Reads are open. Writes (feeds, claims, subscriptions) and the subscription list need
`Authorization: Bearer <CLAIMWATCH_API_TOKEN>`; with no token configured every write is
refused. Lists take `limit` and `offset` and return `total`. Reads carry an ETag: send it
back in `If-None-Match` to get a 304 when nothing changed.
"""


def create_app(
    engine: Engine,
    *,
    api_token: str | None,
    public_url: str,
    broker_url: str,
    cookie_secure: CookieSecure = "auto",
    threads: int | None = None,
    page_cache_mb: int = 64,
) -> FastAPI:
    """The app over an engine whose schema exists; the token None disables writes.

    ``page_cache_mb`` bounds the rendered story pages this process keeps (web.caching).

    ``threads`` caps the routes running at once in this process (anyio's default is 40).
    Pages are mostly Python work under one GIL: 40 threads contending for it make every
    database round trip wait for the GIL, so a few threads serve more pages, sooner (on
    PostgreSQL with 20 connections, 4 threads per process gave the story page 1.3x the
    requests per second of 40, and a third less p95 latency).
    """

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if threads is not None:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="claimwatch",
        version="1",
        description=DESCRIPTION,
        docs_url=None,  # the interactive docs load their script from a CDN
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.api_token = api_token or None
    app.state.public_url = public_url.rstrip("/")
    app.state.broker_url = broker_url
    app.state.cookie_secure = cookie_secure
    app.state.story_pages = KeptPages(page_cache_mb * 2**20)
    app.add_middleware(ETagMiddleware)
    app.add_exception_handler(pages.FormRefused, pages.refused_page)
    app.include_router(api.router)
    app.include_router(atom.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    return app


def app_from_environment() -> FastAPI:
    """The app configured from CLAIMWATCH_* variables, its database migrated first."""
    init_db(get_engine(get_settings().database_url))
    return migrated_app()


def migrated_app() -> FastAPI:
    """The app over a database already migrated: what each server process of
    `claimwatch web --workers N` builds, so N processes do not all migrate."""
    settings = get_settings()
    engine = get_engine(settings.database_url)
    return create_app(
        engine,
        api_token=settings.api_token.get_secret_value() if settings.api_token else None,
        public_url=settings.public_url,
        broker_url=settings.broker_url,
        cookie_secure=settings.cookie_secure,
        threads=settings.web_threads,
        page_cache_mb=settings.web_page_cache_mb,
    )
