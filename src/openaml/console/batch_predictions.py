"""Batch prediction pages: create one, follow it, download its results."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaml.console.kinds import is_running
from openaml.console.pages import BASE, Console, FormError, Visit, optional, security_headers
from openaml.console.resources import ModelAndDataForm
from openaml.errors import InternalServerException, OpenAMLError
from openaml.operations.extensions import RawContent

MANIFEST = ("GET", "/batchpredictions/{BatchPredictionId}/manifest")
RESULT = ("GET", "/batchpredictions/{BatchPredictionId}/results/{index}")


def _file_name(uri: str) -> str:
    """The last part of a result file's URI, safe for a Content-Disposition header."""
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    return "".join(c for c in name if c.isalnum() or c in "._-") or "results.gz"


_FIELDS = ("batch_prediction_id", "name", "ml_model_id", "data_source_id", "output_uri")


def routes(console: Console) -> list[Route]:
    gateway = console.gateway

    async def show(request: Request, visit: Visit) -> Response:
        batch_prediction_id = request.path_params["id"]
        result = await gateway.call(
            "GetBatchPrediction", {"BatchPredictionId": batch_prediction_id}, visit.caller
        )
        manifest, manifest_message = None, None
        if result["Status"] == "COMPLETED":
            manifest, manifest_message = await optional(
                gateway.extension_json(
                    *MANIFEST, visit.caller, path={"BatchPredictionId": batch_prediction_id}
                )
            )
        files = [
            {"input": source, "result": target, "name": _file_name(target), "index": index}
            for index, (source, target) in enumerate((manifest or {}).items())
        ]
        return console.render(
            request,
            "batch_prediction.html",
            {
                "page_title": f"Batch prediction {result.get('Name') or batch_prediction_id}",
                "bp": result,
                "files": files,
                "manifest_message": manifest_message,
                "live": is_running(result["Status"]),
            },
            session=visit.session,
        )

    async def download(request: Request, visit: Visit) -> Response:
        """One result file (gzip-compressed CSV), named as the server stores it."""
        batch_prediction_id, index = request.path_params["id"], request.path_params["index"]
        path = {"BatchPredictionId": batch_prediction_id}
        manifest = await gateway.extension_json(*MANIFEST, visit.caller, path=path)
        content = await gateway.extension(*RESULT, visit.caller, path={**path, "index": index})
        if not isinstance(content, RawContent):
            raise InternalServerException("The server did not answer the result file as a file.")
        targets = list(manifest.values())
        name = (
            _file_name(targets[int(index)])
            if index.isascii() and index.isdigit() and int(index) < len(targets)
            else "results.gz"
        )
        response = Response(
            content.body,
            media_type=content.media_type,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
        return security_headers(response)

    render_form = ModelAndDataForm(console, "batch_prediction_new.html", "Create a batch prediction").render

    async def new(request: Request, visit: Visit) -> Response:
        values = dict.fromkeys(_FIELDS, "")
        values |= {
            "batch_prediction_id": f"bp-{secrets.token_hex(4)}",
            "ml_model_id": request.query_params.get("model", ""),
        }
        return await render_form(request, visit, values)

    async def create(request: Request, visit: Visit) -> Response:
        values = {key: visit.field(key) for key in _FIELDS}
        params = {
            "BatchPredictionId": values["batch_prediction_id"],
            "MLModelId": values["ml_model_id"],
            "BatchPredictionDataSourceId": values["data_source_id"],
            "OutputUri": values["output_uri"],
        }
        if values["name"]:
            params["BatchPredictionName"] = values["name"]
        try:
            if not values["ml_model_id"] or not values["data_source_id"] or not values["output_uri"]:
                raise FormError("Choose the model and the datasource, and say where the results go.")
            await gateway.call("CreateBatchPrediction", params, visit.caller)
        except FormError as error:
            return await render_form(request, visit, values, message=str(error), status=400)
        except OpenAMLError as error:
            return await render_form(request, visit, values, message=error.message, status=error.status)
        return console.redirect(
            request,
            f"{BASE}/batchpredictions/{values['batch_prediction_id']}",
            flash=f"Batch prediction {values['batch_prediction_id']} is running.",
        )

    return [
        Route(BASE + "/batchpredictions/new", console.page(new), methods=["GET"]),
        Route(BASE + "/batchpredictions/new", console.page(create), methods=["POST"]),
        Route(BASE + "/batchpredictions/{id}", console.page(show), methods=["GET"]),
        Route(BASE + "/batchpredictions/{id}/results/{index}", console.page(download), methods=["GET"]),
    ]
