"""AWS JSON 1.1 over HTTP: the request pipeline of every API call.

One ordered list of steps, each of which may answer with a typed error:
1. check the SigV4 headers (a request without a valid-looking signature is refused before its body is
read); 2. read the body (at most ``OPENAML_MAX_REQUEST_BYTES``, see :mod:`openaml.api.limits`); 3. verify
the signature over it; 4. check the content type; 5. find the operation in ``X-Amz-Target``; 6. decode
the JSON object; 7. validate it against botocore's service model, then add the headers the operation
reads as parameters (``X-OpenAML-Explain`` of ``Predict``; SigV4 must cover them); 8. run the operation
(database work off the event loop); 9. encode the result.
Errors become ``{"__type", "message"}`` with the error's HTTP status; every response carries an
``x-amzn-RequestId``. Unexpected exceptions are logged with their traceback and reported as
``InternalServerException`` without one.

``POST /`` (nearly every call, ``Predict`` above all) is answered by :meth:`JsonProtocolEndpoint.asgi`,
a bare ASGI application the server calls before Starlette's routing and middleware: the same steps, the
body limit of :mod:`.limits` applied in place, the headers decoded once for every step, and the answer
sent as two ASGI messages instead of through a Starlette response (measured: about a third of the
service's own cost per request; docs/performance.md). Other paths reach :meth:`JsonProtocolEndpoint.__call__`
through Starlette; both give the same answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from openaml.api.limits import parse_length, too_large
from openaml.api.responses import (
    CONTENT_TYPE,
    bytes_response,
    error_body,
    error_response,
    json_body,
    json_response,
    new_request_id,
)
from openaml.domain.context import ServiceContext
from openaml.entities import Caller
from openaml.errors import (
    InternalServerException,
    OpenAMLError,
    SerializationException,
    UnknownOperationException,
)
from openaml.operations.registry import Handler
from openaml.operations.validation import InputValidator

__all__ = [
    "CONTENT_TYPE",
    "Authenticator",
    "JsonProtocolEndpoint",
    "error_response",
    "json_response",
    "new_request_id",
    "request_headers",
]

log = logging.getLogger(__name__)

TARGET_PREFIX = "AmazonML_20141212."
_ACCEPTED_CONTENT_TYPES = {CONTENT_TYPE, "application/json"}
_CONTENT_TYPE_BYTES = CONTENT_TYPE.encode("latin-1")


class Authenticator(Protocol):
    """Checks a request's SigV4 headers (or raises a typed error); returns the check of its body,
    giving the caller."""

    def __call__(self, request: Request) -> Callable[[bytes], Caller]:
        """The check of a Starlette request."""
        ...

    def check(self, scope: Scope, headers: Mapping[str, str]) -> Callable[[bytes], Caller]:
        """The check of an ASGI request whose headers :func:`request_headers` has decoded."""
        ...


def request_headers(scope: Scope) -> tuple[dict[str, str], dict[str, str]]:
    """The request's headers, decoded once: lower-case name → its values joined by commas (as SigV4
    reads them), and name → its first value (as Starlette's ``request.headers[name]`` reads it)."""
    joined: dict[str, str] = {}
    first: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name in joined:
            joined[name] = f"{joined[name]},{value}"
        else:
            joined[name] = first[name] = value
    return joined, first


class _Disconnected(Exception):
    """The client went away before the whole body arrived."""


async def _read_body(receive: Receive, limit: int | None) -> bytes:
    """The whole body; more than ``limit`` bytes (when given) is :func:`~openaml.api.limits.too_large`."""
    message = await receive()
    if message["type"] != "http.request":
        raise _Disconnected
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if limit is not None and len(body) > limit:
            raise too_large(limit)
        return body
    chunks = [body]
    received = len(body)
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _Disconnected
        chunk = message.get("body", b"")
        received += len(chunk)
        if limit is not None and received > limit:
            raise too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class JsonProtocolEndpoint:
    """The endpoint that answers every ``POST`` carrying an ``X-Amz-Target``."""

    def __init__(
        self,
        ctx: ServiceContext,
        operations: Mapping[str, Handler],
        validator: InputValidator,
        authenticate: Authenticator,
        inline_operations: frozenset[str] = frozenset(),
        header_parameters: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
    ) -> None:
        self.ctx = ctx
        self.operations = operations
        self.validator = validator
        self.authenticate = authenticate
        #: Operations cheap enough to run on the event loop (no database or disk work).
        self.inline_operations = inline_operations
        #: Headers an operation reads as parameters, added after validation (they are no wire members).
        self.header_parameters = header_parameters or {}
        #: The body limit :meth:`asgi` applies itself (Starlette's routes have :class:`.RequestSizeLimit`).
        self.max_request_bytes = int(ctx.settings.max_request_bytes)

    async def __call__(self, request: Request) -> Response:
        """The Starlette endpoint (paths other than ``/``; the middleware has bounded the body)."""
        try:
            status, body, request_id = await self.answer(request.scope, request.receive, limit=None)
        except _Disconnected:
            return Response(status_code=400)  # nobody is left to read it
        return bytes_response(body, request_id, status)

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The bare ASGI application of ``POST /``: :meth:`answer` with the body limit, sent as the
        Starlette endpoint sends it (same status, headers and body)."""
        try:
            status, body, request_id = await self.answer(scope, receive, limit=self.max_request_bytes)
        except _Disconnected:
            return
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"x-amzn-requestid", request_id.encode("latin-1")),
                    (b"content-length", str(len(body)).encode("latin-1")),
                    (b"content-type", _CONTENT_TYPE_BYTES),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def answer(self, scope: Scope, receive: Receive, *, limit: int | None) -> tuple[int, bytes, str]:
        """The status, JSON body and request ID of the answer to one call.

        ``limit``: the most body bytes accepted (a larger ``Content-Length`` is refused before
        anything else, as :class:`~openaml.api.limits.RequestSizeLimit` refuses it); ``None`` when
        the middleware bounds the body. Raises :class:`_Disconnected` when the client left.
        """
        request_id = new_request_id()
        try:
            headers, first = request_headers(scope)
            if limit is not None:
                length = parse_length(first.get("content-length"))
                if length is not None and length > limit:
                    raise too_large(limit, length)
            verify = self.authenticate.check(scope, headers)
            body = await _read_body(receive, limit)
            caller = verify(body)
            operation = self._operation_name(first)
            params = self._decode(first, body)
            self.validator.validate(operation, params)
            for header, name in self.header_parameters.get(operation, ()):
                if header in first:
                    params[name] = first[header]
            handler = self.operations[operation]
            if operation in self.inline_operations:
                result = handler(self.ctx, params, caller)
            else:
                result = await run_in_threadpool(handler, self.ctx, params, caller)
            return 200, json_body(result), request_id
        except OpenAMLError as error:
            return error.status, error_body(error), request_id
        except _Disconnected:
            raise
        except Exception:
            log.exception("request %s failed", request_id)
            internal = InternalServerException(
                f"The server failed to process the request (request id {request_id})."
            )
            return internal.status, error_body(internal), request_id

    def _operation_name(self, headers: Mapping[str, str]) -> str:
        target = headers.get("x-amz-target", "")
        if not target:
            raise UnknownOperationException("Missing X-Amz-Target header naming the operation.")
        prefix, _, name = target.partition(".")
        if prefix + "." != TARGET_PREFIX or name not in self.operations:
            raise UnknownOperationException(
                f"Unknown operation {target!r}; expected {TARGET_PREFIX}<Operation>."
            )
        return name

    @staticmethod
    def _decode(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in _ACCEPTED_CONTENT_TYPES:
            raise SerializationException(
                f"Content-Type must be {CONTENT_TYPE}, got {content_type or 'none'!r}."
            )
        if not body.strip():
            return {}
        try:
            params = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise SerializationException(f"The request body is not valid JSON: {exc}.") from exc
        if not isinstance(params, dict):
            raise SerializationException("The request body must be a JSON object.")
        return params
