"""The table of API operations: wire name → handler.

Every one of the 28 operations of the Amazon ML service model has an entry. Handlers take the service
context, the validated request parameters and the caller, and return the response members. Operations
whose capability this version does not offer yet are listed in :data:`NOT_YET_AVAILABLE` and answer
:class:`NotImplementedException` naming themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openaml.domain.context import ServiceContext
from openaml.entities import Caller
from openaml.errors import NotImplementedException
from openaml.operations import data_sources, evaluations, ml_models, realtime, resources, tags

Handler = Callable[[ServiceContext, dict[str, Any], Caller], dict[str, Any]]

NOT_YET_AVAILABLE: tuple[str, ...] = ("CreateBatchPrediction",)


def _not_yet_available(name: str) -> Handler:
    def handler(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        raise NotImplementedException(f"{name} is not available in this version of OpenAML yet.")

    return handler


#: Operations cheap enough to run on the event loop: no database or disk work on their usual path.
INLINE_OPERATIONS = realtime.INLINE_OPERATIONS

OPERATIONS: dict[str, Handler] = {
    **data_sources.OPERATIONS,
    **ml_models.OPERATIONS,
    **evaluations.OPERATIONS,
    **realtime.OPERATIONS,
    **resources.OPERATIONS,
    **tags.OPERATIONS,
    **{name: _not_yet_available(name) for name in NOT_YET_AVAILABLE},
}
