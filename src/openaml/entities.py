"""The plain entities every layer shares: resources, their statuses, tags and jobs.

All four Amazon ML object types (DataSource, MLModel, Evaluation, BatchPrediction) share one
life-cycle and one record shape, :class:`Resource`; what differs per type lives in ``request`` (the
normalised creation parameters, compared for idempotency) and ``details`` (what the job produced).
The names, members and operations of each kind are declared once, in its :class:`KindDescriptor`.
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
    #: OpenAML's own kind (no Amazon ML operations): a drift report, made by a job like the others.
    DRIFT_REPORT = "DriftReport"


@dataclass(frozen=True)
class KindDescriptor:
    """The facts about one resource kind that every layer needs: names, members, operations, words.

    Declared once here (:data:`KIND_DESCRIPTORS`) and read by the domain (data folders), the wire
    shapes and per-kind handlers of ``operations``, the console and the CLI.
    """

    kind: ResourceKind
    #: URL path segment (``/openaml/v1/<collection>/...``, ``/console/<collection>/...``) and
    #: data-directory folder, e.g. ``"mlmodels"``.
    collection: str
    #: The member holding the resource's ID in requests and responses, e.g. ``"MLModelId"``.
    id_member: str
    #: The member holding its name in ``Create*`` and ``Update*`` requests, e.g. ``"MLModelName"``.
    name_member: str
    #: How a person calls it, capitalised, e.g. ``"ML model"`` (console headings and messages).
    label: str
    #: The CLI's command group, e.g. ``"model"``.
    cli_command: str
    #: The kind in boto3 method names, e.g. ``"ml_model"`` (``get_ml_model``).
    snake_name: str

    @property
    def get_operation(self) -> str:
        return f"Get{self.kind.value}"

    @property
    def update_operation(self) -> str:
        return f"Update{self.kind.value}"

    @property
    def delete_operation(self) -> str:
        return f"Delete{self.kind.value}"

    @property
    def describe_operation(self) -> str:
        return f"Describe{self.kind.value}s"


DATA_SOURCES = KindDescriptor(
    ResourceKind.DATA_SOURCE,
    collection="datasources",
    id_member="DataSourceId",
    name_member="DataSourceName",
    label="Datasource",
    cli_command="datasource",
    snake_name="data_source",
)
ML_MODELS = KindDescriptor(
    ResourceKind.ML_MODEL,
    collection="mlmodels",
    id_member="MLModelId",
    name_member="MLModelName",
    label="ML model",
    cli_command="model",
    snake_name="ml_model",
)
EVALUATIONS = KindDescriptor(
    ResourceKind.EVALUATION,
    collection="evaluations",
    id_member="EvaluationId",
    name_member="EvaluationName",
    label="Evaluation",
    cli_command="evaluation",
    snake_name="evaluation",
)
BATCH_PREDICTIONS = KindDescriptor(
    ResourceKind.BATCH_PREDICTION,
    collection="batchpredictions",
    id_member="BatchPredictionId",
    name_member="BatchPredictionName",
    label="Batch prediction",
    cli_command="batch",
    snake_name="batch_prediction",
)
#: Every kind's descriptor, in the order pages and listings show them.
KIND_DESCRIPTORS: tuple[KindDescriptor, ...] = (DATA_SOURCES, ML_MODELS, EVALUATIONS, BATCH_PREDICTIONS)
#: Drift reports: an extension kind, served only under ``/openaml/v1/driftreports`` (not one of
#: :data:`KIND_DESCRIPTORS`, which are the Amazon ML kinds every generic page and command lists).
DRIFT_REPORTS = KindDescriptor(
    ResourceKind.DRIFT_REPORT,
    collection="driftreports",
    id_member="DriftReportId",
    name_member="DriftReportName",
    label="Drift report",
    cli_command="drift",
    snake_name="drift_report",
)
_BY_KIND = {descriptor.kind: descriptor for descriptor in (*KIND_DESCRIPTORS, DRIFT_REPORTS)}
_BY_COLLECTION = {descriptor.collection: descriptor for descriptor in KIND_DESCRIPTORS}


def descriptor_of(kind: ResourceKind) -> KindDescriptor:
    """The descriptor of ``kind``."""
    return _BY_KIND[kind]


def descriptor_for_collection(collection: str) -> KindDescriptor | None:
    """The descriptor whose collection (URL path segment) is ``collection``; None for any other text."""
    return _BY_COLLECTION.get(collection)


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
    #: The running job's last progress report (``JobProgress.to_json()``); ``None`` when no job runs.
    progress: dict[str, Any] | None = None


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


class ScheduleState(enum.StrEnum):
    """Whether a retraining schedule's due times start retrains (``ENABLED``) or pass (``PAUSED``)."""

    ENABLED = "ENABLED"
    PAUSED = "PAUSED"


@dataclass(frozen=True)
class Schedule:
    """A cron schedule that retrains a model group (see :mod:`openaml.domain.schedules`).

    ``retrain`` is the retrain request each run sends (the body of ``POST
    /openaml/v1/mlmodels/{group}/retrain``), as JSON: ``RetrainRequest.to_json()`` of
    :mod:`openaml.domain.retrain_requests`;
    ``next_run_at`` is the next due time (epoch seconds; ``None`` when the expression never fires again).
    """

    id: str
    ml_model_id: str
    cron: str
    timezone: str
    retrain: Mapping[str, Any]
    state: ScheduleState
    next_run_at: float | None
    created_at: float
    last_updated_at: float
    created_by: Caller


class ScheduleRunOutcome(enum.StrEnum):
    """How one due time of a schedule went: the retrain was started, or could not be."""

    #: Claimed by a worker, which has not recorded the start yet (or died before it could).
    CLAIMED = "CLAIMED"
    STARTED = "STARTED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class ScheduleRun:
    """One run of a schedule: the due time it ran for, the retrain it started, and how that went.

    ``skipped`` counts the later due times that had passed too when it ran (the server was down):
    they are folded into this one run instead of each starting a retrain.
    """

    id: int
    schedule_id: str
    due_at: float
    started_at: float
    skipped: int
    outcome: ScheduleRunOutcome
    retrain_id: str | None = None
    message: str | None = None
