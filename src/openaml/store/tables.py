"""SQLAlchemy table definitions of the metadata database.

The Alembic migrations in ``openaml/store/migrations`` create exactly these tables; a test checks that
the migrated schema and these definitions agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKeyConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ResourceRow(Base):
    """One DataSource, MLModel, Evaluation or BatchPrediction (see :class:`openaml.entities.Resource`)."""

    __tablename__ = "resources"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[float] = mapped_column(Float)
    last_updated_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(256))
    started_at: Mapped[float | None] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)
    compute_time_ms: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_uri: Mapped[str | None] = mapped_column(String(2048))
    ml_model_id: Mapped[str | None] = mapped_column(String(64))
    data_source_id: Mapped[str | None] = mapped_column(String(64))
    ml_model_type: Mapped[str | None] = mapped_column(String(16))
    endpoint_status: Mapped[str | None] = mapped_column(String(16))
    algorithm: Mapped[str | None] = mapped_column(String(32))
    #: The running job's last :class:`openaml.progress.JobProgress` report (JSON); ``None`` when idle.
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_resources_kind_created", "kind", "created_at"),
        Index("ix_resources_kind_status", "kind", "status"),
    )


class TagRow(Base):
    __tablename__ = "tags"

    resource_kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str | None] = mapped_column(String(256))

    __table_args__ = (
        ForeignKeyConstraint(["resource_kind", "resource_id"], ["resources.kind", "resources.id"]),
    )


class JobRow(Base):
    """A durable job (see :class:`openaml.entities.Job`)."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_type: Mapped[str] = mapped_column(String(64))
    resource_kind: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[float | None] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        ForeignKeyConstraint(["resource_kind", "resource_id"], ["resources.kind", "resources.id"]),
        Index("ix_jobs_state_created", "state", "created_at"),
        Index("ix_jobs_resource", "resource_kind", "resource_id"),
    )


class ConsoleSessionRow(Base):
    """A signed-in console session: its cookie is honoured only while this row exists.

    Signing out deletes the row, so a copy of the cookie stops working in every serving process.
    """

    __tablename__ = "console_sessions"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_key_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_console_sessions_expires", "expires_at"),)


class SignInFailureRow(Base):
    """Failed console sign-ins in a row for one access key ID, shared by every serving process."""

    __tablename__ = "sign_in_failures"

    access_key_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[float] = mapped_column(Float)
    #: Until when sign-ins with this key ID are refused (0: not locked).
    locked_until: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_sign_in_failures_last_failed", "last_failed_at"),)


class ModelVersionRow(Base):
    """One version of a model group: which MLModel resource is version ``version`` of ``group_id``.

    Version 1 of a group is the MLModel whose ID is the group's; it has a row only once the group has
    a second version (a model never retrained needs no row at all).
    """

    __tablename__ = "model_versions"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    ml_model_id: Mapped[str] = mapped_column(String(64), unique=True)
    #: The group or version the model was trained from (``openaml.parentMLModelId``); None for version 1.
    parent_ml_model_id: Mapped[str | None] = mapped_column(String(64))
    update_mode: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(256))


class ModelAliasRow(Base):
    """A named pointer of a model group at one of its versions (``champion``, ``challenger``, ...)."""

    __tablename__ = "model_aliases"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    alias: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[str] = mapped_column(String(128))


class ModelAliasChangeRow(Base):
    """One change of an alias: who moved it, when, why, and the comparison behind it (if any)."""

    __tablename__ = "model_alias_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(String(64))
    alias: Mapped[str] = mapped_column(String(64))
    from_version: Mapped[int | None] = mapped_column(Integer)
    to_version: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[float] = mapped_column(Float)
    changed_by: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    #: The retrain's comparison (metric and both scores) when the change came from one.
    comparison: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_model_alias_history_group", "group_id", "id"),)


class ModelRetrainRow(Base):
    """A retrain of a model group: its request, where it stands, and the comparison it produced.

    Its ID is the challenger's MLModelId; its job runs on that MLModel resource.
    """

    __tablename__ = "model_retrains"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(128))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_model_retrains_group", "group_id", "created_at"),)


class ScheduleRow(Base):
    """A retraining schedule (see :class:`openaml.entities.Schedule`).

    ``next_run_at`` is also the claim token: a worker takes a due time by moving it forward with a
    compare-and-set update, so each due time is taken by exactly one worker.
    """

    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ml_model_id: Mapped[str] = mapped_column(String(64))
    cron: Mapped[str] = mapped_column(String(256))
    timezone: Mapped[str] = mapped_column(String(64))
    retrain: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    next_run_at: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)
    last_updated_at: Mapped[float] = mapped_column(Float)
    created_by_key: Mapped[str] = mapped_column(String(128))
    created_by_arn: Mapped[str] = mapped_column(String(256))

    __table_args__ = (Index("ix_schedules_state_next_run", "state", "next_run_at"),)


class ScheduleRunRow(Base):
    """One run of a schedule (see :class:`openaml.entities.ScheduleRun`); one per due time."""

    __tablename__ = "schedule_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float] = mapped_column(Float)
    skipped: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    retrain_id: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        ForeignKeyConstraint(["schedule_id"], ["schedules.id"]),
        UniqueConstraint("schedule_id", "due_at", name="uq_schedule_runs_due"),
        Index("ix_schedule_runs_schedule", "schedule_id", "due_at"),
    )
