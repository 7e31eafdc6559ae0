"""Reading and writing resources and their tags in the metadata database.

Rows are converted to :class:`openaml.entities.Resource` at this boundary; nothing above the store
sees SQLAlchemy objects. A resource and the job that will build it are written in one transaction.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from openaml.entities import Comparator, EntityStatus, JobState, Resource, ResourceKind, ResourceQuery, Tag
from openaml.errors import InternalServerException
from openaml.store.metadata import MetadataStore
from openaml.store.tables import JobRow, ResourceRow, TagRow

_RESOURCE_FIELDS = (
    "name",
    "status",
    "created_at",
    "last_updated_at",
    "created_by",
    "started_at",
    "finished_at",
    "compute_time_ms",
    "message",
    "request",
    "details",
    "data_uri",
    "ml_model_id",
    "data_source_id",
    "ml_model_type",
    "endpoint_status",
    "algorithm",
    "progress",
)

#: Writes rows that belong to a resource being created, in the transaction that creates it.
RowWriter = Callable[[Session], None]


def _to_entity(row: ResourceRow) -> Resource:
    return Resource(
        kind=ResourceKind(row.kind),
        id=row.id,
        status=EntityStatus(row.status),
        created_at=row.created_at,
        last_updated_at=row.last_updated_at,
        created_by=row.created_by,
        name=row.name,
        started_at=row.started_at,
        finished_at=row.finished_at,
        compute_time_ms=row.compute_time_ms,
        message=row.message,
        request=dict(row.request or {}),
        details=dict(row.details or {}),
        data_uri=row.data_uri,
        ml_model_id=row.ml_model_id,
        data_source_id=row.data_source_id,
        ml_model_type=row.ml_model_type,
        endpoint_status=row.endpoint_status,
        algorithm=row.algorithm,
        progress=dict(row.progress) if row.progress is not None else None,
    )


class ResourceStore:
    """Resources, tags and the creation of their jobs."""

    def __init__(self, metadata: MetadataStore) -> None:
        self.metadata = metadata

    def create(
        self,
        resource: Resource,
        job_type: str | None,
        *,
        also: RowWriter | None = None,
    ) -> tuple[Resource, bool]:
        """Insert ``resource`` (and a queued job of ``job_type``) unless its ID exists.

        Returns the stored resource and whether it was created now; an existing resource is returned
        unchanged so the caller can decide about idempotency. ``also`` writes rows that belong to the
        new resource in the same transaction (a model's version in its group).
        """
        existing = self.get(resource.kind, resource.id)
        if existing is not None:
            return existing, False
        try:
            with self.metadata.session() as session:
                session.add(
                    ResourceRow(
                        kind=resource.kind.value,
                        id=resource.id,
                        **{f: getattr(resource, f) for f in _RESOURCE_FIELDS},
                    )
                )
                session.flush()
                if also is not None:
                    also(session)
                if job_type is not None:
                    session.add(
                        JobRow(
                            job_type=job_type,
                            resource_kind=resource.kind.value,
                            resource_id=resource.id,
                            state=JobState.QUEUED.value,
                            attempts=0,
                            created_at=resource.created_at,
                        )
                    )
        except InternalServerException as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
            existing = self.get(resource.kind, resource.id)
            if existing is None:
                raise
            return existing, False
        return resource, True

    def get(self, kind: ResourceKind, resource_id: str) -> Resource | None:
        with self.metadata.session(write=False) as session:
            row = session.get(ResourceRow, (kind.value, resource_id))
            return _to_entity(row) if row is not None else None

    def update(
        self,
        kind: ResourceKind,
        resource_id: str,
        changes: Mapping[str, Any],
        *,
        only_if_status: Iterable[EntityStatus] | None = None,
        merge_details: bool = True,
    ) -> Resource | None:
        """Apply ``changes`` (entity field names) and bump ``last_updated_at``.

        With ``only_if_status`` the update happens only while the resource is in one of those
        statuses; ``None`` is returned when it was not (or the resource does not exist).
        ``details`` changes are merged into the stored details unless ``merge_details`` is false.
        """
        allowed = {s.value for s in only_if_status} if only_if_status is not None else None
        with self.metadata.session() as session:
            row = session.get(ResourceRow, (kind.value, resource_id))
            if row is None or (allowed is not None and row.status not in allowed):
                return None
            for name, value in changes.items():
                if name not in _RESOURCE_FIELDS:
                    raise KeyError(name)
                if name == "details" and merge_details:
                    value = {**(row.details or {}), **value}
                if isinstance(value, EntityStatus):
                    value = value.value
                setattr(row, name, value)
            row.last_updated_at = changes.get("last_updated_at", time.time())
            session.flush()
            return _to_entity(row)

    def describe(self, query: ResourceQuery) -> tuple[list[Resource], tuple[Any, str] | None]:
        """One page of resources matching ``query`` and the cursor of the next page, if any."""
        column = getattr(ResourceRow, query.column)
        sort_key = func.coalesce(column, "") if query.column not in _NUMERIC_COLUMNS else column
        conditions: list[ColumnElement[bool]] = [ResourceRow.kind == query.kind.value]
        if not query.include_deleted:
            conditions.append(ResourceRow.status != EntityStatus.DELETED.value)
        for op, value in query.comparators.items():
            conditions.append(_compare(sort_key, op, value))
        if query.after is not None:
            last_value, last_id = query.after
            if query.descending:
                conditions.append(
                    or_(sort_key < last_value, and_(sort_key == last_value, ResourceRow.id < last_id))
                )
            else:
                conditions.append(
                    or_(sort_key > last_value, and_(sort_key == last_value, ResourceRow.id > last_id))
                )
        order = (sort_key.desc(), ResourceRow.id.desc()) if query.descending else (sort_key, ResourceRow.id)
        statement = select(ResourceRow, sort_key).where(*conditions).order_by(*order).limit(query.limit + 1)
        with self.metadata.session(write=False) as session:
            rows = session.execute(statement).all()
        page = rows[: query.limit]
        cursor = (page[-1][1], page[-1][0].id) if len(rows) > query.limit else None
        return [_to_entity(row) for row, _ in page], cursor

    def tags(self, kind: ResourceKind, resource_id: str) -> list[Tag]:
        with self.metadata.session(write=False) as session:
            rows = session.scalars(
                select(TagRow)
                .where(TagRow.resource_kind == kind.value, TagRow.resource_id == resource_id)
                .order_by(TagRow.key)
            ).all()
            return [Tag(r.key, r.value) for r in rows]

    def put_tags(self, kind: ResourceKind, resource_id: str, tags: Sequence[Tag], limit: int) -> bool:
        """Add or overwrite tags; returns False (and changes nothing) if more than ``limit`` would result."""
        with self.metadata.session() as session:
            current = {
                r.key: r
                for r in session.scalars(
                    select(TagRow).where(
                        TagRow.resource_kind == kind.value, TagRow.resource_id == resource_id
                    )
                )
            }
            new_keys = {t.key for t in tags} - current.keys()
            if len(current) + len(new_keys) > limit:
                return False
            for tag in tags:
                if tag.key in current:
                    current[tag.key].value = tag.value
                else:
                    row = TagRow(
                        resource_kind=kind.value, resource_id=resource_id, key=tag.key, value=tag.value
                    )
                    session.add(row)
                    current[tag.key] = row
            return True

    def delete_tags(self, kind: ResourceKind, resource_id: str, keys: Sequence[str]) -> None:
        with self.metadata.session() as session:
            session.execute(
                delete(TagRow).where(
                    TagRow.resource_kind == kind.value,
                    TagRow.resource_id == resource_id,
                    TagRow.key.in_(keys),
                )
            )


_NUMERIC_COLUMNS = {"created_at", "last_updated_at", "started_at", "finished_at", "compute_time_ms"}


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "EQ": operator.eq,
    "NE": operator.ne,
    "GT": operator.gt,
    "LT": operator.lt,
    "GE": operator.ge,
    "LE": operator.le,
}


def _compare(column: Any, op: Comparator, value: Any) -> ColumnElement[bool]:
    if op == "Prefix":
        # substr rather than LIKE: LIKE is case-insensitive in SQLite, and a prefix match must not be.
        prefix = str(value)
        return func.substr(column, 1, len(prefix)) == prefix
    return _OPERATORS[op](column, value)  # type: ignore[no-any-return]
