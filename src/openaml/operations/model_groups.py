"""Extension routes of model groups: versions, aliases and their history (docs/api.md, "Model groups").

``{GroupId}`` may be a group ID, a version name (``churn.v2``) or a version's MLModelId; each names
the version's group. Shapes (JSON; stable — the console and the CLI read them):

``GET /openaml/v1/mlmodels/{GroupId}/versions`` →
``{"GroupId": "churn", "Aliases": {"champion": "churn.v2", "challenger": "churn.v3"},
"Versions": [{"Version": 1, "VersionName": "churn.v1", "MLModelId": "churn", "Status": "COMPLETED",
"MLModelType": "BINARY", "Name": "...", "CreatedAt": 1764800000.0, "EndpointStatus": "READY",
"ParentMLModelId": null, "UpdateMode": null, "Aliases": ["champion"]}, ...]}`` (oldest first; a
version whose model row is gone shows ``"Status": "DELETED"``).

``PUT /openaml/v1/mlmodels/{GroupId}/aliases/{Alias}`` with ``{"version": <3 | "3" | "v3" |
"churn.v3" | MLModelId of a version | null>, "reason": "why"}`` (``Version``/``Reason`` also accepted;
``null`` removes an alias other than ``champion``) → ``{"GroupId", "Alias", "Version" (null when
removed), "VersionName", "MLModelId", "PreviousVersion", "Changed": bool}``. Only a COMPLETED version
can be ``champion``; setting an alias where it already points changes and records nothing. Rolling back
is setting ``champion`` to the earlier version.

``GET /openaml/v1/mlmodels/{GroupId}/history`` → ``{"GroupId", "Changes": [{"Id", "Alias",
"FromVersion", "ToVersion", "FromVersionName", "ToVersionName", "ChangedAt" (epoch seconds),
"ChangedBy" (access key ID; for a retrain's automatic change, of whoever started the retrain), "Reason",
"Comparison" (null, or the retrain's comparison, shape in :mod:`openaml.operations.retrains`)}]}``,
newest first.
"""

from __future__ import annotations

from typing import Any

from openaml.domain import model_groups, promotion
from openaml.domain.context import ServiceContext
from openaml.entities import Caller
from openaml.errors import InvalidInputException
from openaml.operations.extensions import ExtensionRequest

_MISSING = object()


def _version_shape(group_id: str, entry: model_groups.GroupVersion, aliases: list[str]) -> dict[str, Any]:
    """One entry of ``Versions`` (module docstring)."""
    model = entry.model
    return {
        "Version": entry.version,
        "VersionName": model_groups.version_name(group_id, entry.version),
        "MLModelId": entry.ml_model_id,
        "Status": model.status.value if model is not None else "DELETED",
        "MLModelType": model.ml_model_type if model is not None else None,
        "Name": model.name if model is not None else None,
        "CreatedAt": model.created_at if model is not None else None,
        "EndpointStatus": model.endpoint_status if model is not None else None,
        "ParentMLModelId": entry.parent_ml_model_id,
        "UpdateMode": entry.update_mode,
        "Aliases": aliases,
    }


def get_versions(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    group_id = model_groups.require_group(ctx, request.path["GroupId"])
    aliases = model_groups.aliases_of(ctx, group_id)
    by_version: dict[int, list[str]] = {}
    for alias, version in aliases.items():
        by_version.setdefault(version, []).append(alias)
    return {
        "GroupId": group_id,
        "Aliases": {
            alias: model_groups.version_name(group_id, version) for alias, version in aliases.items()
        },
        "Versions": [
            _version_shape(group_id, entry, by_version.get(entry.version, []))
            for entry in model_groups.list_versions(ctx, group_id)
        ],
    }


def get_history(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    return model_groups.history(ctx, request.path["GroupId"])


def _member(body: dict[str, Any], name: str) -> Any:
    for key in (name, name[:1].upper() + name[1:]):
        if key in body:
            return body[key]
    return _MISSING


def put_alias(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    body = request.body
    if not isinstance(body, dict):
        raise InvalidInputException('The body must be {"version": <version>, "reason": "<why>"}.')
    group_id = model_groups.require_group(ctx, request.path["GroupId"])
    alias = request.path["Alias"]
    model_groups.check_alias_name(alias)
    reference = _member(body, "version")
    if reference is _MISSING:
        raise InvalidInputException('Give "version": the version the alias should point at.')
    reason = _member(body, "reason")
    if reason is _MISSING:
        reason = None
    elif reason is not None and (not isinstance(reason, str) or len(reason) > 1024):
        raise InvalidInputException('"reason" must be a text of at most 1,024 characters.')
    version = None if reference is None else model_groups.version_number(ctx, group_id, reference)
    previous = model_groups.aliases_of(ctx, group_id).get(alias)
    change = promotion.move_alias(ctx, caller.access_key_id, group_id, alias, version, reason=reason)
    name = model_groups.version_name(group_id, version) if version is not None else None
    return {
        "GroupId": group_id,
        "Alias": alias,
        "Version": version,
        "VersionName": name,
        "MLModelId": model_groups.resolve(ctx, name).ml_model_id if name is not None else None,
        "PreviousVersion": previous,
        "Changed": change is not None,
    }


EXTENSION_ROUTES = [
    ("GET", "/mlmodels/{GroupId}/versions", get_versions),
    ("GET", "/mlmodels/{GroupId}/history", get_history),
    ("PUT", "/mlmodels/{GroupId}/aliases/{Alias}", put_alias),
]
