"""The typed creation records of each resource kind, stored as JSON in a resource's ``request``.

``operations/`` turns the API's fields into these records once (``Create*``) and renders them back
(``Get*``/``Describe*``); the domain only ever reads records, never an API field name. A record is a
frozen dataclass with ``to_json()`` (a JSON-ready dict, tagged with ``record``) and ``from_json()``.

What a caller asked for (compared for idempotent ``Create*`` calls) and what the service derived
from it once, at request time (a parsed schema, parsed training parameters; fields declared with
``compare=False``) live side by side: a repeat with the same parameters is equal even when derived
values were filled in. Rows written before these records held the API's request dict; ``from_json``
reads them through :mod:`openaml.store.legacy_requests`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openaml.engine.automl import parse_automl_parameters
from openaml.engine.automl.parameters import AutoMLParameters
from openaml.engine.data.rearrangement import Rearrangement, parse_data_rearrangement
from openaml.engine.data.schema import DataSchema, parse_data_schema
from openaml.engine.drift.captures import CAPTURE_RATE_PARAMETER, parse_capture_rate
from openaml.engine.explain import parse_explain_setting
from openaml.engine.models import ModelType, ModelUpdate, parse_model_update
from openaml.engine.models.updates import UPDATE_KEYS
from openaml.engine.sgd import parse_sgd_parameters
from openaml.engine.sgd.parameters import SGDParameters
from openaml.errors import InvalidInputException
from openaml.store import legacy_requests

__all__ = [
    "BatchPredictionRequest",
    "DataSourceSpec",
    "DriftReportRequest",
    "EvaluationRequest",
    "IngestOutcome",
    "ModelType",
    "SchemaHints",
    "SqlOrigin",
    "TrainedModelOutcome",
    "TrainingRequest",
    "parse_schema_or_hints",
]

RECORD_KEY = "record"
SGD_MODE = "sgd"
AUTOML_MODE = "automl"


# --- schemas -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaHints:
    """What a partial ``DataSchema`` (one without attributes) tells inference: roles, not types."""

    target_attribute_name: str | None = None
    row_id: str | None = None
    excluded_attribute_names: tuple[str, ...] = ()


_HINT_KEYS = frozenset(
    {
        "version",
        "targetAttributeName",
        "targetFieldName",
        "rowId",
        "recordAnnotationFieldName",
        "excludedAttributeNames",
        "excludedVariableNames",
        "dataFormat",
        "dataFileContainsHeader",
        "rowWeight",
    }
)


def parse_schema_or_hints(text: str) -> DataSchema | SchemaHints:
    """A full schema, or — for a JSON object without ``attributes`` — the hints for inferring one."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InvalidInputException(f"DataSchema is not valid JSON: {exc}.") from exc
    if isinstance(document, dict) and "attributes" not in document and "variables" not in document:
        unknown = set(document) - _HINT_KEYS
        if unknown:
            raise InvalidInputException(f"DataSchema has unknown keys: {', '.join(sorted(unknown))}.")
        excluded = document.get("excludedAttributeNames") or document.get("excludedVariableNames") or []
        return SchemaHints(
            target_attribute_name=document.get("targetAttributeName") or document.get("targetFieldName"),
            row_id=document.get("rowId") or document.get("recordAnnotationFieldName"),
            excluded_attribute_names=tuple(excluded),
        )
    return parse_data_schema(text)


def _schema_to_json(schema: DataSchema | SchemaHints | None) -> dict[str, Any] | None:
    if schema is None:
        return None
    if isinstance(schema, DataSchema):
        return {"full": schema.to_json()}
    return {
        "hints": {
            "target": schema.target_attribute_name,
            "rowId": schema.row_id,
            "excluded": list(schema.excluded_attribute_names),
        }
    }


def _schema_from_json(data: Mapping[str, Any] | None) -> DataSchema | SchemaHints | None:
    if data is None:
        return None
    if "full" in data:
        return parse_data_schema(data["full"])
    hints = data["hints"]
    return SchemaHints(hints.get("target"), hints.get("rowId"), tuple(hints.get("excluded") or ()))


# --- datasources ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SqlOrigin:
    """Where a datasource made from a SQL query (RDS or Redshift) takes its data; never a password."""

    engine: str  # "RDS" or "Redshift"
    database_identifier: str  # the RDS instance or Redshift cluster: a key of OPENAML_SQL_DATABASES
    database_name: str
    user_name: str
    select_sql_query: str
    staging_location: str
    role_arn: str
    resource_role: str | None = None
    service_role: str | None = None
    subnet_id: str | None = None
    security_group_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "databaseIdentifier": self.database_identifier,
            "databaseName": self.database_name,
            "userName": self.user_name,
            "selectSqlQuery": self.select_sql_query,
            "stagingLocation": self.staging_location,
            "roleArn": self.role_arn,
            "resourceRole": self.resource_role,
            "serviceRole": self.service_role,
            "subnetId": self.subnet_id,
            "securityGroupIds": list(self.security_group_ids),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SqlOrigin:
        return cls(
            engine=data["engine"],
            database_identifier=data["databaseIdentifier"],
            database_name=data["databaseName"],
            user_name=data["userName"],
            select_sql_query=data["selectSqlQuery"],
            staging_location=data["stagingLocation"],
            role_arn=data["roleArn"],
            resource_role=data.get("resourceRole"),
            service_role=data.get("serviceRole"),
            subnet_id=data.get("subnetId"),
            security_group_ids=tuple(data.get("securityGroupIds") or ()),
        )


@dataclass(frozen=True)
class TimeSplitOrigin:
    """A datasource that is one part of a time split by a column of other files (a retrain's holdout or
    training set): its ingest job writes the part to the datasource's snapshot location first
    (:mod:`openaml.engine.data.time_split`). ``files`` are the input's files, listed at request time so
    that both parts split the same records."""

    location: str
    files: tuple[str, ...]
    attribute: str
    percent: float
    part: str  # "training" or "holdout"

    def to_json(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "files": list(self.files),
            "attribute": self.attribute,
            "percent": self.percent,
            "part": self.part,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TimeSplitOrigin:
        return cls(
            location=str(data["location"]),
            files=tuple(str(uri) for uri in data["files"]),
            attribute=str(data["attribute"]),
            percent=float(data["percent"]),
            part=str(data["part"]),
        )


@dataclass(frozen=True)
class DataSourceSpec:
    """A datasource's creation record: where the data is, how to read it, and whether to profile it.

    ``schema`` is the schema (or inference hints) given inline or at ``schema_location``, read and
    parsed once when the datasource is created; ``rearrangement`` is ``rearrangement_text`` parsed.
    A SQL datasource's data is the query's result, snapshotted to ``snapshot_location``; so is a
    ``time_split`` datasource's (its part of a split of other files).
    """

    compute_statistics: bool
    location: str | None = None
    schema_text: str | None = None
    schema_location: str | None = None
    rearrangement_text: str | None = None
    sql: SqlOrigin | None = None
    snapshot_location: str | None = None
    time_split: TimeSplitOrigin | None = None
    schema: DataSchema | SchemaHints | None = field(default=None, compare=False)
    rearrangement: Rearrangement | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.schema is None and self.schema_text:
            object.__setattr__(self, "schema", parse_schema_or_hints(self.schema_text))
        if self.rearrangement is None and self.rearrangement_text:
            object.__setattr__(self, "rearrangement", parse_data_rearrangement(self.rearrangement_text))

    @property
    def data_location(self) -> str:
        """Where the records are read from: the SQL snapshot, else the caller's location."""
        location = self.snapshot_location or self.location
        assert location is not None, "a datasource has a location or a snapshot"
        return location

    def to_json(self) -> dict[str, Any]:
        return {
            RECORD_KEY: "DataSourceSpec",
            "computeStatistics": self.compute_statistics,
            "location": self.location,
            "schemaText": self.schema_text,
            "schemaLocation": self.schema_location,
            "rearrangementText": self.rearrangement_text,
            "sql": self.sql.to_json() if self.sql is not None else None,
            "snapshotLocation": self.snapshot_location,
            "timeSplit": self.time_split.to_json() if self.time_split is not None else None,
            "schema": _schema_to_json(self.schema),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DataSourceSpec:
        if data.get(RECORD_KEY) != "DataSourceSpec":
            data = legacy_requests.data_source_spec(data)
        return cls(
            compute_statistics=bool(data.get("computeStatistics")),
            location=data.get("location"),
            schema_text=data.get("schemaText"),
            schema_location=data.get("schemaLocation"),
            rearrangement_text=data.get("rearrangementText"),
            sql=SqlOrigin.from_json(data["sql"]) if data.get("sql") else None,
            snapshot_location=data.get("snapshotLocation"),
            time_split=TimeSplitOrigin.from_json(data["timeSplit"]) if data.get("timeSplit") else None,
            schema=_schema_from_json(data.get("schema")),
        )


# --- models --------------------------------------------------------------------------------------


#: The ``CreateMLModel`` parameter that asks for explanations of every prediction (``top:5``).
EXPLAIN_PARAMETER = "openaml.explain"
#: ``CreateMLModel`` parameters about a model's parent and place in its model group
#: (``domain/model_groups.py``, ``domain/model_updates.py``), echoed in ``TrainingParameters``.
LIFECYCLE_PARAMETERS = frozenset(UPDATE_KEYS)


@dataclass(frozen=True)
class TrainingRequest:
    """An MLModel's creation record, its ``Parameters`` parsed once into the engine's types.

    ``mode`` is ``sgd`` (Amazon ML's model: asked for with ``openaml.algorithms=sgd`` or by giving a
    recipe) or ``automl``; ``algorithm_parameters`` are the parsed settings of that mode and
    ``effective_parameters`` what ``TrainingParameters`` echoes. ``recipe_text`` is the recipe given
    inline or read from ``recipe_location`` at request time. ``update`` is the parent model to train
    from, when ``openaml.parentMLModelId`` names one (see :mod:`openaml.domain.model_updates`).
    """

    model_type: ModelType
    training_data_source_id: str
    parameters: Mapping[str, str]
    recipe: str | None = None
    recipe_location: str | None = None
    recipe_text: str | None = field(default=None, compare=False)
    mode: str = field(default="", compare=False)
    algorithm_parameters: AutoMLParameters | SGDParameters = field(
        default_factory=SGDParameters, compare=False
    )
    effective_parameters: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", dict(self.parameters))
        if self.recipe_text is None and self.recipe:
            object.__setattr__(self, "recipe_text", self.recipe)
        if not self.mode:
            self._parse_parameters()

    def _parse_parameters(self) -> None:
        """Validate ``parameters`` (both namespaces, whichever mode) and fix the mode and settings."""
        sgd = parse_sgd_parameters(self.parameters)
        explain = self.parameters.get(EXPLAIN_PARAMETER)
        if explain is not None:
            parse_explain_setting(explain, source=EXPLAIN_PARAMETER)
        parse_model_update(self.parameters)
        if CAPTURE_RATE_PARAMETER in self.parameters:
            parse_capture_rate(self.parameters[CAPTURE_RATE_PARAMETER])
        effective = sgd.effective() | {k: v for k, v in self.parameters.items() if k in UPDATE_KEYS}
        wants_sgd = self.parameters.get("openaml.algorithms", "").strip().lower() == SGD_MODE
        settings: AutoMLParameters | SGDParameters = sgd
        if wants_sgd or self.recipe or self.recipe_location:
            mode = SGD_MODE
        else:
            mode = AUTOML_MODE
            settings = parse_automl_parameters(self.parameters, self.model_type)
            effective |= {k: v for k, v in self.parameters.items() if k.startswith("openaml.")}
        object.__setattr__(self, "mode", mode)
        object.__setattr__(self, "algorithm_parameters", settings)
        object.__setattr__(self, "effective_parameters", effective)

    @property
    def explain_top(self) -> int:
        """How many attributes each prediction's explanation lists (``openaml.explain``; 0: none)."""
        explain = self.parameters.get(EXPLAIN_PARAMETER)
        return 0 if explain is None else parse_explain_setting(explain, source=EXPLAIN_PARAMETER)

    @property
    def update(self) -> ModelUpdate | None:
        """The parent model and update mode the parameters ask for (validated at request time)."""
        return parse_model_update(self.parameters)

    @property
    def seed(self) -> int:
        """The random seed of training (``openaml.seed``, validated at request time)."""
        if isinstance(self.algorithm_parameters, AutoMLParameters):
            return self.algorithm_parameters.seed
        return int(self.parameters.get("openaml.seed", 0))

    def to_json(self) -> dict[str, Any]:
        settings = self.algorithm_parameters
        return {
            RECORD_KEY: "TrainingRequest",
            "modelType": self.model_type.value,
            "trainingDataSourceId": self.training_data_source_id,
            "parameters": dict(self.parameters),
            "recipe": self.recipe,
            "recipeLocation": self.recipe_location,
            "recipeText": self.recipe_text,
            "mode": self.mode,
            "algorithmParameters": {
                name: list(value) if isinstance(value, tuple) else value
                for name, value in dataclasses.asdict(settings).items()
            },
            "effectiveParameters": dict(self.effective_parameters),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrainingRequest:
        if data.get(RECORD_KEY) != "TrainingRequest":
            data = legacy_requests.training_request(data)
        mode = str(data.get("mode") or "")
        stored = data.get("algorithmParameters")
        if not mode or stored is None:  # a legacy row: parse its parameters now
            return cls(
                model_type=ModelType(data["modelType"]),
                training_data_source_id=data["trainingDataSourceId"],
                parameters=data.get("parameters") or {},
                recipe=data.get("recipe"),
                recipe_location=data.get("recipeLocation"),
            )
        settings: AutoMLParameters | SGDParameters
        if mode == SGD_MODE:
            settings = SGDParameters(**stored)
        else:
            settings = AutoMLParameters(**{**stored, "algorithms": tuple(stored["algorithms"])})
        return cls(
            model_type=ModelType(data["modelType"]),
            training_data_source_id=data["trainingDataSourceId"],
            parameters=data.get("parameters") or {},
            recipe=data.get("recipe"),
            recipe_location=data.get("recipeLocation"),
            recipe_text=data.get("recipeText"),
            mode=mode,
            algorithm_parameters=settings,
            effective_parameters=data.get("effectiveParameters") or {},
        )


# --- evaluations and batch predictions -----------------------------------------------------------


@dataclass(frozen=True)
class EvaluationRequest:
    """An evaluation's creation record: the model and the labelled datasource it scores."""

    ml_model_id: str
    data_source_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            RECORD_KEY: "EvaluationRequest",
            "mlModelId": self.ml_model_id,
            "dataSourceId": self.data_source_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EvaluationRequest:
        if data.get(RECORD_KEY) != "EvaluationRequest":
            data = legacy_requests.evaluation_request(data)
        return cls(ml_model_id=data["mlModelId"], data_source_id=data["dataSourceId"])


@dataclass(frozen=True)
class BatchPredictionRequest:
    """A batch prediction's creation record: the model, the datasource it scores, where results go."""

    ml_model_id: str
    data_source_id: str
    output_location: str

    def to_json(self) -> dict[str, Any]:
        return {
            RECORD_KEY: "BatchPredictionRequest",
            "mlModelId": self.ml_model_id,
            "dataSourceId": self.data_source_id,
            "outputLocation": self.output_location,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BatchPredictionRequest:
        if data.get(RECORD_KEY) != "BatchPredictionRequest":
            data = legacy_requests.batch_prediction_request(data)
        return cls(
            ml_model_id=data["mlModelId"],
            data_source_id=data["dataSourceId"],
            output_location=data["outputLocation"],
        )


# --- outcomes (what a job stored in ``details``) -------------------------------------------------


@dataclass(frozen=True)
class IngestOutcome:
    """What a datasource's ingest job found: the schema in use, sizes and record counts.

    Stored in ``details`` under the member names ``GetDataSource`` shows, so rendering stays a copy.
    """

    schema: DataSchema
    data_size_bytes: int
    number_of_files: int
    records_read: int
    valid_records: int
    invalid_records: int
    has_statistics: bool

    def to_details(self) -> dict[str, Any]:
        return {
            "DataSizeInBytes": self.data_size_bytes,
            "NumberOfFiles": self.number_of_files,
            "DataSourceSchema": self.schema.to_json(),
            "RecordsRead": self.records_read,
            "ValidRecords": self.valid_records,
            "InvalidRecords": self.invalid_records,
            "HasStatistics": self.has_statistics,
        }

    @classmethod
    def from_details(cls, details: Mapping[str, Any]) -> IngestOutcome:
        """The outcome of a COMPLETED datasource (its ``details``)."""
        return cls(
            schema=parse_data_schema(details["DataSourceSchema"]),
            data_size_bytes=int(details.get("DataSizeInBytes") or 0),
            number_of_files=int(details.get("NumberOfFiles") or 0),
            records_read=int(details.get("RecordsRead") or 0),
            valid_records=int(details.get("ValidRecords") or 0),
            invalid_records=int(details.get("InvalidRecords") or 0),
            has_statistics=bool(details.get("HasStatistics")),
        )


@dataclass(frozen=True)
class TrainedModelOutcome:
    """What the service reads back of a COMPLETED model's ``details`` (its training job wrote them):
    the training schema, the score threshold and, in SGD mode, the recipe.

    The schema is parsed when first read, so reading only the threshold (each endpoint refresh) is cheap.
    """

    schema_text: str
    #: ``ScoreThreshold`` as stored: a BINARY model's cut-off (None for other model types).
    stored_score_threshold: float | None = None
    #: ``Recipe``: the recipe an SGD model was trained with (None in AutoML mode).
    recipe: str | None = None

    @functools.cached_property
    def schema(self) -> DataSchema:
        return parse_data_schema(self.schema_text)

    @property
    def score_threshold(self) -> float:
        """The cut-off scoring uses: the stored one, 0.5 for a model without one."""
        return 0.5 if self.stored_score_threshold is None else self.stored_score_threshold

    @classmethod
    def from_details(cls, details: Mapping[str, Any]) -> TrainedModelOutcome:
        threshold = details.get("ScoreThreshold")
        return cls(
            schema_text=str(details.get("Schema") or ""),  # parsed (and refused) when read
            stored_score_threshold=None if threshold is None else float(threshold),
            recipe=details.get("Recipe") or None,
        )


# --- drift reports -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriftReportRequest:
    """A drift report's creation record: a baseline and a current set of records, and the thresholds.

    The baseline is a model (its training datasource, and its predictions on it) or a datasource; the
    current set a datasource, or a model's captured real-time records between ``start`` and ``end``
    (epoch seconds; either open).
    """

    baseline_ml_model_id: str | None = None
    baseline_data_source_id: str | None = None
    current_data_source_id: str | None = None
    current_ml_model_id: str | None = None
    start: float | None = None
    end: float | None = None
    thresholds: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "thresholds", dict(self.thresholds))

    def to_json(self) -> dict[str, Any]:
        return {
            RECORD_KEY: "DriftReportRequest",
            "baselineMLModelId": self.baseline_ml_model_id,
            "baselineDataSourceId": self.baseline_data_source_id,
            "currentDataSourceId": self.current_data_source_id,
            "currentMLModelId": self.current_ml_model_id,
            "start": self.start,
            "end": self.end,
            "thresholds": dict(self.thresholds),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DriftReportRequest:
        return cls(
            baseline_ml_model_id=data.get("baselineMLModelId"),
            baseline_data_source_id=data.get("baselineDataSourceId"),
            current_data_source_id=data.get("currentDataSourceId"),
            current_ml_model_id=data.get("currentMLModelId"),
            start=data.get("start"),
            end=data.get("end"),
            thresholds=data.get("thresholds") or {},
        )
