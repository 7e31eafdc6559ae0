"""``GET /openaml/v1/mlmodels/{GroupId}/retrains/{RetrainId}/charts/{chart}``: a retrain's comparison.

``chart`` is ``comparison.svg`` or ``comparison.png`` (PNG needs the ``reports`` extra): every metric of
the champion's and the challenger's evaluations on the retrain's shared holdout, the promotion metric
marked. 404 until the retrain has compared both versions.
"""

from __future__ import annotations

from typing import Any

from openaml.domain.comparison_charts import comparison_chart
from openaml.domain.context import ServiceContext
from openaml.entities import Caller
from openaml.operations.extensions import ExtensionHandler, ExtensionRequest, RawContent


def get_comparison_chart(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    body, media_type = comparison_chart(
        ctx, request.path["GroupId"], request.path["RetrainId"], request.path["chart"]
    )
    return RawContent(body, media_type)


EXTENSION_ROUTES: list[tuple[str, str, ExtensionHandler]] = [
    ("GET", "/mlmodels/{GroupId}/retrains/{RetrainId}/charts/{chart}", get_comparison_chart),
]
