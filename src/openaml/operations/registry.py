"""The table of API operations: wire name → handler.

Every one of the 28 operations of the Amazon ML service model has an entry (a test checks it).
Handlers take the service context, the validated request parameters and the caller, and return the
response members.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openaml.domain.context import ServiceContext
from openaml.entities import Caller
from openaml.operations import batch_predictions, data_sources, evaluations, ml_models, realtime, tags

Handler = Callable[[ServiceContext, dict[str, Any], Caller], dict[str, Any]]

#: Operations cheap enough to run on the event loop: no database or disk work on their usual path.
INLINE_OPERATIONS = realtime.INLINE_OPERATIONS

OPERATIONS: dict[str, Handler] = {
    **data_sources.OPERATIONS,
    **ml_models.OPERATIONS,
    **evaluations.OPERATIONS,
    **realtime.OPERATIONS,
    **batch_predictions.OPERATIONS,
    **tags.OPERATIONS,
}
