"""The composition root of the HTTP server: builds the Starlette application from a service context.

Routes: ``GET /health`` (unauthenticated readiness), ``/openaml/v1/...`` (extension endpoints),
and every ``POST`` at any other path is an AWS JSON 1.1 call (botocore keeps the path of the client's
endpoint URL, so the API must answer on all of them).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from openaml.api.credentials import DEFAULT_ACCOUNT, KeyPair
from openaml.api.extensions import PREFIX, ExtensionEndpoint
from openaml.api.health import health_endpoint
from openaml.api.limits import RequestSizeLimit
from openaml.api.protocol import Authenticator, JsonProtocolEndpoint, request_headers
from openaml.api.sigv4 import check_headers, presign_url
from openaml.console import console_routes
from openaml.domain.context import ServiceContext
from openaml.domain.endpoints import EndpointRegistry, freeze_long_lived_objects
from openaml.entities import Caller
from openaml.errors import MissingAuthenticationTokenException
from openaml.jobs.supervisor import WorkerStatusFile
from openaml.operations.registry import EXTENSION_ROUTES, HEADER_PARAMETERS, INLINE_OPERATIONS, OPERATIONS
from openaml.operations.validation import InputValidator, load_service_model

ANONYMOUS = Caller("anonymous", f"arn:aws:iam::{DEFAULT_ACCOUNT}:user/anonymous")


class SigV4Authenticator:
    """Checks a request's SigV4 headers against the configured key pairs (an :class:`Authenticator`).

    It refuses a request from its headers alone (missing or malformed signature, unknown key, stale
    date) and otherwise returns the check of the signature over the body, which the endpoint runs once
    it has read the body.
    """

    def __init__(self, key_pairs: Sequence[KeyPair], *, allow_anonymous: bool) -> None:
        self._secrets = {p.access_key_id: (p.secret_access_key, p.user_arn) for p in key_pairs}
        self._allow_anonymous = allow_anonymous

    def __call__(self, request: Request) -> Callable[[bytes], Caller]:
        return self.check(request.scope, request_headers(request.scope)[0])

    def check(self, scope: Scope, headers: Mapping[str, str]) -> Callable[[bytes], Caller]:
        if self._allow_anonymous and "authorization" not in headers:
            return _anonymous
        if not self._secrets and "authorization" in headers:
            raise MissingAuthenticationTokenException("This server has no access keys configured.")
        raw_path = scope.get("raw_path") or scope["path"].encode()
        return check_headers(
            method=scope["method"],
            raw_path=raw_path.decode("latin-1").split("?", 1)[0],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            principal_for=self._secrets.get,
        ).verify


def _anonymous(body: bytes) -> Caller:
    return ANONYMOUS


def make_authenticator(key_pairs: Sequence[KeyPair], *, allow_anonymous: bool) -> Authenticator:
    """The :class:`SigV4Authenticator` of ``key_pairs``."""
    return SigV4Authenticator(key_pairs, allow_anonymous=allow_anonymous)


class ServiceApplication(Starlette):
    """The Starlette application, with ``POST /`` answered before its middleware and routing.

    Nearly every call goes to ``POST /`` (``Predict`` above all), and :meth:`JsonProtocolEndpoint.asgi`
    answers it completely, its body limit included; Starlette's stack (error and exception middleware,
    :class:`RequestSizeLimit`, the router, request and response objects) would only add to each call.
    """

    def __init__(self, api: JsonProtocolEndpoint, **options: Any) -> None:
        super().__init__(**options)
        self._api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/":
            await self._api.asgi(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(
    ctx: ServiceContext,
    key_pairs: Sequence[KeyPair],
    *,
    serving_processes: int = 1,
    worker_status: WorkerStatusFile | None = None,
) -> Starlette:
    """The application of one serving process; it keeps its real-time models in sync while it runs.

    ``worker_status`` is where ``GET /health`` learns how many job workers run (see :mod:`.health`).
    """
    authenticate = make_authenticator(key_pairs, allow_anonymous=ctx.settings.allow_anonymous)
    secrets = {p.access_key_id: p.secret_access_key for p in key_pairs}

    def presign(url: str, caller: Caller) -> str:
        secret = secrets.get(caller.access_key_id)
        return presign_url(url, caller.access_key_id, secret) if secret else url

    registry = EndpointRegistry(ctx, serving_processes=serving_processes)
    ctx = ctx.serving(presign, registry)
    api = JsonProtocolEndpoint(
        ctx,
        OPERATIONS,
        InputValidator(load_service_model()),
        authenticate,
        inline_operations=INLINE_OPERATIONS,
        header_parameters=HEADER_PARAMETERS,
    )
    extension_api = ExtensionEndpoint(ctx, EXTENSION_ROUTES, authenticate)

    health = health_endpoint(worker_status)

    routes: list[BaseRoute] = [
        # POST / never gets here (ServiceApplication answers it first); the route keeps the router's
        # answer to other methods at "/" as it was.
        Route("/", api.__call__, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        # An ASGI endpoint takes every method: the extension endpoint answers 405 with an Allow header.
        Route(PREFIX + "/{rest:path}", extension_api),
    ]
    routes += console_routes(ctx, key_pairs)
    routes.append(Route("/{path:path}", api.__call__, methods=["POST"]))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = threading.Event()
        refresher = threading.Thread(
            target=registry.run_refresher, args=(stop,), name="endpoint-refresher", daemon=True
        )
        refresher.start()
        freeze_long_lived_objects()
        try:
            yield
        finally:
            stop.set()
            refresher.join(timeout=5)

    app = ServiceApplication(
        api,
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(RequestSizeLimit, limit=int(ctx.settings.max_request_bytes))],
    )
    app.state.ctx = ctx
    return app
