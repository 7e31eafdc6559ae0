"""Extension endpoints under ``/openaml/v1/``: statistics, logs, reports and the like.

They answer JSON (or the stored text for logs) and are authenticated with the same SigV4 credentials
as the API (service name ``machinelearning``), so any AWS signer can call them. The routes themselves
are declared in :mod:`openaml.operations.extensions`; handlers run off the event loop and return a
JSON-able mapping or :class:`RawContent`.
"""

from __future__ import annotations

import logging

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import Receive, Scope, Send

from openaml.api.protocol import Authenticator
from openaml.api.responses import error_response, json_response, new_request_id
from openaml.domain.context import ServiceContext
from openaml.errors import (
    InternalServerException,
    MethodNotAllowedException,
    NotFoundException,
    OpenAMLError,
    SerializationException,
)
from openaml.operations.extensions import ExtensionHandler, ExtensionRequest, RawContent

log = logging.getLogger(__name__)

PREFIX = "/openaml/v1"


class ExtensionEndpoint:
    """Dispatches ``/openaml/v1/...`` requests to their handlers after SigV4 verification."""

    def __init__(
        self,
        ctx: ServiceContext,
        routes: list[tuple[str, str, ExtensionHandler]],
        authenticate: Authenticator,
    ) -> None:
        self.ctx = ctx
        self.authenticate = authenticate
        self.routes = [
            (method, compile_path(PREFIX + template)[0], handler) for method, template, handler in routes
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An ASGI application, so that its route takes every HTTP method (wrong ones get a JSON 405)."""
        response = await self.handle(Request(scope, receive))
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        request_id = new_request_id()
        try:
            verify = self.authenticate(request)
            handler, path_params = self._match(request)
            body = await request.body()
            caller = verify(body)
            try:
                payload = orjson.loads(body) if body.strip() else None
            except orjson.JSONDecodeError as exc:
                raise SerializationException(f"The request body is not valid JSON: {exc}.") from exc
            extension_request = ExtensionRequest(path_params, dict(request.query_params), payload)
            result = await run_in_threadpool(handler, self.ctx, extension_request, caller)
            if isinstance(result, RawContent):
                return Response(
                    result.body, media_type=result.media_type, headers={"x-amzn-RequestId": request_id}
                )
            return json_response(result, request_id, content_type="application/json")
        except MethodNotAllowed as error:
            response = error_response(error, request_id, content_type="application/json")
            response.headers["Allow"] = ", ".join(error.allowed)
            return response
        except OpenAMLError as error:
            return error_response(error, request_id, content_type="application/json")
        except Exception:
            log.exception("request %s failed", request_id)
            return error_response(
                InternalServerException(
                    f"The server failed to process the request (request id {request_id})."
                ),
                request_id,
                content_type="application/json",
            )

    def _match(self, request: Request) -> tuple[ExtensionHandler, dict[str, str]]:
        """The handler of the request's path and method (``HEAD`` is answered as ``GET``), or 404/405."""
        path = request.url.path
        wanted = "GET" if request.method == "HEAD" else request.method
        allowed = []
        for method, regex, handler in self.routes:
            match = regex.fullmatch(path)
            if match is None:
                continue
            if method == wanted:
                return handler, match.groupdict()
            allowed.append(method)
        if allowed:
            methods = set(allowed) | ({"HEAD"} if "GET" in allowed else set())
            raise MethodNotAllowed(sorted(methods), request.method, path)
        raise NotFoundException(f"No extension endpoint at {path}.")


class MethodNotAllowed(MethodNotAllowedException):
    """A 405 that knows the methods to list in the ``Allow`` header."""

    def __init__(self, allowed: list[str], method: str, path: str) -> None:
        super().__init__(f"{method} is not supported on {path}; use {', '.join(allowed)}.")
        self.allowed = allowed
