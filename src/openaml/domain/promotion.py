"""Moving a model group's alias, with the group's real-time endpoint following its champion.

A real-time endpoint created through a group ID (``CreateRealtimeEndpoint(MLModelId="churn")``) lands
on the champion version; when ``champion`` moves to a version without an endpoint, that version gets
one here (UPDATING), so every serving process loads and warms it. Serving switches ``Predict("churn")``
to the new champion only once it is loaded and warm in that process (see
:class:`openaml.domain.endpoints.EndpointRegistry`): the alias flip in the database never makes a
Predict fail. The old champion keeps its endpoint (requests in flight finish on it; a rollback is
instant); ``DeleteRealtimeEndpoint`` on its version name takes it down.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openaml.domain import endpoints, model_groups
from openaml.domain.context import ServiceContext
from openaml.entities import ResourceKind
from openaml.store.model_groups import AliasChange

KIND = ResourceKind.ML_MODEL


def move_alias(
    ctx: ServiceContext,
    changed_by: str,
    group_id: str,
    alias: str,
    version: int | None,
    *,
    reason: str | None,
    comparison: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    check_expected: bool = False,
) -> AliasChange | None:
    """Point ``alias`` of ``group_id`` at ``version`` (None removes it), record who, when and why, and,
    when ``champion`` moves, let the group's endpoint follow it (module docstring).

    The one way an alias moves (the alias route, the console, a retrain's comparison). The rules are
    :func:`openaml.domain.model_groups.check_alias_target`'s. Returns the recorded change (None when
    the alias already pointed there, or ``check_expected`` found it moved from ``expected_version``
    meanwhile).
    """
    model_groups.check_alias_target(ctx, group_id, alias, version)
    before = model_groups.aliases_of(ctx, group_id).get(alias)
    change = ctx.model_groups.set_alias(
        group_id,
        alias,
        version,
        changed_by=changed_by,
        reason=reason,
        comparison=comparison,
        implicit_version=1 if alias == model_groups.CHAMPION else None,
        expected_version=expected_version,
        check_expected=check_expected,
    )
    if change is not None and alias == model_groups.CHAMPION and before is not None and version is not None:
        _endpoint_follows(ctx, group_id, before, version)
    return change


def _endpoint_follows(ctx: ServiceContext, group_id: str, old: int, new: int) -> None:
    old_id = model_groups.resolve(ctx, model_groups.version_name(group_id, old)).ml_model_id
    new_id = model_groups.resolve(ctx, model_groups.version_name(group_id, new)).ml_model_id
    old_model, new_model = ctx.resources.get(KIND, old_id), ctx.resources.get(KIND, new_id)
    if old_model is None or new_model is None:
        return
    if old_model.endpoint_status in endpoints.MOUNTED and new_model.endpoint_status not in endpoints.MOUNTED:
        endpoints.create_realtime_endpoint(ctx, new_id)
