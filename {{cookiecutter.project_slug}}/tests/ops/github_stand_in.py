"""A stand-in for GitHub's REST API on 127.0.0.1: deployments as kept, or fixed answers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Deployments:
    """Deployments and statuses kept as GitHub keeps them (newest first), and every call seen."""

    def __init__(self, records: list[dict[str, Any]] | None = None) -> None:
        self.records = [dict(record) for record in records or []]
        self.calls: list[tuple[str, str, Any]] = []

    def answer(self, method: str, path: str, body: Any) -> Any:
        self.calls.append((method, path, body))
        parts = path.split("?", 1)[0].split("/")  # /repos/o/r/deployments[/id/statuses]
        if len(parts) == 5 and method == "GET":
            return [{k: v for k, v in r.items() if k != "statuses"} for r in self.records]
        if len(parts) == 5:
            number = max((r["id"] for r in self.records), default=0) + 1
            created = f"2026-12-01T10:00:{number:02d}Z"
            self.records.insert(0, {**body, "id": number, "created_at": created, "statuses": []})
            return {"id": number}
        record = next(r for r in self.records if r["id"] == int(parts[5]))
        if method == "GET":
            return record["statuses"]
        record["statuses"].insert(0, body)
        return body


class Answers:
    """Fixed answers by method and path ("GET /repos/o/r/pulls/7", query left out), and the calls.

    A path with no answer gets GitHub's 404.
    """

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str, Any]] = []

    def answer(self, method: str, path: str, body: Any) -> Any:
        self.calls.append((method, path, body))
        return self.answers[f"{method} {path.split('?', 1)[0]}"]


@contextmanager
def github(
    records: list[dict[str, Any]] | None = None,
    state: Deployments | Answers | None = None,
    token: str = "t0ken",
) -> Iterator[tuple[str, Any]]:
    """The API's base URL, and its state: deployments made of `records`, or `state`."""
    answering = state or Deployments(records)

    class Handler(BaseHTTPRequestHandler):
        def reply(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            if self.headers["Authorization"] != f"Bearer {token}":
                self.send_error(401)
                return
            try:
                data = json.dumps(answering.answer(method, self.path, body)).encode()
            except KeyError:
                self.send_error(404)
                return
            self.send_response(201 if method == "POST" else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self.reply("GET")

        def do_POST(self) -> None:
            self.reply("POST")

        def do_PATCH(self) -> None:
            self.reply("PATCH")

        def do_DELETE(self) -> None:
            self.reply("DELETE")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # serve_forever polls for shutdown every 0.5 s by default: each test would wait it out.
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", answering
    finally:
        server.shutdown()
        server.server_close()
