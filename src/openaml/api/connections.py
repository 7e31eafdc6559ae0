"""Bounds on a request's head (request line and headers) that uvicorn does not enforce itself.

uvicorn's httptools protocol has no header-read timeout and no size bound on an incomplete head: a
connection that never finishes its headers stays open for ever, and one that keeps sending header bytes
grows the server's memory without end. (``timeout_keep_alive`` only closes connections idle *between*
requests; ``h11_max_incomplete_event_size`` applies to the slower h11 protocol only.)
:class:`BoundedHeadProtocol` adds both:

* ``OPENAML_HEADER_TIMEOUT_SECONDS``: the head must be complete this long after the connection opens or
  the request's first byte arrives; otherwise the server answers ``408`` and closes the connection.
* ``OPENAML_MAX_HEADER_BYTES``: a longer request line plus headers is answered ``431`` and closed.

Not bounded here: how long a client takes to send a body (its size is bounded by
``OPENAML_MAX_REQUEST_BYTES``, and only a client whose headers passed the checks that need no body gets
that far) and how many connections are open at once. A reverse proxy in front of a server that is reachable
from untrusted networks should bound those (nginx: ``client_body_timeout``, ``limit_conn``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def _response(status: str, message: str) -> bytes:
    body = message.encode("ascii")
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode("ascii") + body


class BoundedHeadProtocol(HttpToolsProtocol):
    """uvicorn's httptools HTTP/1.1 protocol with a deadline and a size bound on each request's head."""

    def __init__(self, *args: Any, header_timeout: float, max_header_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self.max_header_bytes = max_header_bytes
        self._head_bytes = 0
        self._head_too_large = False
        self._head_deadline: asyncio.TimerHandle | None = None

    # --- the deadline: from the connection (or the request's first byte) to the end of its headers

    def _arm(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.write(
                _response("408 Request Timeout", "The request headers did not arrive in time.")
            )
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    # --- the size bound of the head

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.max_header_bytes:
            self._head_too_large = True
            # The parser turns this into an HttpParserError: uvicorn stops parsing and answers with
            # send_400_response, which sends 431 instead (below) and closes the connection.
            raise ValueError("request head too large")

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def send_400_response(self, msg: str) -> None:
        if not self._head_too_large:
            super().send_400_response(msg)
            return
        self._disarm()
        self.transport.write(
            _response(
                "431 Request Header Fields Too Large",
                f"The request line and headers are longer than {self.max_header_bytes:,} bytes "
                "(OPENAML_MAX_HEADER_BYTES).",
            )
        )
        self.transport.close()
