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
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

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

log = logging.getLogger(__name__)

TARGET_PREFIX = "AmazonML_20141212."
CONTENT_TYPE = "application/x-amz-json-1.1"
_ACCEPTED_CONTENT_TYPES = {CONTENT_TYPE, "application/json"}

#: Checks a request's headers (or raises a typed error); returns the check of its body, giving the caller.
Authenticator = Callable[[Request], Callable[[bytes], Caller]]


def json_response(
    payload: Mapping[str, Any], request_id: str, status: int = 200, content_type: str = CONTENT_TYPE
) -> Response:
    return Response(
        orjson.dumps(payload),
        status_code=status,
        media_type=content_type,
        headers={"x-amzn-RequestId": request_id},
    )


def error_response(error: OpenAMLError, request_id: str, content_type: str = CONTENT_TYPE) -> Response:
    body: dict[str, Any] = {"__type": error.code, "message": error.message}
    if error.has_code_member:
        body["code"] = error.status
    return json_response(body, request_id, error.status, content_type)


def new_request_id() -> str:
    return str(uuid.uuid4())


class JsonProtocolEndpoint:
    """The ASGI endpoint that answers every ``POST`` carrying an ``X-Amz-Target``."""

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

    async def __call__(self, request: Request) -> Response:
        request_id = new_request_id()
        try:
            verify = self.authenticate(request)
            body = await request.body()
            caller = verify(body)
            operation = self._operation_name(request)
            params = self._decode(request, body)
            self.validator.validate(operation, params)
            for header, name in self.header_parameters.get(operation, ()):
                if header in request.headers:
                    params[name] = request.headers[header]
            handler = self.operations[operation]
            if operation in self.inline_operations:
                result = handler(self.ctx, params, caller)
            else:
                result = await run_in_threadpool(handler, self.ctx, params, caller)
            return json_response(result, request_id)
        except OpenAMLError as error:
            return error_response(error, request_id)
        except Exception:
            log.exception("request %s failed", request_id)
            return error_response(
                InternalServerException(
                    f"The server failed to process the request (request id {request_id})."
                ),
                request_id,
            )

    def _operation_name(self, request: Request) -> str:
        target = request.headers.get("x-amz-target", "")
        if not target:
            raise UnknownOperationException("Missing X-Amz-Target header naming the operation.")
        prefix, _, name = target.partition(".")
        if prefix + "." != TARGET_PREFIX or name not in self.operations:
            raise UnknownOperationException(
                f"Unknown operation {target!r}; expected {TARGET_PREFIX}<Operation>."
            )
        return name

    @staticmethod
    def _decode(request: Request, body: bytes) -> dict[str, Any]:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
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
