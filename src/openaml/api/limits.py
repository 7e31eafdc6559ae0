"""The request-body limit of every route: API calls, extension endpoints and console forms.

A body larger than ``OPENAML_MAX_REQUEST_BYTES`` is refused with ``413 RequestTooLargeException``. A
``Content-Length`` over the limit is answered from the headers alone, before the application runs and
before a byte of the body is read (a client that sends ``Expect: 100-continue`` never sends it); a body
without one (chunked) is counted as it streams in and refused as soon as it passes the limit, so the
server never holds more than the limit plus one chunk of any request.

:class:`RequestSizeLimit` applies it to every route Starlette serves; ``POST /``, which the server
answers before Starlette (:meth:`openaml.api.protocol.JsonProtocolEndpoint.asgi`), applies the same
limit itself with :func:`parse_length` and :func:`too_large`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openaml.api.responses import CONTENT_TYPE, error_response, new_request_id
from openaml.errors import RequestTooLargeException

SETTING = "OPENAML_MAX_REQUEST_BYTES"


def too_large(limit: int, length: int | None = None) -> RequestTooLargeException:
    """The error of a body over ``limit`` bytes (``length``: its declared size, when known)."""
    size = f"The request body has {length:,} bytes" if length is not None else "The request body is longer"
    return RequestTooLargeException(
        f"{size}; this server accepts at most {limit:,} bytes per request ({SETTING})."
    )


def declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length`` (``None`` when absent; the HTTP parser has rejected bad ones)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return parse_length(value.decode("latin-1"))
    return None


def parse_length(text: str | None) -> int | None:
    """A ``Content-Length`` value as a number (``None`` when absent or not a plain number)."""
    if text is None:
        return None
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


class RequestSizeLimit:
    """ASGI middleware that keeps every request body within ``limit`` bytes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None and length > self.limit:
            content_type = "application/json" if scope["path"].startswith("/openaml/") else CONTENT_TYPE
            response = error_response(too_large(self.limit, length), new_request_id(), content_type)
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise too_large(self.limit)
            return message

        await self.app(scope, limited_receive, send)
