"""uvicorn's HTTP protocol (httptools) with the limits plain uvicorn lacks.

- a deadline for receiving a whole request, headers and body (SERVE_REQUEST_TIMEOUT):
  uvicorn itself never times out a client that connects and stays silent, or sends its
  headers or body a byte at a time, so a few such clients could hold every connection;
- limits on the request line and headers (SERVE_MAX_HEADER_BYTES, MAX_HEADERS), enforced
  as the bytes arrive: httptools has none and assembles a header value piece by piece, so
  one 64 MB header held a worker for seconds;
- the parser's own refusals (400, 431) answered as JSON, counted in /metrics and logged as
  one JSON line with the client, like every other answer;
- a request refused before it was all sent (413, 431) closes its connection: the answer
  goes out, then the end of the stream, so a client reading as it sends stops at once;
  what still arrives is dropped unread for at most LINGER_SECONDS, so a client that sends
  the whole body before reading (Python's http.client, requests) reads its 413 instead of
  a connection reset.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from {{ cookiecutter.package_name }}.serve.logs import LOG
from {{ cookiecutter.package_name }}.serve.observe import (
    NOSNIFF,
    REQUESTS,
    TRANSPORT_STATUS,
)
from {{ cookiecutter.package_name }}.serve.settings import (
    SETTINGS_STATE,
    ServeSettings,
)

MAX_HEADERS = 100  # header fields in one request (Apache's and gunicorn's limit); more is a 431
LINGER_SECONDS = 2.0  # after refusing an unfinished request, then the connection is closed


class HeadRefused(Exception):  # noqa: N818 (a refusal, not an error of the service)
    """Raised from a parser callback to stop parsing a request whose head is over a limit."""


class LingeringTransport:
    """A connection's transport whose close() lets the client read a refusal first.

    Closing a socket with unread bytes sends a reset, which can destroy the answer before
    the client reads it. When the request is unfinished, close() sends the end of the stream
    instead and drops what still arrives (the protocol does not parse it) until the client
    hangs up or LINGER_SECONDS pass. Everything else is the transport's own.
    """

    def __init__(self, transport: asyncio.Transport, unfinished: Callable[[], bool]) -> None:
        self._transport = transport
        self._unfinished = unfinished
        self.lingering = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def is_closing(self) -> bool:
        """Closing, lingering included: nothing more is written or read as a request."""
        return self.lingering or self._transport.is_closing()

    def close(self) -> None:
        """Close, after a linger when the request was not all received."""
        if self.lingering or self._transport.is_closing() or not self._unfinished():
            self._transport.close()
            return
        self.lingering = True
        if self._transport.can_write_eof():
            self._transport.write_eof()  # sent once the answer is
        self._transport.resume_reading()
        asyncio.get_running_loop().call_later(LINGER_SECONDS, self._transport.close)


class DeadlineHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, with a deadline on each request and limits on its head.

    The clock starts when the connection opens and again after each response; if the
    request has not fully arrived when it runs out, the connection is closed. A request
    that has arrived is never cut off, however long the answer takes.

    The head (request line and headers) is measured as it arrives: in the bytes received
    while it is incomplete (a header value is only handed over whole, after the parser has
    assembled it), and field by field once parsed. Over the limit it is a 431 at once.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._refusal: tuple[int, str] | None = None  # why the parser was stopped
        self._in_head = True  # the next bytes belong to a request's head
        self._fresh_head = False  # a new head began inside the bytes being parsed
        self._head_bytes = 0  # bytes received while the current head was incomplete
        self._head_size = 0  # request line and header fields parsed so far
        self._header_count = 0
        self._expired = False  # the request deadline passed: close without lingering

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request on this connection."""
        lingering = LingeringTransport(transport, self._request_unfinished)
        super().connection_made(lingering)  # type: ignore[arg-type]
        self._start_clock()

    def on_response_complete(self) -> None:
        """Start the clock for the next request on this connection."""
        super().on_response_complete()
        self._start_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock: no request to wait for."""
        self._stop_clock()
        super().connection_lost(exc)

    @property
    def settings(self) -> ServeSettings:
        """The SERVE_* settings as the worker's app read them (uvicorn hands its lifespan state)."""
        settings: ServeSettings = self.app_state[SETTINGS_STATE]
        return settings

    @property
    def request_timeout(self) -> float:
        """SERVE_REQUEST_TIMEOUT."""
        return self.settings.request_timeout

    def data_received(self, data: bytes) -> None:
        """Parse the bytes; refuse a head that has grown past the limit without completing."""
        if self.transport.is_closing():
            return  # a refused request's rest, dropped unread
        counting = self._in_head
        self._fresh_head = False
        super().data_received(data)
        if not (self._in_head and counting and not self._fresh_head):
            return  # the head ended, or a new one began, in these bytes: fields are measured
        self._head_bytes += len(data)
        if self._head_bytes > self.settings.max_header_bytes and not self.transport.is_closing():
            self.refuse(431, self._over_size())

    def on_message_begin(self) -> None:
        """A new request: nothing of its head is counted yet."""
        super().on_message_begin()
        self._head_size = self._header_count = 0

    def on_url(self, url: bytes) -> None:
        """Count the request target towards the head's size."""
        self._grow_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Count the field; stop parsing past MAX_HEADERS fields or the size limit."""
        self._header_count += 1
        if self._header_count > MAX_HEADERS:
            self._stop(431, f"more than {MAX_HEADERS} header fields; send fewer")
        self._grow_head(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """The head is in: the body, if any, follows."""
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The request is in: the next bytes begin another head."""
        super().on_message_complete()
        self._in_head, self._fresh_head, self._head_bytes, self._head_size = True, True, 0, 0

    def send_400_response(self, msg: str) -> None:
        """Called by uvicorn on any parser error: answer with the refusal's own status."""
        status, reason = self._refusal or (400, "malformed HTTP request (line, headers, chunks)")
        self.refuse(status, reason)

    def refuse(self, status: int, reason: str) -> None:
        """Answer the parser's refusal as JSON and close; count and log it like a request."""
        self._refusal = None
        client = "%s:%d" % self.client if self.client else "unknown"  # noqa: UP031
        fields = {"client": client, "status": status, "reason": reason}
        LOG.warning("request refused by the HTTP parser", extra={"fields": fields})
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            # The app is reading this request's body: it stops at once, and its request log
            # line and count carry the status the client got.
            cycle.scope["state"][TRANSPORT_STATUS] = status
            cycle.disconnected = True
            cycle.message_event.set()
            if cycle.response_started:
                self.transport.close()  # its answer is half sent: no room for another
                return
        else:
            REQUESTS.labels("-", "other", str(status)).inc()
        body = json.dumps({"detail": reason}).encode()
        head = [
            f"HTTP/1.1 {status} {_PHRASES[status]}",
            "content-type: application/json",
            f"content-length: {len(body)}",
            "connection: close",
            f"{NOSNIFF[0].decode()}: {NOSNIFF[1].decode()}",
        ]
        self.transport.write("\r\n".join(head).encode() + b"\r\n\r\n" + body)
        self.transport.close()

    def _request_unfinished(self) -> bool:
        """A refusal would leave bytes of the request unread (the deadline cuts regardless)."""
        if self._expired:
            return False
        cycle = self.cycle
        if self._in_head:
            return self._head_size > 0 or self._head_bytes > 0
        return cycle is not None and cycle.more_body

    def _grow_head(self, size: int) -> None:
        self._head_size += size
        if self._head_size > self.settings.max_header_bytes:
            self._stop(431, self._over_size())

    def _over_size(self) -> str:
        limit = self.settings.max_header_bytes
        return f"request line and headers over {limit} bytes (SERVE_MAX_HEADER_BYTES)"

    def _stop(self, status: int, reason: str) -> None:
        self._refusal = (status, reason)
        raise HeadRefused(reason)  # httptools stops and reports it as a parser error

    def _start_clock(self) -> None:
        self._stop_clock()
        if not self.transport.is_closing():
            self._deadline = self.loop.call_later(self.request_timeout, self._expire)

    def _stop_clock(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not cycle.more_body:
            return  # the whole request is in; the app is answering it
        if not self.transport.is_closing():
            client = "%s:%d" % self.client if self.client else "unknown"  # noqa: UP031
            fields = {"client": client, "timeout_s": self.request_timeout}
            LOG.warning("no whole request in time; connection closed", extra={"fields": fields})
            self._expired = True
            self.transport.close()


_PHRASES = {400: "Bad Request", 431: "Request Header Fields Too Large"}
