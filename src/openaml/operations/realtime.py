"""Real-time predictions: Create/DeleteRealtimeEndpoint, Predict, and many records in one call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openaml.domain import endpoints, explanations
from openaml.domain.context import RealtimeModels, ServiceContext
from openaml.entities import Caller
from openaml.errors import InternalServerException, InvalidInputException, LimitExceededException
from openaml.operations.extensions import ExtensionRequest
from openaml.operations.wire import endpoint_info

#: The parameter the ``X-OpenAML-Explain`` header of a ``Predict`` request becomes (not a wire member).
EXPLAIN_PARAMETER = "openaml:explain"
#: Request headers an operation reads besides its JSON body: operation → (header, parameter) pairs.
HEADER_PARAMETERS = {"Predict": (("x-openaml-explain", EXPLAIN_PARAMETER),)}
#: Most records in one call of the multi-record extension.
MAX_RECORDS_PER_CALL = 10_000


def create_realtime_endpoint(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    model = endpoints.create_realtime_endpoint(ctx, params["MLModelId"])
    return {"MLModelId": model.id, "RealtimeEndpointInfo": endpoint_info(model, str(ctx.settings.public_url))}


def delete_realtime_endpoint(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    model = endpoints.delete_realtime_endpoint(ctx, params["MLModelId"])
    return {"MLModelId": model.id, "RealtimeEndpointInfo": endpoint_info(model, str(ctx.settings.public_url))}


def _check_size(ctx: ServiceContext, record: Mapping[str, str]) -> None:
    """Refuse a record longer than ``OPENAML_MAX_RECORD_BYTES`` characters (names and values; both are
    strings once validated, and joining them is cheaper than summing hundreds of lengths)."""
    size = len("".join(record)) + len("".join(record.values()))
    limit = ctx.settings.max_record_bytes
    if size > limit:
        raise LimitExceededException(
            f"The record has {size:,} characters; the limit is {limit:,} (OPENAML_MAX_RECORD_BYTES)."
        )


def _registry(ctx: ServiceContext) -> RealtimeModels:
    if ctx.endpoints is None:
        raise InternalServerException("This process serves no real-time endpoints.")
    return ctx.endpoints


def predict(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    """One prediction; ``PredictEndpoint`` is accepted as given (botocore already routed the call here).

    The ``X-OpenAML-Explain`` header arrives as :data:`EXPLAIN_PARAMETER` (see :data:`HEADER_PARAMETERS`).
    """
    record = params["Record"]
    _check_size(ctx, record)
    top = explanations.request_explain_top(params.get(EXPLAIN_PARAMETER))
    return {"Prediction": _registry(ctx).predict(params["MLModelId"], [record], top)[0]}


def predict_many(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``POST /openaml/v1/mlmodels/{MLModelId}/predictions``: ``{"Records": [...]}`` → ``{"Predictions"}``;
    ``"Explain": "top=5"`` in the body asks for explanations as the ``X-OpenAML-Explain`` header does."""
    records = request.body.get("Records") if isinstance(request.body, dict) else None
    if not isinstance(records, list) or not all(
        isinstance(r, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in r.items())
        for r in records
    ):
        raise InvalidInputException(
            'The body must be {"Records": [{"attribute": "value", ...}, ...]} with string values.'
        )
    if len(records) > MAX_RECORDS_PER_CALL:
        raise LimitExceededException(
            f"At most {MAX_RECORDS_PER_CALL:,} records per call; got {len(records):,}."
        )
    for record in records:
        _check_size(ctx, record)
    explain = request.body.get("Explain")
    if explain is not None and not isinstance(explain, str):
        raise InvalidInputException('"Explain" must be a string such as "top=5".')
    top = explanations.request_explain_top(explain)
    return {"Predictions": _registry(ctx).predict(request.path["MLModelId"], records, top) if records else []}


OPERATIONS = {
    "CreateRealtimeEndpoint": create_realtime_endpoint,
    "DeleteRealtimeEndpoint": delete_realtime_endpoint,
    "Predict": predict,
}
INLINE_OPERATIONS = frozenset({"Predict"})
EXTENSION_ROUTES = [("POST", "/mlmodels/{MLModelId}/predictions", predict_many)]
#: Routes whose model ID the serving registry resolves itself, in memory (like Predict's).
SELF_RESOLVING_ROUTES = frozenset({"/mlmodels/{MLModelId}/predictions"})
