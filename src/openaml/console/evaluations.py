"""Evaluation pages: the headline metric against its baseline, the pictures of the report, the cut-off.

The report comes from ``GET /openaml/v1/evaluations/{EvaluationId}/report`` (its layout is documented
in ``openaml.engine.evaluation.evaluate``). Every section is optional here: a page shows what the
report has and says what it lacks. For BINARY models the cut-off slider starts at the model's current
``ScoreThreshold``; moving it reads the report's threshold table (in the browser), and saving it calls
``UpdateMLModel``.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaml.console import charts
from openaml.console.kinds import is_running
from openaml.console.pages import BASE, Console, FormError, Visit, optional, security_headers
from openaml.console.resources import ModelAndDataForm
from openaml.errors import InternalServerException, OpenAMLError
from openaml.operations.extensions import RawContent

REPORT = ("GET", "/evaluations/{EvaluationId}/report")
CHART = ("GET", "/evaluations/{EvaluationId}/charts/{chart}")
#: The pictures the server exports for reports, ``file name → label``.
EXPORTS = {
    "confusion-matrix.svg": "Confusion matrix (SVG)",
    "confusion-matrix.png": "Confusion matrix (PNG)",
    "roc-curve.svg": "ROC curve (SVG)",
    "roc-curve.png": "ROC curve (PNG)",
}


@dataclass(frozen=True)
class Headline:
    """Amazon ML's one number per model type, and what it is compared against."""

    metric: str
    baseline: str
    label: str
    higher_is_better: bool
    explanation: str


HEADLINES = {
    "BINARY": Headline(
        "BinaryAUC", "BaselineBinaryAUC", "AUC", True, "0.5 is what ranking records at random achieves."
    ),
    "MULTICLASS": Headline(
        "MulticlassAvgFScore",
        "BaselineMulticlassAvgFScore",
        "Macro-average F1",
        True,
        "The baseline always predicts the most frequent class.",
    ),
    "REGRESSION": Headline(
        "RegressionRMSE",
        "BaselineRegressionRMSE",
        "RMSE",
        False,
        "The baseline always predicts the mean target.",
    ),
}
#: The columns of the threshold table the cut-off panel shows (report key, label).
CUTOFF_COLUMNS = (
    ("accuracy", "Accuracy"),
    ("precision", "Precision"),
    ("recall", "Recall"),
    ("fpr", "False-positive rate"),
    ("tp", "True positives"),
    ("fp", "False positives"),
    ("tn", "True negatives"),
    ("fn", "False negatives"),
)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def metric_values(evaluation: dict[str, Any], report: dict[str, Any] | None) -> dict[str, float | None]:
    """Every metric as a number: the report's, else the ``PerformanceMetrics`` strings."""
    properties = (evaluation.get("PerformanceMetrics") or {}).get("Properties") or {}
    values = {name: _number(value) for name, value in properties.items()}
    values.update({name: _number(value) for name, value in ((report or {}).get("metrics") or {}).items()})
    return values


def headline_view(model_type: str, metrics: dict[str, float | None]) -> dict[str, Any] | None:
    headline = HEADLINES.get(model_type)
    if headline is None or metrics.get(headline.metric) is None:
        return None
    value, baseline = metrics[headline.metric], metrics.get(headline.baseline)
    better = None
    if value is not None and baseline is not None:
        better = value > baseline if headline.higher_is_better else value < baseline
    return {"headline": headline, "value": value, "baseline": baseline, "better": better}


def cutoff_view(report: dict[str, Any], threshold: float) -> dict[str, Any] | None:
    """The threshold table for the browser, and the metrics at ``threshold`` for the first paint."""
    table = report.get("thresholdTable")
    if not table or not table.get("threshold"):
        return None
    index = min(range(len(table["threshold"])), key=lambda i: abs(table["threshold"][i] - threshold))
    return {
        "table": {key: table.get(key) for key in ("threshold", *(column for column, _ in CUTOFF_COLUMNS))},
        "columns": CUTOFF_COLUMNS,
        "threshold": table["threshold"][index],
        "at": {column: (table.get(column) or [None] * (index + 1))[index] for column, _ in CUTOFF_COLUMNS},
    }


def figures(report: dict[str, Any], cutoff: dict[str, Any] | None) -> dict[str, Any]:
    """The report's charts, each only when the report has its data."""
    drawn: dict[str, Any] = {}
    at = (cutoff or {}).get("at") or {}
    if report.get("confusionMatrix"):
        drawn["confusion"] = charts.confusion_figure(report["confusionMatrix"])
    if report.get("scoreHistograms"):
        threshold = cutoff["threshold"] if cutoff else report.get("scoreThreshold", 0.5)
        drawn["scores"] = charts.score_histogram_figure(report["scoreHistograms"], threshold)
    has_point = at.get("fpr") is not None and at.get("recall") is not None
    if report.get("rocCurve"):
        drawn["roc"] = charts.roc_figure(report["rocCurve"], (at["fpr"], at["recall"]) if has_point else None)
    if report.get("precisionRecallCurve"):
        point = (at["recall"], at["precision"]) if has_point and at.get("precision") is not None else None
        drawn["pr"] = charts.precision_recall_figure(report["precisionRecallCurve"], point)
    if report.get("residualHistogram"):
        drawn["residuals"] = charts.residual_figure(report["residualHistogram"])
    if report.get("predictedVsActual"):
        figure = charts.predicted_vs_actual_figure(report["predictedVsActual"])
        if figure is not None:
            drawn["predicted_actual"] = figure
    return drawn


def _available_exports(report: dict[str, Any] | None) -> dict[str, str]:
    """The exported charts this report can be drawn as."""
    if not report:
        return {}
    sections = {"confusion-matrix": "confusionMatrix", "roc-curve": "rocCurve"}
    return {name: label for name, label in EXPORTS.items() if report.get(sections[name.split(".")[0]])}


def routes(console: Console) -> list[Route]:
    gateway = console.gateway

    async def show(request: Request, visit: Visit) -> Response:
        evaluation_id = request.path_params["id"]
        evaluation = await gateway.call("GetEvaluation", {"EvaluationId": evaluation_id}, visit.caller)
        model, _ = await optional(
            gateway.call("GetMLModel", {"MLModelId": evaluation["MLModelId"]}, visit.caller)
        )
        report, report_message = None, None
        if evaluation["Status"] == "COMPLETED":
            report, report_message = await optional(
                gateway.extension_json(*REPORT, visit.caller, path={"EvaluationId": evaluation_id})
            )
        model_type = (report or {}).get("modelType") or (model or {}).get("MLModelType", "")
        metrics = metric_values(evaluation, report)
        threshold = _number((model or {}).get("ScoreThreshold"))
        if threshold is None:
            threshold = _number((report or {}).get("scoreThreshold")) or 0.5
        cutoff = cutoff_view(report, threshold) if report and model_type == "BINARY" else None
        headline = headline_view(model_type, metrics)
        shown = {headline["headline"].metric, headline["headline"].baseline} if headline else set()
        return console.render(
            request,
            "evaluation.html",
            {
                "page_title": f"Evaluation {evaluation.get('Name') or evaluation_id}",
                "evaluation": evaluation,
                "model": model,
                "model_type": model_type,
                "report": report,
                "report_message": report_message,
                "headline": headline,
                "other_metrics": [
                    (name, value) for name, value in sorted(metrics.items()) if name not in shown
                ],
                "cutoff": cutoff,
                "figures": figures(report, cutoff) if report else {},
                "per_class": ((report or {}).get("confusionMatrix") or {}).get("perClass") or [],
                "alerts": [*((report or {}).get("alerts") or []), *((report or {}).get("warnings") or [])],
                "live": is_running(evaluation["Status"]),
                "exports": _available_exports(report),
            },
            session=visit.session,
        )

    async def export(request: Request, visit: Visit) -> Response:
        """A chart of the report as the server draws it for reports (SVG or PNG), as a download."""
        chart = request.path_params["chart"]
        if chart not in EXPORTS:
            raise FormError(f"There is no chart {chart!r}; the charts are {', '.join(EXPORTS)}.")
        content = await gateway.extension(
            *CHART, visit.caller, path={"EvaluationId": request.path_params["id"], "chart": chart}
        )
        if not isinstance(content, RawContent):
            raise InternalServerException("The server did not answer the chart as a file.")
        filename = f"{request.path_params['id']}-{chart}"
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        return security_headers(Response(content.body, media_type=content.media_type, headers=headers))

    render_form = ModelAndDataForm(console, "evaluation_new.html", "Evaluate a model").render

    async def new(request: Request, visit: Visit) -> Response:
        values = {
            "evaluation_id": f"ev-{secrets.token_hex(4)}",
            "name": "",
            "ml_model_id": request.query_params.get("model", ""),
            "data_source_id": request.query_params.get("datasource", ""),
        }
        return await render_form(request, visit, values)

    async def create(request: Request, visit: Visit) -> Response:
        values = {key: visit.field(key) for key in ("evaluation_id", "name", "ml_model_id", "data_source_id")}
        params = {
            "EvaluationId": values["evaluation_id"],
            "MLModelId": values["ml_model_id"],
            "EvaluationDataSourceId": values["data_source_id"],
        }
        if values["name"]:
            params["EvaluationName"] = values["name"]
        try:
            if not values["ml_model_id"] or not values["data_source_id"]:
                raise FormError("Choose the model to evaluate and the datasource to evaluate it on.")
            await gateway.call("CreateEvaluation", params, visit.caller)
        except FormError as error:
            return await render_form(request, visit, values, message=str(error), status=400)
        except OpenAMLError as error:
            return await render_form(request, visit, values, message=error.message, status=error.status)
        return console.redirect(
            request,
            f"{BASE}/evaluations/{values['evaluation_id']}",
            flash=f"Evaluation {values['evaluation_id']} is running.",
        )

    return [
        Route(BASE + "/evaluations/new", console.page(new), methods=["GET"]),
        Route(BASE + "/evaluations/new", console.page(create), methods=["POST"]),
        Route(BASE + "/evaluations/{id}", console.page(show), methods=["GET"]),
        Route(BASE + "/evaluations/{id}/charts/{chart}", console.page(export), methods=["GET"]),
    ]
