"""What the console does alike for every object type: live status, job logs and deletion.

``GET /console/api/status?r=mlmodels/ID&r=...`` answers the status, message and structured progress
(the API's ``GET .../{id}/progress``: an :class:`openaml.progress.JobProgress` as JSON) and, for models,
endpoint status of the objects a page shows as running; ``console.js`` polls it every few seconds while
any of them runs.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openaml.console.kinds import BY_COLLECTION, ML_MODELS
from openaml.console.pages import BASE, Console, Visit, security_headers
from openaml.entities import Caller
from openaml.errors import NotFoundException, OpenAMLError, ResourceNotFoundException
from openaml.operations.extensions import RawContent

LOG = ("GET", "/{collection}/{ResourceId}/log")
PROGRESS = ("GET", "/{collection}/{ResourceId}/progress")
#: Most objects one status request may ask about.
MAX_STATUS_REFERENCES = 200


class ModelAndDataForm:
    """A create form picking a COMPLETED model and datasource (evaluations, batch predictions)."""

    def __init__(self, console: Console, template: str, title: str) -> None:
        self.console = console
        self.template = template
        self.title = title

    async def render(
        self,
        request: Request,
        visit: Visit,
        values: dict[str, str],
        *,
        message: str | None = None,
        status: int = 200,
    ) -> Response:
        completed = {"FilterVariable": "Status", "EQ": "COMPLETED"}
        gateway = self.console.gateway
        return self.console.render(
            request,
            self.template,
            {
                "page_title": self.title,
                "values": values,
                "models": await gateway.describe_all("DescribeMLModels", completed, visit.caller),
                "data_sources": await gateway.describe_all("DescribeDataSources", completed, visit.caller),
                "message": message,
            },
            session=visit.session,
            status=status,
        )


async def status_of(console: Console, caller: Caller, reference: str) -> dict[str, Any]:
    """The live state of one object named ``collection/id``."""
    collection, _, resource_id = reference.partition("/")
    info = BY_COLLECTION.get(collection)
    if info is None or not resource_id:
        return {"ref": reference, "error": "not an object reference"}
    try:
        result = await console.gateway.call(info.get, {info.id_member: resource_id}, caller)
    except ResourceNotFoundException:
        return {"ref": reference, "status": "NOTFOUND"}
    except OpenAMLError as error:
        return {"ref": reference, "error": error.message}
    state: dict[str, Any] = {
        "ref": reference,
        "status": result["Status"],
        "message": result.get("Message") or "",
        "progress": None,
    }
    if result["Status"] == "INPROGRESS":
        report = await console.gateway.extension_json(
            *PROGRESS, caller, path={"collection": collection, "ResourceId": resource_id}
        )
        state["progress"] = report.get("Progress")
        if state["progress"]:
            state["message"] = state["progress"].get("message") or state["message"]
    if info is ML_MODELS:
        state["endpointStatus"] = (result.get("EndpointInfo") or {}).get("EndpointStatus", "NONE")
    return state


def routes(console: Console) -> list[Route]:
    async def status(request: Request) -> Response:
        session = await console.session_of(request)
        if session is None or not session.signed_in:
            return security_headers(JSONResponse({"message": "Sign in again."}, status_code=401))
        caller = console.sessions.caller(session)
        references = request.query_params.getlist("r")[:MAX_STATUS_REFERENCES]
        states = [await status_of(console, caller, reference) for reference in references]
        return security_headers(JSONResponse({"resources": states}))

    async def log(request: Request, visit: Visit) -> Response:
        collection = request.path_params["collection"]
        if collection not in BY_COLLECTION:
            raise NotFoundException(f"There is no {collection!r} in the console.")
        content = await console.gateway.extension(
            *LOG, visit.caller, path={"collection": collection, "ResourceId": request.path_params["id"]}
        )
        body = content.body if isinstance(content, RawContent) else str(content).encode("utf-8")
        return security_headers(Response(body, media_type="text/plain; charset=utf-8"))

    async def delete(request: Request, visit: Visit) -> Response:
        info = BY_COLLECTION.get(request.path_params["collection"])
        if info is None:
            raise NotFoundException(f"There is no {request.path_params['collection']!r} in the console.")
        resource_id = request.path_params["id"]
        await console.gateway.call(info.delete, {info.id_member: resource_id}, visit.caller)
        return console.redirect(
            request, info.url(resource_id), flash=f"{info.label} {resource_id} is deleted."
        )

    return [
        Route(BASE + "/api/status", status, methods=["GET"]),
        Route(BASE + "/{collection}/{id}/log", console.page(log), methods=["GET"]),
        Route(BASE + "/{collection}/{id}/delete", console.page(delete), methods=["POST"]),
    ]
