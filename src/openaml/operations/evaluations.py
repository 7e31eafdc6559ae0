"""The Evaluation operations, the detailed report and its charts."""

from __future__ import annotations

import json
from typing import Any

from openaml.domain import evaluations as domain
from openaml.domain import resources
from openaml.domain.context import ServiceContext
from openaml.domain.records import EvaluationRequest
from openaml.entities import EVALUATIONS, Caller, EntityStatus, ResourceKind
from openaml.errors import ResourceNotFoundException
from openaml.operations.extensions import ExtensionRequest, RawContent
from openaml.operations.kinds import MODEL_AND_DATA_FILTERS, KindHooks, kind_handlers

KIND = ResourceKind.EVALUATION


def create_evaluation(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    request = EvaluationRequest(params["MLModelId"], params["EvaluationDataSourceId"])
    resource = domain.create_evaluation(
        ctx, caller, evaluation_id=params["EvaluationId"], name=params.get("EvaluationName"), request=request
    )
    return {"EvaluationId": resource.id}


def _report(ctx: ServiceContext, evaluation_id: str) -> dict[str, Any]:
    resource = resources.get_resource(ctx, KIND, evaluation_id)
    if resource.status is not EntityStatus.COMPLETED:
        raise ResourceNotFoundException(
            f"Evaluation {resource.id} has no report: it is {resource.status.value}."
        )
    return json.loads(ctx.objects.server_files.read_bytes(domain.report_uri(ctx, resource.id)))  # type: ignore[no-any-return]


def get_report(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/evaluations/{EvaluationId}/report``: the detailed report (docs/evaluations.md)."""
    return _report(ctx, request.path["EvaluationId"])


def get_chart(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/evaluations/{id}/charts/{chart}``: ``confusion-matrix``, ``roc-curve`` and
    ``residual-histogram`` as ``.svg`` or ``.png``; ``summary.png`` has every chart (the CLI's ``--png``)."""
    evaluation_id = request.path["EvaluationId"]
    report = _report(ctx, evaluation_id)
    body, media_type = domain.render_chart(report, request.path["chart"], f"Evaluation {evaluation_id}")
    return RawContent(body, media_type)


#: What this kind's Get/Update/Delete/Describe do beyond what every kind does.
KIND_HOOKS = KindHooks(filters=MODEL_AND_DATA_FILTERS)
OPERATIONS = {
    "CreateEvaluation": create_evaluation,
    **kind_handlers(EVALUATIONS, KIND_HOOKS),
}
EXTENSION_ROUTES = [
    ("GET", "/evaluations/{EvaluationId}/report", get_report),
    ("GET", "/evaluations/{EvaluationId}/charts/{chart}", get_chart),
]
