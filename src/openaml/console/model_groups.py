"""The model group page: versions, aliases, the latest champion–challenger comparison, promote and
roll back, the alias history and the group's retraining schedules.

Everything comes from the extension routes every client uses (``/mlmodels/{GroupId}/versions``,
``.../history``, ``.../retrains``, ``.../aliases/{Alias}``, ``/schedules``), called through the
gateway as the signed-in person, so a promotion from this page is recorded under their access key like
one made with the CLI. The comparison chart is the server's own SVG picture (``charts/``), the same
file ``GET .../retrains/{RetrainId}/charts/comparison.svg`` serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaml.console.pages import BASE, Console, FormError, Visit, optional
from openaml.errors import OpenAMLError
from openaml.operations.extensions import RawContent

VERSIONS = ("GET", "/mlmodels/{GroupId}/versions")
HISTORY = ("GET", "/mlmodels/{GroupId}/history")
RETRAINS = ("GET", "/mlmodels/{GroupId}/retrains")
COMPARISON_CHART = ("GET", "/mlmodels/{GroupId}/retrains/{RetrainId}/charts/{chart}")
ALIAS = ("PUT", "/mlmodels/{GroupId}/aliases/{Alias}")
SCHEDULES = ("GET", "/schedules")
CHAMPION = "champion"


@dataclass(frozen=True)
class VersionScore:
    """A version's score on the holdout of the latest retrain that evaluated it."""

    metric: str
    score: float | None
    retrain_id: str


def version_scores(retrains: list[dict[str, Any]]) -> dict[str, VersionScore]:
    """Version name → its score in the newest comparison it took part in (retrains come newest first)."""
    scores: dict[str, VersionScore] = {}
    for retrain in retrains:
        comparison = retrain.get("Comparison") or {}
        for side in ("Champion", "Challenger"):
            name = comparison.get(f"{side}Version")
            if name and name not in scores:
                scores[name] = VersionScore(
                    str(comparison.get("Metric")),
                    comparison.get(f"{side}Score"),
                    str(retrain.get("RetrainId")),
                )
    return scores


def previous_champion(history: dict[str, Any] | None) -> int | None:
    """The version ``champion`` pointed at before its latest move (what "Roll back" returns to)."""
    for change in (history or {}).get("Changes", []):
        if change.get("Alias") == CHAMPION:
            from_version = change.get("FromVersion")
            return int(from_version) if from_version is not None else None
    return None


def latest_compared(retrains: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest retrain whose champion and challenger were both evaluated on its holdout."""
    return next((retrain for retrain in retrains if retrain.get("Comparison")), None)


def routes(console: Console) -> list[Route]:
    gateway = console.gateway

    async def show(request: Request, visit: Visit) -> Response:
        requested = request.path_params["id"]
        view = await gateway.extension(*VERSIONS, visit.caller, path={"GroupId": requested})
        group = str(view["GroupId"])
        path = {"GroupId": group}
        history, history_message = await optional(gateway.extension(*HISTORY, visit.caller, path=path))
        listed, retrains_message = await optional(gateway.extension(*RETRAINS, visit.caller, path=path))
        retrains: list[dict[str, Any]] = (listed or {}).get("Retrains", [])
        compared = latest_compared(retrains)
        chart, chart_message = None, None
        if compared is not None:
            picture, chart_message = await optional(
                gateway.extension(
                    *COMPARISON_CHART,
                    visit.caller,
                    path={**path, "RetrainId": str(compared["RetrainId"]), "chart": "comparison.svg"},
                )
            )
            if isinstance(picture, RawContent):
                # The server's own SVG (charts/svg.py escapes every text it writes), shown inline.
                chart = Markup(picture.body.decode("utf-8"))
        schedules, _ = await optional(
            gateway.extension(*SCHEDULES, visit.caller, path={}, query={"MLModelId": group})
        )
        versions = view.get("Versions", [])
        champion_name = (view.get("Aliases") or {}).get(CHAMPION)
        rollback_to = previous_champion(history)
        rollback_version = next((v for v in versions if v.get("Version") == rollback_to), None)
        return console.render(
            request,
            "model_group.html",
            {
                "page_title": f"Model group {group}",
                "group": group,
                "versions": versions,
                "aliases": view.get("Aliases") or {},
                "champion_name": champion_name,
                "scores": version_scores(retrains),
                "history": (history or {}).get("Changes", []),
                "history_message": history_message,
                "retrains": retrains,
                "retrains_message": retrains_message,
                "compared": compared,
                "chart": chart,
                "chart_message": chart_message,
                "rollback": rollback_version
                if rollback_version is not None and rollback_version.get("Status") == "COMPLETED"
                else None,
                "schedules": (schedules or {}).get("Schedules", []),
            },
            session=visit.session,
        )

    async def set_alias(request: Request, visit: Visit) -> Response:
        group = request.path_params["id"]
        alias = visit.field("alias") or CHAMPION
        version = visit.field("version")
        if not version:
            raise FormError("Choose the version the alias should point at.")
        target = f"{BASE}/mlmodels/{group}/group"
        try:
            answer = await gateway.extension(
                *ALIAS,
                visit.caller,
                path={"GroupId": group, "Alias": alias},
                body={"version": version, "reason": visit.field("reason") or None},
            )
        except OpenAMLError as error:
            return console.redirect(request, target, flash=error.message, error=True)
        if not answer.get("Changed"):
            message = f"{alias} already points at {answer.get('VersionName')}; nothing changed."
        else:
            message = f"{alias} now points at {answer.get('VersionName')}" + (
                f" (was v{answer['PreviousVersion']})." if answer.get("PreviousVersion") is not None else "."
            )
        return console.redirect(request, target, flash=message)

    return [
        Route(BASE + "/mlmodels/{id}/group", console.page(show), methods=["GET"]),
        Route(BASE + "/mlmodels/{id}/group/alias", console.page(set_alias), methods=["POST"]),
    ]
