"""The four object types as the console names, links and fetches them."""

from __future__ import annotations

from dataclasses import dataclass

from openaml.console.pages import BASE
from openaml.entities import EntityStatus, ResourceKind


@dataclass(frozen=True)
class KindInfo:
    """One object type: its words, its URL collection and its API operations."""

    kind: ResourceKind
    label: str
    collection: str
    id_member: str
    get: str
    describe: str
    delete: str

    def url(self, resource_id: str) -> str:
        return f"{BASE}/{self.collection}/{resource_id}"


KINDS: tuple[KindInfo, ...] = (
    KindInfo(
        ResourceKind.DATA_SOURCE,
        "Datasource",
        "datasources",
        "DataSourceId",
        "GetDataSource",
        "DescribeDataSources",
        "DeleteDataSource",
    ),
    KindInfo(
        ResourceKind.ML_MODEL,
        "ML model",
        "mlmodels",
        "MLModelId",
        "GetMLModel",
        "DescribeMLModels",
        "DeleteMLModel",
    ),
    KindInfo(
        ResourceKind.EVALUATION,
        "Evaluation",
        "evaluations",
        "EvaluationId",
        "GetEvaluation",
        "DescribeEvaluations",
        "DeleteEvaluation",
    ),
    KindInfo(
        ResourceKind.BATCH_PREDICTION,
        "Batch prediction",
        "batchpredictions",
        "BatchPredictionId",
        "GetBatchPrediction",
        "DescribeBatchPredictions",
        "DeleteBatchPrediction",
    ),
)
BY_KIND = {info.kind: info for info in KINDS}
BY_COLLECTION = {info.collection: info for info in KINDS}
DATA_SOURCES, ML_MODELS, EVALUATIONS, BATCH_PREDICTIONS = KINDS

#: Statuses after which an object no longer changes by itself.
FINAL_STATUSES = frozenset(
    {EntityStatus.COMPLETED.value, EntityStatus.FAILED.value, EntityStatus.DELETED.value}
)


def is_running(status: str | None) -> bool:
    """Whether a job may still change an object with this status (so pages keep polling it)."""
    return status not in FINAL_STATUSES
