"""Group IDs and version names in every operation: the one place an MLModelId given by a caller is resolved.

:func:`resolving_operations` wraps the handlers of every API operation whose input has an
``MLModelId`` member (read from botocore's service model, so a new operation cannot be missed), and the
tag operations on ``ResourceType=MLModel``: the handler gets the MLModelId of the model the caller's ID
names (:func:`openaml.domain.model_groups.resolve`): a group ID → its champion, ``<group>.v<N>`` →
version N. Not wrapped: ``CreateMLModel`` (its MLModelId is the new model's) and ``Predict``, which the
serving registry resolves in memory (no database read per prediction).
``DeleteMLModel`` is checked first so that it never deletes more than the caller named
(:func:`openaml.domain.model_groups.check_delete`). ``GetMLModel`` adds the model's group, version
name and aliases to ``TrainingParameters`` (``openaml.modelGroup``, ``openaml.modelVersion``,
``openaml.modelAliases``: string values, which boto3 parses as any other entry).

:func:`resolving_routes` does the same for the extension routes with an ``{MLModelId}`` path parameter
(and ``/{collection}/{ResourceId}/...`` on ``mlmodels``), except those that resolve on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openaml.domain import model_groups
from openaml.domain.context import ServiceContext
from openaml.domain.resources import get_resource
from openaml.entities import ML_MODELS, Caller, ResourceKind
from openaml.operations.extensions import ExtensionHandler, ExtensionRequest
from openaml.operations.kinds import Handler
from openaml.operations.validation import load_service_model

#: Operations that take an MLModelId but must not have it resolved (see the module docstring).
UNRESOLVED_OPERATIONS = frozenset({"CreateMLModel", "Predict"})
TAG_OPERATIONS = frozenset({"AddTags", "DescribeTags", "DeleteTags"})
MEMBER = "MLModelId"


def operations_taking_model_id() -> frozenset[str]:
    """The API operations whose input has an ``MLModelId`` member."""
    model = load_service_model()
    names = set()
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        if shape is not None and MEMBER in shape.members:
            names.add(name)
    return frozenset(names)


def _resolved_handler(operation: str, handler: Handler) -> Handler:
    def resolved(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        target = model_groups.resolve(ctx, params[MEMBER])
        if operation == ML_MODELS.delete_operation:
            model_groups.check_delete(ctx, target, caller.access_key_id)
        result = handler(ctx, {**params, MEMBER: target.ml_model_id}, caller)
        if operation == ML_MODELS.get_operation:
            model = get_resource(ctx, ResourceKind.ML_MODEL, target.ml_model_id)
            result = {
                **result,
                "TrainingParameters": {
                    **result.get("TrainingParameters", {}),
                    **model_groups.model_group_parameters(ctx, model),
                },
            }
        return result

    return resolved


def _resolved_tag_handler(handler: Handler) -> Handler:
    def resolved(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        if params.get("ResourceType") == ResourceKind.ML_MODEL.value:
            params = {**params, "ResourceId": model_groups.resolve(ctx, params["ResourceId"]).ml_model_id}
        return handler(ctx, params, caller)

    return resolved


def resolving_operations(operations: Mapping[str, Handler]) -> dict[str, Handler]:
    """``operations`` with every MLModelId a caller gives resolved before the handler runs."""
    taking = operations_taking_model_id() - UNRESOLVED_OPERATIONS
    wrapped: dict[str, Handler] = {}
    for name, handler in operations.items():
        if name in taking:
            wrapped[name] = _resolved_handler(name, handler)
        elif name in TAG_OPERATIONS:
            wrapped[name] = _resolved_tag_handler(handler)
        else:
            wrapped[name] = handler
    return wrapped


def _resolved_route(handler: ExtensionHandler) -> ExtensionHandler:
    def resolved(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
        path = dict(request.path)
        if MEMBER in path:
            path[MEMBER] = model_groups.resolve(ctx, path[MEMBER]).ml_model_id
        elif path.get("collection") == ML_MODELS.collection and "ResourceId" in path:
            path["ResourceId"] = model_groups.resolve(ctx, path["ResourceId"]).ml_model_id
        return handler(ctx, ExtensionRequest(path, request.query, request.body), caller)

    return resolved


def resolving_routes(
    routes: list[tuple[str, str, ExtensionHandler]], *, unresolved: frozenset[str] = frozenset()
) -> list[tuple[str, str, ExtensionHandler]]:
    """``routes`` with their model IDs resolved, except the path templates in ``unresolved``."""
    out = []
    for method, template, handler in routes:
        takes_model = "{MLModelId}" in template or template.startswith("/{collection}/{ResourceId}")
        if takes_model and template not in unresolved:
            handler = _resolved_route(handler)
        out.append((method, template, handler))
    return out
