"""What the service says about itself: one JSON log line per request and Prometheus metrics.

Every answer is counted and logged, 5xx included: an exception escaping a route becomes a
500 here, counted under its route and logged as one line with the error (never the
multi-line traceback uvicorn would print), so an alert on the error rate sees it. With
several worker processes (PROMETHEUS_MULTIPROC_DIR, set by server.py), /metrics sums
them all.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.serve.logs import LOG

REQUESTS = Counter("http_requests_total", "Requests answered", ["method", "path", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer a request",
    ["path"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
INTERNAL_ERROR = {"detail": "internal error; the service log has the details"}
# Every answer says so: a browser must not guess an error that echoes input is HTML.
NOSNIFF = (b"x-content-type-options", b"nosniff")
# Set in a request's scope["state"] by server.py's protocol when the HTTP parser refused the
# request mid-body (a bad chunk): the client got that status, whatever the app then saw.
TRANSPORT_STATUS = "transport_status"


def metrics_route(across_workers: bool) -> Callable[[], Response]:
    """/metrics: this process's metrics, or the sum over all workers when there are several."""

    def metrics() -> Response:
        registry = REGISTRY
        if across_workers:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics


class RequestObserver:
    """ASGI middleware: count, time and log each HTTP request; turn a crash into a logged 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, recording its status and time; other traffic passes untouched."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        answer: dict[str, Any] = {"status": 500, "started": False}

        async def send_observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.update(status=message["status"], started=True)
                message["headers"] = [*message.get("headers", ()), NOSNIFF]
            await send(message)

        error: Exception | None = None
        try:
            await self.app(scope, receive, send_observed)
        except Exception as exc:  # everything a route can raise ends here, not in uvicorn
            error = exc
            answer["status"] = 500
            if not answer["started"]:
                await JSONResponse(INTERNAL_ERROR, status_code=500)(scope, receive, send_observed)
        status = scope.get("state", {}).get(TRANSPORT_STATUS, answer["status"])
        self.record(scope, status, time.perf_counter() - start, error)

    @staticmethod
    def record(scope: Scope, status: int, seconds: float, error: Exception | None) -> None:
        """Count and time the request by its route (not its raw path), and log it."""
        route = scope.get("route")
        path = getattr(route, "path", "other")
        REQUESTS.labels(scope["method"], path, str(status)).inc()
        LATENCY.labels(path).observe(seconds)
        fields: dict[str, Any] = {
            "method": scope["method"],
            "path": path if route else scope["path"][:200],
            "status": status,
            "ms": round(seconds * 1000, 2),
            "rows": scope.get("state", {}).get("rows"),
        }
        if error is None:
            LOG.info("request", extra={"fields": fields})
            return
        fields["error"] = f"{type(error).__name__}: {error}"
        fields["traceback"] = "".join(traceback.format_exception(error))
        LOG.error("request failed", extra={"fields": fields})
