"""``Get*``, ``Update*``, ``Delete*`` and ``Describe*`` of every kind, made by one factory.

The four operations work alike for the four kinds: find the resource by its ID member, render its
shape, rename it, soft-delete it, list it with filters. :func:`kind_handlers` writes them once from
the kind's :class:`~openaml.entities.KindDescriptor` (which members and operation names) and its
:class:`KindHooks` (what differs: the kind's own ``Describe*`` filters, ``UpdateMLModel``'s
``ScoreThreshold``, ``DeleteMLModel`` taking down the endpoint, ``DeleteDataSource`` removing the
snapshots the service wrote). ``Get*``'s ``Verbose`` variants are the kind's shape in
:data:`openaml.operations.wire.SHAPES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from openaml.domain import resources
from openaml.domain.context import ServiceContext
from openaml.entities import Caller, KindDescriptor, Resource
from openaml.operations import wire
from openaml.operations.describe import COMMON_FILTERS, describe
from openaml.operations.resources import log_uri

Handler = Callable[[ServiceContext, dict[str, Any], Caller], dict[str, Any]]
#: ``Update*``: the request → the new name and any other fields to store with it.
UpdateHook = Callable[[ServiceContext, dict[str, Any]], tuple[str | None, Mapping[str, Any]]]
#: ``Delete*``: the resource's ID → fields to store with the DELETED status.
DeleteHook = Callable[[ServiceContext, str], Mapping[str, Any]]
#: ``Delete*``, once the resource is DELETED: what else goes with it.
DeletedHook = Callable[[ServiceContext, Resource], None]
#: The ``Describe*`` filters of the kinds made from a model and a datasource (evaluations, batch predictions).
MODEL_AND_DATA_FILTERS = {"MLModelId": "ml_model_id", "DataSourceId": "data_source_id", "DataURI": "data_uri"}


@dataclass(frozen=True)
class KindHooks:
    """What one kind's ``Get``/``Update``/``Delete``/``Describe`` do beyond what all kinds do."""

    #: The kind's own ``FilterVariable`` values → the column each compares (besides
    #: :data:`~openaml.operations.describe.COMMON_FILTERS`).
    filters: Mapping[str, str] = field(default_factory=dict)
    #: ``Update*`` other than a plain rename of the required name member.
    update: UpdateHook | None = None
    #: Fields to store when a resource of the kind is deleted.
    delete: DeleteHook | None = None
    #: What the kind removes once a resource is DELETED (a datasource: the files the service wrote).
    deleted: DeletedHook | None = None


def kind_handlers(descriptor: KindDescriptor, hooks: KindHooks) -> dict[str, Handler]:
    """The ``Get``, ``Update``, ``Delete`` and ``Describe`` handlers of one kind, by operation name."""
    kind, id_member = descriptor.kind, descriptor.id_member
    filters = COMMON_FILTERS | dict(hooks.filters)

    def get(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        resource = resources.get_resource(ctx, kind, params[id_member])
        view = wire.View(
            str(ctx.settings.public_url),
            verbose=bool(params.get("Verbose")),
            log_uri=log_uri(ctx, kind, resource.id, caller),
            for_get=True,
        )
        return wire.resource_shape(resource, view)

    def update(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        name: str | None
        extra: Mapping[str, Any] = {}
        if hooks.update is None:
            name = params[descriptor.name_member]
        else:
            name, extra = hooks.update(ctx, params)
        resources.rename_resource(ctx, kind, params[id_member], name, extra)
        return {id_member: params[id_member]}

    def delete(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        extra = hooks.delete(ctx, params[id_member]) if hooks.delete is not None else {}
        deleted = resources.delete_resource(ctx, kind, params[id_member], extra)
        if hooks.deleted is not None:
            hooks.deleted(ctx, deleted)
        return {id_member: params[id_member]}

    def describe_kind(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        return describe(ctx, kind, params, filters)

    return {
        descriptor.get_operation: get,
        descriptor.update_operation: update,
        descriptor.delete_operation: delete,
        descriptor.describe_operation: describe_kind,
    }
