"""Model groups in the metadata database: versions, aliases, alias history and retrains.

Rows become the plain dataclasses of this module at this boundary. Version 1 of a group (the MLModel
whose ID is the group's) and its implicit ``champion`` alias have no rows until the group gets a
second version or an alias is set, so a model that is never retrained costs no extra write; the rules
that fill in those implicit parts live in :mod:`openaml.domain.model_groups`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openaml.store.metadata import MetadataStore
from openaml.store.resources import RowWriter
from openaml.store.tables import ModelAliasChangeRow, ModelAliasRow, ModelRetrainRow, ModelVersionRow


@dataclass(frozen=True)
class ModelVersion:
    """Version ``version`` of group ``group_id`` is the MLModel ``ml_model_id``."""

    group_id: str
    version: int
    ml_model_id: str
    parent_ml_model_id: str | None = None
    update_mode: str | None = None
    created_at: float = 0.0
    created_by: str = ""

    @property
    def name(self) -> str:
        """The version's name, which resolves to it in every operation: ``<group>.v<N>``."""
        return f"{self.group_id}.v{self.version}"


@dataclass(frozen=True)
class ModelAlias:
    group_id: str
    alias: str
    version: int
    updated_at: float
    updated_by: str


@dataclass(frozen=True)
class AliasChange:
    """One recorded change of an alias (``to_version`` None: the alias was removed)."""

    id: int
    group_id: str
    alias: str
    from_version: int | None
    to_version: int | None
    changed_at: float
    changed_by: str
    reason: str | None
    comparison: dict[str, Any] | None


@dataclass(frozen=True)
class RetrainRecord:
    """A retrain of a group (its ID is the challenger's MLModelId)."""

    id: str
    group_id: str
    status: str
    created_at: float
    updated_at: float
    created_by: str
    spec: dict[str, Any]
    message: str | None
    result: dict[str, Any] | None


def _version(row: ModelVersionRow) -> ModelVersion:
    return ModelVersion(
        row.group_id,
        row.version,
        row.ml_model_id,
        row.parent_ml_model_id,
        row.update_mode,
        row.created_at,
        row.created_by,
    )


def _alias_change(row: ModelAliasChangeRow) -> AliasChange:
    return AliasChange(
        row.id,
        row.group_id,
        row.alias,
        row.from_version,
        row.to_version,
        row.changed_at,
        row.changed_by,
        row.reason,
        dict(row.comparison) if row.comparison is not None else None,
    )


def _retrain(row: ModelRetrainRow) -> RetrainRecord:
    return RetrainRecord(
        row.id,
        row.group_id,
        row.status,
        row.created_at,
        row.updated_at,
        row.created_by,
        dict(row.spec or {}),
        row.message,
        dict(row.result) if row.result is not None else None,
    )


class ModelGroupStore:
    """Reads and writes the tables ``model_versions``, ``model_aliases``, ``model_alias_history``
    and ``model_retrains``."""

    def __init__(self, metadata: MetadataStore) -> None:
        self._metadata = metadata

    # --- versions ----------------------------------------------------------------------------------

    @staticmethod
    def version_inserter(versions: list[ModelVersion]) -> RowWriter:
        """What :meth:`ResourceStore.create` runs in its transaction to register a new model's version.

        ``versions`` may start with the group's version 1 when it has no row yet; an existing row with
        the same key makes the whole creation fail (another version took the number meanwhile).
        """

        def insert(session: Session) -> None:
            for version in versions:
                if version.version == 1 and session.get(ModelVersionRow, (version.group_id, 1)) is not None:
                    continue
                session.add(
                    ModelVersionRow(
                        group_id=version.group_id,
                        version=version.version,
                        ml_model_id=version.ml_model_id,
                        parent_ml_model_id=version.parent_ml_model_id,
                        update_mode=version.update_mode,
                        created_at=version.created_at,
                        created_by=version.created_by,
                    )
                )

        return insert

    def version_of_model(self, ml_model_id: str) -> ModelVersion | None:
        """The version row whose MLModel is ``ml_model_id`` (None: no row, e.g. a group's only model)."""
        with self._metadata.session(write=False) as session:
            row = session.scalars(
                select(ModelVersionRow).where(ModelVersionRow.ml_model_id == ml_model_id)
            ).first()
            return _version(row) if row is not None else None

    def version(self, group_id: str, version: int) -> ModelVersion | None:
        with self._metadata.session(write=False) as session:
            row = session.get(ModelVersionRow, (group_id, version))
            return _version(row) if row is not None else None

    def versions(self, group_id: str) -> list[ModelVersion]:
        """The group's version rows, oldest first."""
        with self._metadata.session(write=False) as session:
            rows = session.scalars(
                select(ModelVersionRow)
                .where(ModelVersionRow.group_id == group_id)
                .order_by(ModelVersionRow.version)
            ).all()
            return [_version(row) for row in rows]

    def highest_version(self, group_id: str) -> int:
        """The group's highest version number with a row (0 when it has none)."""
        with self._metadata.session(write=False) as session:
            value = session.scalar(
                select(func.max(ModelVersionRow.version)).where(ModelVersionRow.group_id == group_id)
            )
            return int(value or 0)

    def all_versions(self) -> list[ModelVersion]:
        """Every version row (the serving registry maps version names to models with them)."""
        with self._metadata.session(write=False) as session:
            return [_version(row) for row in session.scalars(select(ModelVersionRow)).all()]

    # --- aliases -----------------------------------------------------------------------------------

    def aliases(self, group_id: str) -> list[ModelAlias]:
        with self._metadata.session(write=False) as session:
            rows = session.scalars(
                select(ModelAliasRow).where(ModelAliasRow.group_id == group_id).order_by(ModelAliasRow.alias)
            ).all()
            return [ModelAlias(r.group_id, r.alias, r.version, r.updated_at, r.updated_by) for r in rows]

    def alias(self, group_id: str, alias: str) -> ModelAlias | None:
        with self._metadata.session(write=False) as session:
            r = session.get(ModelAliasRow, (group_id, alias))
            return ModelAlias(r.group_id, r.alias, r.version, r.updated_at, r.updated_by) if r else None

    def aliases_named(self, alias: str) -> dict[str, int]:
        """Every group's version that ``alias`` points at: group ID → version number."""
        with self._metadata.session(write=False) as session:
            rows = session.execute(
                select(ModelAliasRow.group_id, ModelAliasRow.version).where(ModelAliasRow.alias == alias)
            ).all()
            return {group_id: version for group_id, version in rows}

    def set_alias(
        self,
        group_id: str,
        alias: str,
        version: int | None,
        *,
        changed_by: str,
        reason: str | None,
        comparison: Mapping[str, Any] | None = None,
        implicit_version: int | None = None,
        expected_version: int | None = None,
        check_expected: bool = False,
    ) -> AliasChange | None:
        """Point ``alias`` at ``version`` (None removes it) and record the change, in one transaction.

        ``implicit_version`` is where the alias points when it has no row (version 1 for ``champion``).
        With ``check_expected`` the change happens only while the alias still points at
        ``expected_version`` (None is returned otherwise: someone else moved it meanwhile). Setting an
        alias to where it already points records nothing and returns None.
        """
        now = time.time()
        with self._metadata.session() as session:
            row = session.get(ModelAliasRow, (group_id, alias))
            current = row.version if row is not None else implicit_version
            if check_expected and current != expected_version:
                return None
            if current == version:
                return None
            if version is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(
                    ModelAliasRow(
                        group_id=group_id, alias=alias, version=version, updated_at=now, updated_by=changed_by
                    )
                )
            else:
                row.version, row.updated_at, row.updated_by = version, now, changed_by
            change = ModelAliasChangeRow(
                group_id=group_id,
                alias=alias,
                from_version=current,
                to_version=version,
                changed_at=now,
                changed_by=changed_by,
                reason=reason,
                comparison=dict(comparison) if comparison is not None else None,
            )
            session.add(change)
            session.flush()
            return _alias_change(change)

    def history(self, group_id: str, *, limit: int = 1000) -> list[AliasChange]:
        """The group's alias changes, newest first."""
        with self._metadata.session(write=False) as session:
            rows = session.scalars(
                select(ModelAliasChangeRow)
                .where(ModelAliasChangeRow.group_id == group_id)
                .order_by(ModelAliasChangeRow.id.desc())
                .limit(limit)
            ).all()
            return [_alias_change(row) for row in rows]

    # --- retrains ----------------------------------------------------------------------------------

    def add_retrain(self, record: RetrainRecord) -> RetrainRecord:
        """Insert a retrain, or return the one with its ID (a repeated request)."""
        with self._metadata.session() as session:
            row = session.get(ModelRetrainRow, record.id)
            if row is not None:
                return _retrain(row)
            session.add(
                ModelRetrainRow(
                    id=record.id,
                    group_id=record.group_id,
                    status=record.status,
                    created_at=record.created_at,
                    updated_at=record.updated_at,
                    created_by=record.created_by,
                    spec=dict(record.spec),
                    message=record.message,
                    result=record.result,
                )
            )
        return record

    def retrain(self, retrain_id: str) -> RetrainRecord | None:
        with self._metadata.session(write=False) as session:
            row = session.get(ModelRetrainRow, retrain_id)
            return _retrain(row) if row is not None else None

    def retrains(self, group_id: str, *, limit: int = 100) -> list[RetrainRecord]:
        """The group's retrains, newest first."""
        with self._metadata.session(write=False) as session:
            rows = session.scalars(
                select(ModelRetrainRow)
                .where(ModelRetrainRow.group_id == group_id)
                .order_by(ModelRetrainRow.created_at.desc())
                .limit(limit)
            ).all()
            return [_retrain(row) for row in rows]

    def update_retrain(
        self,
        retrain_id: str,
        *,
        status: str | None = None,
        message: str | None = None,
        result: Mapping[str, Any] | None = None,
    ) -> RetrainRecord | None:
        """Change a retrain's status, message and result (merged into the stored result)."""
        with self._metadata.session() as session:
            row = session.get(ModelRetrainRow, retrain_id)
            if row is None:
                return None
            if status is not None:
                row.status = status
            if message is not None:
                row.message = message
            if result is not None:
                row.result = {**(row.result or {}), **dict(result)}
            row.updated_at = time.time()
            session.flush()
            return _retrain(row)
