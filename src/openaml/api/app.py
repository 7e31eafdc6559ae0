"""The composition root of the HTTP server: builds the Starlette application from a service context.

Routes: ``GET /health`` (unauthenticated readiness), ``/openaml/v1/...`` (extension endpoints),
and every ``POST`` at any other path is an AWS JSON 1.1 call (botocore keeps the path of the client's
endpoint URL, so the API must answer on all of them).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from openaml.api.credentials import DEFAULT_ACCOUNT, KeyPair
from openaml.api.extensions import PREFIX, ExtensionEndpoint
from openaml.api.health import health_endpoint
from openaml.api.limits import RequestSizeLimit
from openaml.api.protocol import Authenticator, JsonProtocolEndpoint
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


def make_authenticator(key_pairs: Sequence[KeyPair], *, allow_anonymous: bool) -> Authenticator:
    """A function that checks a request's SigV4 headers against the configured key pairs.

    It refuses a request from its headers alone (missing or malformed signature, unknown key, stale
    date) and otherwise returns the check of the signature over the body, which the endpoint runs once
    it has read the body.
    """
    secrets = {p.access_key_id: (p.secret_access_key, p.user_arn) for p in key_pairs}

    def anonymous(body: bytes) -> Caller:
        return ANONYMOUS

    def authenticate(request: Request) -> Callable[[bytes], Caller]:
        headers: dict[str, str] = {}
        for name, value in request.scope["headers"]:
            key, decoded = name.decode("latin-1").lower(), value.decode("latin-1")
            headers[key] = f"{headers[key]},{decoded}" if key in headers else decoded
        if allow_anonymous and "authorization" not in headers:
            return anonymous
        if not secrets and "authorization" in headers:
            raise MissingAuthenticationTokenException("This server has no access keys configured.")
        raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
        return check_headers(
            method=request.method,
            raw_path=raw_path.decode("latin-1").split("?", 1)[0],
            query=request.scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            principal_for=secrets.get,
        ).verify

    return authenticate


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
        # The API at "/" first: nearly every call (Predict above all) goes there, and Starlette tries
        # routes in order, so it must not wait behind the console's routes.
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

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(RequestSizeLimit, limit=int(ctx.settings.max_request_bytes))],
    )
    app.state.ctx = ctx
    return app
