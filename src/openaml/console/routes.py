"""The console's routes, for the HTTP composition root to mount beside the API.

Static files come from inside installed packages: the console's own CSS and JavaScript from
``openaml/console/static`` and plotly.js from the ``plotly`` Python package
(``plotly/package_data/plotly.min.js``), so nothing is fetched from the internet at run time.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from openaml.console import (
    auth,
    batch_predictions,
    dashboard,
    data_sources,
    drift,
    evaluations,
    ml_models,
    model_groups,
    resources,
    training,
)
from openaml.console.gateway import Gateway
from openaml.console.pages import BASE, Console, security_headers
from openaml.console.session import KeyPairLike, SessionSigner
from openaml.domain.console_access import ConsoleAccess
from openaml.domain.context import ServiceContext

_MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def _static_files() -> dict[str, bytes]:
    """The console's static files by name, read once; plotly.js only when its package is installed."""
    files = {
        entry.name: entry.read_bytes()
        for entry in importlib.resources.files("openaml.console").joinpath("static").iterdir()
        if entry.is_file()
    }
    try:
        plotly = importlib.resources.files("plotly").joinpath("package_data", "plotly.min.js")
        files["plotly.min.js"] = plotly.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        files["plotly.min.js"] = (
            b"console.error('plotly.js is not installed on the server: pip install plotly');"
        )
    return files


async def root(request: Request) -> Response:
    """``GET /``: a browser goes to the console; any other client gets a short JSON hint (200).

    The API itself is ``POST /`` (Amazon ML's JSON protocol, SigV4-signed), so a ``GET`` of the server's
    URL is a person looking, with a browser (``Accept: text/html``) or with curl.
    """
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(BASE + "/", status_code=302)
    return JSONResponse(
        {
            "message": "OpenAML: the Amazon Machine Learning API is POST / (SigV4-signed, as boto3 and the "
            "AWS CLI send it); the web console is at /console/.",
            "console": BASE + "/",
            "health": "/health",
        }
    )


def console_routes(ctx: ServiceContext, key_pairs: Iterable[KeyPairLike]) -> list[BaseRoute]:
    """The web console's routes under ``/console`` and :func:`root` at ``GET /``; sign-in uses key_pairs."""
    console = Console(Gateway(ctx), SessionSigner(key_pairs), ConsoleAccess(ctx))
    static = _static_files()

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in static:
            return security_headers(Response("Not found", status_code=404, media_type="text/plain"))
        suffix = name[name.rfind(".") :]
        response = Response(static[name], media_type=_MEDIA_TYPES.get(suffix, "application/octet-stream"))
        response.headers["Cache-Control"] = "public, max-age=3600"
        return security_headers(response, cache=True)

    async def to_dashboard(request: Request) -> Response:
        return RedirectResponse(BASE + "/", status_code=307)

    return [
        Route("/", root, methods=["GET"]),
        Route(BASE, to_dashboard, methods=["GET"]),
        Route(BASE + "/static/{name}", asset, methods=["GET"]),
        *auth.routes(console),
        *dashboard.routes(console),
        *data_sources.routes(console),
        *training.routes(console),
        *ml_models.routes(console),
        *drift.routes(console),
        *model_groups.routes(console),
        *evaluations.routes(console),
        *batch_predictions.routes(console),
        *resources.routes(console),
    ]
