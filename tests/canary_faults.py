"""A faulty challenger for the canary tests: the project's real service with a planted fault.

Run inside a generated project (`uv run python canary_faults.py PACKAGE fail|slow PORT`) with
SERVE_MODEL_DIR set. The fault sits inside the service's own request observer and router, so
its /metrics count the failures under /predict and time the delays as a real model's:
- fail: every 20th /predict request (5%) fails in its scoring, and is answered 500;
- slow: every /predict answer takes ten times as long (nine times its own time is added
  before the answer leaves).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import time
from typing import Any

import uvicorn
from starlette.middleware import Middleware


class Slow:
    """ASGI middleware: each /predict answer leaves after ten times the time it took."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/predict":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def send_late(message: Any) -> None:
            if message["type"] == "http.response.start":
                await asyncio.sleep(9 * (time.perf_counter() - start))
            await send(message)

        await self.app(scope, receive, send_late)


def failing_every(score: Any, period: int) -> Any:
    """The service's scoring, raising on every `period`-th call (as a broken model would)."""
    calls = 0

    def failing(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls % period == 0:
            raise RuntimeError(f"planted fault: every {period}th request fails")
        return score(*args)

    return failing


def main() -> None:
    package, kind, port = sys.argv[1:4]
    app = importlib.import_module(f"{package}.serve.app").create_app()
    if kind == "slow":
        app.user_middleware.append(Middleware(Slow))  # innermost: observed as the model's time
    else:
        service = app.state.service
        service.score = failing_every(service.score, 20)
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")


if __name__ == "__main__":
    main()
