"""A model's drift page: its drift reports, a form to start one, and the chosen report's attributes.

The report shows one row per attribute (method, score, threshold, drifted) and, below, the baseline's
and the current distribution of each attribute overlaid — SVG pictures drawn by ``openaml.charts``
(the server's one chart renderer), fetched through the extension route every client uses.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaml.console.kinds import is_running
from openaml.console.pages import BASE, Console, FormError, Visit, optional
from openaml.errors import OpenAMLError
from openaml.operations.extensions import RawContent

LIST = ("GET", "/driftreports")
GET = ("GET", "/driftreports/{DriftReportId}")
CREATE = ("POST", "/driftreports")
CHART = ("GET", "/driftreports/{DriftReportId}/charts/{chart}")
#: Attributes drawn on the page (the most drifted first); the table lists them all.
MAX_CHARTS = 24


def routes(console: Console) -> list[Route]:
    gateway = console.gateway

    async def render(
        request: Request, visit: Visit, *, message: str | None = None, status: int = 200
    ) -> Response:
        model_id = request.path_params["id"]
        model = await gateway.call("GetMLModel", {"MLModelId": model_id}, visit.caller)
        listed = await gateway.extension(*LIST, visit.caller, path={}, query={"MLModelId": model_id})
        reports = listed["DriftReports"]
        chosen_id = request.query_params.get("report") or next(
            (r["DriftReportId"] for r in reports if r["Status"] == "COMPLETED"), None
        )
        chosen, problem = (None, None)
        if chosen_id:
            chosen, problem = await optional(
                gateway.extension_json(*GET, visit.caller, path={"DriftReportId": chosen_id})
            )
        pictures = []
        body = (chosen or {}).get("Report")
        if body:
            entries = sorted(body["attributes"], key=lambda a: -(a["score"] or 0.0))[:MAX_CHARTS]
            names = [a["name"] for a in entries] + (["(prediction)"] if body.get("predictionDrift") else [])
            for name in names:
                picture, _ = await optional(
                    gateway.extension(
                        *CHART, visit.caller, path={"DriftReportId": chosen_id or "", "chart": f"{name}.svg"}
                    )
                )
                if isinstance(picture, RawContent):
                    pictures.append((name, Markup(picture.body.decode("utf-8"))))  # our own SVG, text escaped
        sources = await gateway.describe_all(
            "DescribeDataSources", {"FilterVariable": "Status", "EQ": "COMPLETED"}, visit.caller
        )
        return console.render(
            request,
            "drift.html",
            {
                "page_title": f"Drift of {model.get('Name') or model_id}",
                "model": model,
                "reports": reports,
                "chosen": chosen,
                "report": body,
                "problem_message": problem or message,
                "pictures": pictures,
                "data_sources": [s["DataSourceId"] for s in sources],
                "new_id": f"dr-{secrets.token_hex(4)}",
                "live": bool(chosen) and is_running((chosen or {}).get("Status", "")),
            },
            session=visit.session,
            status=status,
        )

    async def show(request: Request, visit: Visit) -> Response:
        return await render(request, visit)

    async def create(request: Request, visit: Visit) -> Response:
        model_id = request.path_params["id"]
        report_id = visit.field("report_id") or f"dr-{secrets.token_hex(4)}"
        current: dict[str, Any]
        if visit.field("current") == "captured":
            hours = visit.field("hours") or "24"
            try:
                current = {"MLModelId": model_id, "From": time.time() - float(hours) * 3600}
            except ValueError:
                return await render(
                    request, visit, message=f"Hours must be a number, not {hours!r}.", status=400
                )
        else:
            if not visit.field("data_source_id"):
                return await render(request, visit, message="Choose the datasource to compare.", status=400)
            current = {"DataSourceId": visit.field("data_source_id")}
        body = {"DriftReportId": report_id, "Baseline": {"MLModelId": model_id}, "Current": current}
        try:
            await gateway.extension(*CREATE, visit.caller, path={}, body=body)
        except (OpenAMLError, FormError) as error:
            text = error.message if isinstance(error, OpenAMLError) else str(error)
            return await render(request, visit, message=text, status=400)
        return console.redirect(
            request,
            f"{BASE}/mlmodels/{model_id}/drift?report={report_id}",
            flash=f"Drift report {report_id} is running.",
        )

    return [
        Route(BASE + "/mlmodels/{id}/drift", console.page(show), methods=["GET"]),
        Route(BASE + "/mlmodels/{id}/drift", console.page(create), methods=["POST"]),
    ]
