"""The picture of a retrain's comparison: champion and challenger metrics on the shared holdout.

Drawn by :mod:`openaml.charts` (one renderer per format) from the two evaluation reports a retrain
made on its holdout, with the retrain's own rule of which metrics are better when lower and its
promotion metric marked; served at ``GET /openaml/v1/mlmodels/{group}/retrains/{id}/charts/{chart}``
and shown on the console's model group page.
"""

from __future__ import annotations

import json
from typing import Any

from openaml.domain import evaluations, model_groups, retrains
from openaml.domain.context import ServiceContext
from openaml.errors import ResourceNotFoundException


def _report(ctx: ServiceContext, evaluation_id: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(
        ctx.objects.server_files.read_bytes(evaluations.report_uri(ctx, evaluation_id))
    )
    return report


def comparison_chart(ctx: ServiceContext, group: str, retrain_id: str, chart: str) -> tuple[bytes, str]:
    """Chart file ``chart`` (``comparison.svg`` or ``comparison.png``) of a retrain, as (body, media type).

    ``ResourceNotFoundException`` until the retrain has compared both versions.
    """
    from openaml.charts.comparison import comparison_figure
    from openaml.charts.render import render_comparison_chart

    retrain = retrains.get_retrain(ctx, group, retrain_id)
    result = retrain.result or {}
    comparison = result.get("comparison")
    if not comparison:
        raise ResourceNotFoundException(
            f"Retrain {retrain_id} has not compared its versions yet: it is {retrain.status}."
        )
    champion = model_groups.version_name(retrain.group_id, result["championVersion"])
    challenger = model_groups.version_name(retrain.group_id, result["challengerVersion"])
    figure = comparison_figure(
        _report(ctx, str(result.get("championEvaluationId"))),
        _report(ctx, str(result.get("challengerEvaluationId"))),
        lower_is_better=retrains.LOWER_IS_BETTER,
        champion_label=f"champion {champion}",
        challenger_label=f"challenger {challenger}",
        promotion_metric=comparison.get("Metric"),
    )
    return render_comparison_chart(figure, chart)
