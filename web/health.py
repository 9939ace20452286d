"""Liveness, readiness and metrics for orchestrators and Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from kombu import Connection
from prometheus_client import CONTENT_TYPE_LATEST

from monitoring.metrics import redis_client, render_metrics
from storage.db import ping

router = APIRouter(tags=["health"])
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz", summary="The process is up")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


@router.get(
    "/readyz",
    summary="The database and the broker are reachable",
    responses={503: {"description": "a service is unreachable; the body says which and why"}},
)
def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        ping(request.app.state.engine)
        checks["database"] = "ok"
    except Exception as error:  # any failure means not ready; the reason goes to the caller
        checks["database"] = f"unreachable: {type(error).__name__}: {error}"
    try:
        with Connection(request.app.state.broker_url, connect_timeout=3) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0.5)
        checks["broker"] = "ok"
    except Exception as error:
        checks["broker"] = f"unreachable: {type(error).__name__}: {error}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
        headers=NO_STORE,
    )


@router.get("/metrics", summary="Prometheus metrics of the whole pipeline")
def metrics(request: Request) -> Response:
    """Rendered at scrape time from the database and Redis, so every worker's work shows."""
    body = render_metrics(request.app.state.engine, redis_client(request.app.state.broker_url))
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)
