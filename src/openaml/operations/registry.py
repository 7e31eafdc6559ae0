"""The tables of what the server answers: API operations (wire name → handler) and extension routes.

Every one of the 28 operations of the Amazon ML service model has an entry (a test checks it); the
``Get``/``Update``/``Delete``/``Describe`` handlers of each kind come from
:func:`openaml.operations.kinds.kind_handlers`.
Handlers take the service context, the validated request parameters and the caller, and return the
response members. Extension routes (under ``/openaml/v1/``) are ``(method, path template, handler)``
from the modules that own them; see :mod:`openaml.operations.extensions`.
"""

from __future__ import annotations

from openaml.operations import (
    batch_predictions,
    comparison_charts,
    data_sources,
    drift,
    evaluations,
    explanations,
    exports,
    ml_models,
    model_groups,
    realtime,
    resources,
    retrains,
    schedules,
    tags,
)
from openaml.operations.extensions import ExtensionHandler
from openaml.operations.kinds import Handler as Handler  # re-exported: the API and console type by it
from openaml.operations.model_ids import resolving_operations, resolving_routes

#: Operations cheap enough to run on the event loop: no database or disk work on their usual path.
INLINE_OPERATIONS = realtime.INLINE_OPERATIONS
#: Request headers an operation reads as parameters (``X-OpenAML-Explain`` of ``Predict``).
HEADER_PARAMETERS = realtime.HEADER_PARAMETERS

#: Every operation; a group ID or version name given as an MLModelId is resolved first (model_ids.py).
OPERATIONS: dict[str, Handler] = resolving_operations(
    {
        **data_sources.OPERATIONS,
        **ml_models.OPERATIONS,
        **evaluations.OPERATIONS,
        **realtime.OPERATIONS,
        **batch_predictions.OPERATIONS,
        **tags.OPERATIONS,
    }
)

#: Every extension route: ``(method, path template, handler)``.
EXTENSION_ROUTES: list[tuple[str, str, ExtensionHandler]] = [
    *resolving_routes(
        [
            *data_sources.EXTENSION_ROUTES,
            *ml_models.EXTENSION_ROUTES,
            *explanations.EXTENSION_ROUTES,
            *exports.EXTENSION_ROUTES,
            *evaluations.EXTENSION_ROUTES,
            *batch_predictions.EXTENSION_ROUTES,
            *realtime.EXTENSION_ROUTES,
            *resources.EXTENSION_ROUTES,
        ],
        unresolved=realtime.SELF_RESOLVING_ROUTES,
    ),
    *model_groups.EXTENSION_ROUTES,
    *retrains.EXTENSION_ROUTES,
    *drift.EXTENSION_ROUTES,
    *schedules.EXTENSION_ROUTES,
    *comparison_charts.EXTENSION_ROUTES,
]
