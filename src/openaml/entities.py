"""The plain entities every layer shares: resources, their statuses, tags and jobs.

All four Amazon ML object types (DataSource, MLModel, Evaluation, BatchPrediction) share one
life-cycle and one record shape, :class:`Resource`; what differs per type lives in ``request`` (the
normalised creation parameters, compared for idempotency) and ``details`` (what the job produced).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal


class ResourceKind(enum.StrEnum):
    """The four Amazon ML object types; the values are the API's ``ResourceType`` names."""

    DATA_SOURCE = "DataSource"
    ML_MODEL = "MLModel"
    EVALUATION = "Evaluation"
    BATCH_PREDICTION = "BatchPrediction"


class EntityStatus(enum.StrEnum):
    PENDING = "PENDING"
    INPROGRESS = "INPROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    DELETED = "DELETED"


#: Statuses from which a resource may move to the key's status (DELETED is reachable from all).
ALLOWED_TRANSITIONS: dict[EntityStatus, frozenset[EntityStatus]] = {
    EntityStatus.INPROGRESS: frozenset({EntityStatus.PENDING, EntityStatus.INPROGRESS}),
    EntityStatus.COMPLETED: frozenset({EntityStatus.INPROGRESS}),
    EntityStatus.FAILED: frozenset({EntityStatus.PENDING, EntityStatus.INPROGRESS}),
    EntityStatus.PENDING: frozenset({EntityStatus.INPROGRESS}),
}


@dataclass
class Resource:
    """One DataSource, MLModel, Evaluation or BatchPrediction."""

    kind: ResourceKind
    id: str
    status: EntityStatus
    created_at: float
    last_updated_at: float
    created_by: str
    name: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    compute_time_ms: int | None = None
    message: str | None = None
    #: The typed creation record as JSON (``domain/records.py``), compared for idempotent ``Create*`` calls.
    request: dict[str, Any] = field(default_factory=dict)
    #: What the job produced (sizes, counts, metrics, artifact locations); wire names where shown.
    details: dict[str, Any] = field(default_factory=dict)
    #: Denormalised fields the ``Describe*`` filters compare against.
    data_uri: str | None = None
    ml_model_id: str | None = None
    data_source_id: str | None = None
    ml_model_type: str | None = None
    endpoint_status: str | None = None
    algorithm: str | None = None


@dataclass(frozen=True)
class Caller:
    """Who made a request: the access key it was signed with and the ARN reported as ``CreatedByIamUser``."""

    access_key_id: str
    user_arn: str


@dataclass(frozen=True)
class Tag:
    key: str
    value: str | None


#: How a ``Describe*`` filter compares the filtered column with a value.
Comparator = Literal["EQ", "NE", "GT", "LT", "GE", "LE", "Prefix"]


@dataclass(frozen=True)
class ResourceQuery:
    """A ``Describe*`` query (what the store answers): one filtered column, comparators, order and a page."""

    kind: ResourceKind
    column: str = "created_at"
    comparators: Mapping[Comparator, Any] = field(default_factory=dict)
    descending: bool = False
    limit: int = 100
    #: ``(sort value, id)`` of the last row of the previous page.
    after: tuple[Any, str] | None = None
    include_deleted: bool = False


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class Job:
    """A unit of background work on one resource, claimed by one worker at a time under a lease."""

    id: int
    job_type: str
    resource_kind: ResourceKind
    resource_id: str
    state: JobState
    attempts: int
    created_at: float
    lease_owner: str | None = None
    lease_expires_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
