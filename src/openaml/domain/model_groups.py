"""Model groups: versions of a model under one stable ID, aliases that point at them, and their history.

The rules (docs/api.md, "Model groups"):

* Every MLModel created without ``openaml.parentMLModelId`` keeps its ID (Amazon ML's behaviour does
  not change) and is **version 1 of a group with the same ID**; the group's alias ``champion`` points at
  it until moved. Nothing is written for this: version 1 and the implicit champion have no rows.
* A model created with ``openaml.parentMLModelId`` (a group ID, a version name or a version's MLModelId)
  joins the parent's group as its next version ``N``. Its MLModelId is what the caller gave: either
  ``<group>.v<N>`` (the retrain endpoint always names versions so) or any other legal ID — but an ID of
  the form ``<group>.v<M>`` must say the number it gets.
* **Resolution** (:func:`resolve`), used by every operation that takes an MLModelId: a group ID names
  the group's ``champion``; ``<group>.v<N>`` names version N (``<group>.v1`` the original model); the
  MLModelId of a version names that version; anything else is left as it is.
* Only a COMPLETED version can be ``champion``; other aliases may point at any version not DELETED.
  Alias names are 1-64 letters, digits, ``_`` or ``-`` and never ``v<digits>``.
* ``DeleteMLModel`` never destroys more than the caller named (:func:`check_delete`): a group ID is
  refused while the group has other versions not DELETED; the champion version is refused while other
  versions exist (move ``champion`` first); other aliases pointing at a deleted version are removed.

Every alias change is recorded with who (access key ID), when, why and, for a retrain's promotion, the
comparison behind it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openaml.domain.context import ServiceContext
from openaml.entities import EntityStatus, Resource, ResourceKind
from openaml.errors import InvalidInputException, ResourceNotFoundException
from openaml.store.model_groups import AliasChange, ModelVersion
from openaml.store.resources import RowWriter

KIND = ResourceKind.ML_MODEL
CHAMPION = "champion"
CHALLENGER = "challenger"
#: The tag every resource a retrain creates carries, valued with the group's ID.
GROUP_TAG = "openaml:modelGroup"
#: ``TrainingParameters`` keys (and Predict ``details`` key) naming a model's group and version.
GROUP_KEY = "openaml.modelGroup"
VERSION_KEY = "openaml.modelVersion"
ALIASES_KEY = "openaml.modelAliases"
#: The ``CreateMLModel`` parameters of a new version.
PARENT_PARAMETER = "openaml.parentMLModelId"
UPDATE_MODE_PARAMETER = "openaml.updateMode"
UPDATE_MODES = ("refit", "research", "warmstart")
DEFAULT_UPDATE_MODE = "refit"
MAX_ID_LENGTH = 64

_VERSION_NAME = re.compile(r"(?P<group>.+)\.v(?P<version>[1-9][0-9]{0,8})")
_ALIAS_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_VERSION_WORD = re.compile(r"v?[0-9]{1,9}")


@dataclass(frozen=True)
class ResolvedModel:
    """What an MLModelId given by a caller names: a model, its group and version, and the alias used."""

    requested: str
    ml_model_id: str
    group_id: str
    version: int
    #: ``champion`` when the caller named the group; None when it named a version or a plain model.
    alias: str | None = None

    @property
    def version_name(self) -> str:
        return version_name(self.group_id, self.version)


def version_name(group_id: str, version: int) -> str:
    """``<group>.v<N>``: the name that resolves to version N of a group in every operation."""
    return f"{group_id}.v{version}"


def group_and_version(ctx: ServiceContext, ml_model_id: str) -> tuple[str, int]:
    """The group and version number of an existing MLModel (its own group's version 1 without a row)."""
    row = ctx.model_groups.version_of_model(ml_model_id)
    return (row.group_id, row.version) if row is not None else (ml_model_id, 1)


def _model_of_version(ctx: ServiceContext, group_id: str, version: int) -> str | None:
    if version == 1:
        return group_id
    row = ctx.model_groups.version(group_id, version)
    return row.ml_model_id if row is not None else None


def champion_version(ctx: ServiceContext, group_id: str) -> int:
    alias = ctx.model_groups.alias(group_id, CHAMPION)
    return alias.version if alias is not None else 1


def resolve(ctx: ServiceContext, requested: str) -> ResolvedModel:
    """What ``requested`` names (see the module docstring); an unknown ID comes back unchanged.

    One to three small reads; operations call it once per request, before their handler.
    """
    row = ctx.model_groups.version_of_model(requested)
    if row is not None and row.version != 1:
        return ResolvedModel(requested, requested, row.group_id, row.version)
    if row is not None or ctx.resources.get(KIND, requested) is not None:
        champion = champion_version(ctx, requested)
        model_id = _model_of_version(ctx, requested, champion) or requested
        return ResolvedModel(requested, model_id, requested, champion, CHAMPION)
    match = _VERSION_NAME.fullmatch(requested)
    if match is not None:
        group_id, version = match["group"], int(match["version"])
        if _is_group(ctx, group_id):
            version_model = _model_of_version(ctx, group_id, version)
            if version_model is None:
                raise ResourceNotFoundException(
                    f"Model group {group_id} has no version {version}; its versions are "
                    f"{', '.join(str(v.version) for v in list_versions(ctx, group_id))}."
                )
            return ResolvedModel(requested, version_model, group_id, version)
    return ResolvedModel(requested, requested, requested, 1)


def _is_group(ctx: ServiceContext, group_id: str) -> bool:
    """Whether ``group_id`` names a group: an MLModel that is not a later version of another group."""
    row = ctx.model_groups.version_of_model(group_id)
    if row is not None:
        return row.version == 1
    return ctx.resources.get(KIND, group_id) is not None


def require_group(ctx: ServiceContext, requested: str) -> str:
    """The group ``requested`` names (a group ID, a version name or a version's MLModelId), or 404."""
    resolved = resolve(ctx, requested)
    if ctx.resources.get(KIND, resolved.ml_model_id) is None:
        raise ResourceNotFoundException(f"No MLModel or model group with id {requested} exists.")
    return resolved.group_id


@dataclass(frozen=True)
class GroupVersion:
    """One version of a group (version 1, the group's own model, needs no version row) and its MLModel
    (``None`` once that row is gone); the versions route shows it (``openaml.operations.model_groups``)."""

    version: int
    ml_model_id: str
    parent_ml_model_id: str | None
    update_mode: str | None
    model: Resource | None


def list_versions(ctx: ServiceContext, group_id: str) -> list[GroupVersion]:
    """The group's versions, oldest first (version 1 is the group's own model)."""
    rows = {row.version: row for row in ctx.model_groups.versions(group_id)}
    rows.setdefault(1, ModelVersion(group_id, 1, group_id))
    return [
        GroupVersion(
            n,
            rows[n].ml_model_id,
            rows[n].parent_ml_model_id,
            rows[n].update_mode,
            ctx.resources.get(KIND, rows[n].ml_model_id),
        )
        for n in sorted(rows)
    ]


def aliases_of(ctx: ServiceContext, group_id: str) -> dict[str, int]:
    """The group's aliases → version numbers (``champion`` always, implicitly version 1)."""
    aliases = {alias.alias: alias.version for alias in ctx.model_groups.aliases(group_id)}
    aliases.setdefault(CHAMPION, 1)
    return dict(sorted(aliases.items()))


def model_group_parameters(ctx: ServiceContext, model: Resource) -> dict[str, str]:
    """The ``TrainingParameters`` entries ``GetMLModel`` adds: the model's group, version and aliases."""
    group_id, version = group_and_version(ctx, model.id)
    aliases = [alias for alias, number in aliases_of(ctx, group_id).items() if number == version]
    return {
        GROUP_KEY: group_id,
        VERSION_KEY: version_name(group_id, version),
        ALIASES_KEY: ",".join(aliases),
    }


# --- new versions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewVersion:
    """Where a model created with ``openaml.parentMLModelId`` goes: group, number, and the row writer."""

    group_id: str
    version: int
    parent_ml_model_id: str
    update_mode: str
    writer: RowWriter


def parse_update_mode(parameters: Mapping[str, str]) -> str:
    mode = parameters.get(UPDATE_MODE_PARAMETER, DEFAULT_UPDATE_MODE).strip().lower()
    if mode not in UPDATE_MODES:
        raise InvalidInputException(
            f"{UPDATE_MODE_PARAMETER} must be one of {', '.join(UPDATE_MODES)}; got {mode[:40]!r}."
        )
    return mode


def new_version(
    ctx: ServiceContext, *, ml_model_id: str, parameters: Mapping[str, str], created_by: str
) -> NewVersion | None:
    """The group version a ``CreateMLModel`` with ``openaml.parentMLModelId`` creates (None without one).

    Checks the parent (an existing group or version) and the new ID (``<group>.v<M>`` only with M the
    number it gets). A repeat of the same request finds its version again.
    """
    parent = parameters.get(PARENT_PARAMETER)
    if parent is None:
        if _VERSION_NAME.fullmatch(ml_model_id) and _looks_like_taken_version(ctx, ml_model_id):
            raise InvalidInputException(
                f"MLModelId {ml_model_id} names a version of an existing model group; give "
                f"{PARENT_PARAMETER} to add a version to it, or choose another ID."
            )
        return None
    mode = parse_update_mode(parameters)
    parent = parent.strip()
    resolved = resolve(ctx, parent)
    parent_model = ctx.resources.get(KIND, resolved.ml_model_id)
    if parent_model is None or not _is_group(ctx, resolved.group_id):
        raise InvalidInputException(f"{PARENT_PARAMETER} {parent!r} names no MLModel or model group.")
    if parent_model.status is EntityStatus.DELETED:
        raise InvalidInputException(
            f"{PARENT_PARAMETER} {parent!r} names MLModel {parent_model.id}, which is DELETED."
        )
    group_id = resolved.group_id
    existing = ctx.model_groups.version_of_model(ml_model_id)
    if existing is not None and existing.group_id == group_id:
        number = existing.version
    else:
        number = max(ctx.model_groups.highest_version(group_id), 1) + 1
    match = _VERSION_NAME.fullmatch(ml_model_id)
    if match is not None and match["group"] == group_id and int(match["version"]) != number:
        raise InvalidInputException(
            f"MLModelId {ml_model_id} would be version {number} of model group {group_id}; name it "
            f"{version_name(group_id, number)} or give an ID that is not of the form {group_id}.v<N>."
        )
    if match is not None and match["group"] != group_id and _is_group(ctx, match["group"]):
        raise InvalidInputException(
            f"MLModelId {ml_model_id} names a version of model group {match['group']}, but "
            f"{PARENT_PARAMETER} puts it in group {group_id}."
        )
    if ml_model_id == group_id:
        raise InvalidInputException(
            f"MLModelId {ml_model_id} is the model group itself; give the new version its own ID."
        )
    now = time.time()
    rows = [
        ModelVersion(
            group_id, 1, group_id, created_at=parent_model.created_at, created_by=parent_model.created_by
        ),
        ModelVersion(group_id, number, ml_model_id, resolved.ml_model_id, mode, now, created_by),
    ]
    return NewVersion(group_id, number, resolved.ml_model_id, mode, ctx.model_groups.version_inserter(rows))


def _looks_like_taken_version(ctx: ServiceContext, ml_model_id: str) -> bool:
    match = _VERSION_NAME.fullmatch(ml_model_id)
    return match is not None and _is_group(ctx, match["group"])


def next_version_number(ctx: ServiceContext, group_id: str) -> int:
    return max(ctx.model_groups.highest_version(group_id), 1) + 1


# --- aliases ---------------------------------------------------------------------------------------


def check_alias_name(alias: str) -> None:
    if not _ALIAS_NAME.fullmatch(alias) or _VERSION_WORD.fullmatch(alias):
        raise InvalidInputException(
            f"Alias {alias[:80]!r} is not allowed: aliases are 1-64 letters, digits, '_' or '-', "
            "and not v<number> (which names a version)."
        )


def version_number(ctx: ServiceContext, group_id: str, reference: object) -> int:
    """The version of ``group_id`` that ``reference`` names: ``3``, ``"3"``, ``"v3"``, ``"<group>.v3"``
    or the MLModelId of one of its versions."""
    text = (
        str(reference).strip()
        if isinstance(reference, (int, str)) and not isinstance(reference, bool)
        else ""
    )
    number: int | None = None
    if _VERSION_WORD.fullmatch(text):
        number = int(text.lstrip("v"))
    elif text:
        resolved = resolve(ctx, text)
        if resolved.group_id == group_id and resolved.alias is None:
            number = resolved.version
        elif text == group_id:
            number = 1
    if number is None:
        raise InvalidInputException(
            f"Give the version as a number, v<N>, {group_id}.v<N> or the MLModelId of a version of "
            f"{group_id}; got {str(reference)[:80]!r}."
        )
    if _model_of_version(ctx, group_id, number) is None:
        raise InvalidInputException(f"Model group {group_id} has no version {number}.")
    return number


def check_alias_target(ctx: ServiceContext, group_id: str, alias: str, version: int | None) -> None:
    """Refuse pointing ``alias`` of ``group_id`` at ``version`` (None: removing it) against the rules:
    only a COMPLETED version can be ``champion``, which cannot be removed; no alias names a DELETED
    version. Aliases move through :func:`openaml.domain.promotion.move_alias`, which calls this."""
    check_alias_name(alias)
    if version is None:
        if alias == CHAMPION:
            raise InvalidInputException("The champion alias cannot be removed; point it at another version.")
        return
    model_id = _model_of_version(ctx, group_id, version)
    model = ctx.resources.get(KIND, model_id) if model_id is not None else None
    if model is None:
        raise InvalidInputException(f"Model group {group_id} has no version {version}.")
    if model.status is EntityStatus.DELETED:
        raise InvalidInputException(f"Version {version_name(group_id, version)} ({model.id}) is DELETED.")
    if alias == CHAMPION and model.status is not EntityStatus.COMPLETED:
        raise InvalidInputException(
            f"Only a COMPLETED version can be champion; {version_name(group_id, version)} "
            f"({model.id}) is {model.status.value}."
        )


def change_to_json(change: AliasChange) -> dict[str, Any]:
    """One entry of ``GET /openaml/v1/mlmodels/{GroupId}/history``."""
    return {
        "Id": change.id,
        "Alias": change.alias,
        "FromVersion": change.from_version,
        "ToVersion": change.to_version,
        "FromVersionName": version_name(change.group_id, change.from_version)
        if change.from_version is not None
        else None,
        "ToVersionName": version_name(change.group_id, change.to_version)
        if change.to_version is not None
        else None,
        "ChangedAt": change.changed_at,
        "ChangedBy": change.changed_by,
        "Reason": change.reason,
        "Comparison": change.comparison,
    }


def history(ctx: ServiceContext, requested: str) -> dict[str, Any]:
    """``GET /openaml/v1/mlmodels/{GroupId}/history``: every alias change, newest first."""
    group_id = require_group(ctx, requested)
    return {"GroupId": group_id, "Changes": [change_to_json(c) for c in ctx.model_groups.history(group_id)]}


# --- deleting --------------------------------------------------------------------------------------


def check_delete(ctx: ServiceContext, resolved: ResolvedModel, changed_by: str) -> None:
    """Refuse a ``DeleteMLModel`` that would destroy more than the caller named (module docstring);
    remove the aliases other than ``champion`` that point at the version being deleted."""
    model = ctx.resources.get(KIND, resolved.ml_model_id)
    if model is None or model.status is EntityStatus.DELETED:
        return
    live = [
        v
        for v in list_versions(ctx, resolved.group_id)
        if v.model is not None and v.model.status is not EntityStatus.DELETED
    ]
    others = [version_name(resolved.group_id, v.version) for v in live if v.version != resolved.version]
    if not others:
        return
    if resolved.alias is not None:
        raise InvalidInputException(
            f"{resolved.requested} names model group {resolved.group_id}, which has {len(live)} versions "
            f"({', '.join(version_name(resolved.group_id, v.version) for v in live)}); DeleteMLModel on the "
            "group ID would delete more than one model. Delete versions by their version name or MLModelId."
        )
    aliases = aliases_of(ctx, resolved.group_id)
    if aliases[CHAMPION] == resolved.version:
        raise InvalidInputException(
            f"{resolved.version_name} is the champion of model group {resolved.group_id}; point the "
            f"champion alias at another version ({', '.join(others)}) before deleting it."
        )
    for alias, version in aliases.items():
        if version == resolved.version and alias != CHAMPION:  # no endpoint follows other aliases
            ctx.model_groups.set_alias(
                resolved.group_id,
                alias,
                None,
                changed_by=changed_by,
                reason=f"version {resolved.version_name} was deleted",
            )
