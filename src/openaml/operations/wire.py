"""Turning resources into the wire shapes of the Amazon ML API.

Member names follow the botocore service model exactly; longs are integers, timestamps epoch seconds
with a millisecond fraction, and members without a value are left out (botocore skips nulls anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openaml.domain.ml_models import TRUE_ALGORITHM_KEY, true_algorithm
from openaml.domain.records import BatchPredictionRequest, DataSourceSpec, SqlOrigin, TrainingRequest
from openaml.entities import EntityStatus, Resource, ResourceKind, descriptor_of


def epoch(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _drop_none(shape: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in shape.items() if v is not None}


def _common(resource: Resource) -> dict[str, Any]:
    finished = resource.status in (EntityStatus.COMPLETED, EntityStatus.FAILED) or (
        resource.status is EntityStatus.DELETED and resource.finished_at is not None
    )
    return {
        descriptor_of(resource.kind).id_member: resource.id,
        "Name": resource.name,
        "Status": resource.status.value,
        "CreatedAt": epoch(resource.created_at),
        "LastUpdatedAt": epoch(resource.last_updated_at),
        "CreatedByIamUser": resource.created_by,
        "Message": resource.message,
        "StartedAt": epoch(resource.started_at) if resource.status is not EntityStatus.PENDING else None,
        "FinishedAt": epoch(resource.finished_at) if finished else None,
        "ComputeTime": resource.compute_time_ms,
    }


def endpoint_info(resource: Resource, public_url: str) -> dict[str, Any]:
    """``RealtimeEndpointInfo`` of a model: NONE with 0 requests/s when it has no endpoint.

    ``EndpointUrl`` is the server's current public URL (``OPENAML_PUBLIC_URL``), so it stays right
    when the server moves; every serving process answers ``Predict`` there.
    """
    endpoint = resource.details.get("Endpoint") or {}
    status = resource.endpoint_status or "NONE"
    if status == "NONE":
        return {"EndpointStatus": "NONE", "PeakRequestsPerSecond": 0}
    return _drop_none(
        {
            "EndpointStatus": status,
            "EndpointUrl": public_url.rstrip("/"),
            "CreatedAt": epoch(endpoint.get("CreatedAt")),
            "PeakRequestsPerSecond": endpoint.get("PeakRequestsPerSecond", 0),
        }
    )


def data_source_shape(
    resource: Resource, *, verbose: bool = False, log_uri: str | None = None
) -> dict[str, Any]:
    spec, details = DataSourceSpec.from_json(resource.request), resource.details
    shape = _common(resource) | {
        "DataLocationS3": resource.data_uri,
        "DataRearrangement": spec.rearrangement_text,
        "DataSizeInBytes": details.get("DataSizeInBytes"),
        "NumberOfFiles": details.get("NumberOfFiles"),
        "ComputeStatistics": spec.compute_statistics,
        "RoleARN": spec.sql.role_arn if spec.sql is not None else None,
    }
    if spec.sql is not None:
        member, metadata = sql_metadata(spec.sql)
        shape[member] = metadata if verbose else {k: v for k, v in metadata.items() if k != "SelectSqlQuery"}
    if log_uri is not None:
        shape["LogUri"] = log_uri
    if verbose and details.get("DataSourceSchema"):
        shape["DataSourceSchema"] = details["DataSourceSchema"]
    return _drop_none(shape)


def sql_metadata(origin: SqlOrigin) -> tuple[str, dict[str, Any]]:
    """``RDSMetadata`` or ``RedshiftMetadata`` (member name, value) of a datasource made from SQL."""
    common = {"DatabaseUserName": origin.user_name, "SelectSqlQuery": origin.select_sql_query}
    if origin.engine == "RDS":
        database = {"InstanceIdentifier": origin.database_identifier, "DatabaseName": origin.database_name}
        roles = {"ResourceRole": origin.resource_role, "ServiceRole": origin.service_role}
        return "RDSMetadata", {"Database": database, **common, **roles}
    database = {"DatabaseName": origin.database_name, "ClusterIdentifier": origin.database_identifier}
    return "RedshiftMetadata", {"RedshiftDatabase": database, **common}


def ml_model_shape(
    resource: Resource,
    public_url: str,
    *,
    verbose: bool = False,
    log_uri: str | None = None,
    for_get: bool = False,
) -> dict[str, Any]:
    details = resource.details
    parameters = details.get("TrainingParameters") or dict(
        TrainingRequest.from_json(resource.request).parameters
    )
    algorithm = true_algorithm(details)
    if algorithm is not None:
        # ``Algorithm`` must stay the API's enum (``sgd``); this entry says what the model really is.
        parameters = {**(parameters or {}), TRUE_ALGORITHM_KEY: algorithm}
    shape = _common(resource) | {
        "TrainingDataSourceId": resource.data_source_id,
        "MLModelType": resource.ml_model_type,
        "InputDataLocationS3": resource.data_uri,
        "TrainingParameters": parameters,
        "SizeInBytes": details.get("SizeInBytes"),
        "ScoreThreshold": details.get("ScoreThreshold"),
        "ScoreThresholdLastUpdatedAt": epoch(details.get("ScoreThresholdLastUpdatedAt")),
        "EndpointInfo": endpoint_info(resource, public_url),
    }
    if not for_get:
        shape["Algorithm"] = resource.algorithm or "sgd"
    if log_uri is not None:
        shape["LogUri"] = log_uri
    if verbose:
        shape["Recipe"] = details.get("Recipe")
        shape["Schema"] = details.get("Schema")
    return _drop_none(shape)


def evaluation_shape(resource: Resource, *, log_uri: str | None = None) -> dict[str, Any]:
    shape = _common(resource) | {
        "MLModelId": resource.ml_model_id,
        "EvaluationDataSourceId": resource.data_source_id,
        "InputDataLocationS3": resource.data_uri,
        "PerformanceMetrics": {"Properties": dict(resource.details.get("PerformanceMetrics") or {})},
    }
    if log_uri is not None:
        shape["LogUri"] = log_uri
    return _drop_none(shape)


def batch_prediction_shape(resource: Resource, *, log_uri: str | None = None) -> dict[str, Any]:
    details = resource.details
    shape = _common(resource) | {
        "MLModelId": resource.ml_model_id,
        "BatchPredictionDataSourceId": resource.data_source_id,
        "InputDataLocationS3": resource.data_uri,
        "OutputUri": BatchPredictionRequest.from_json(resource.request).output_location,
        "TotalRecordCount": details.get("TotalRecordCount"),
        "InvalidRecordCount": details.get("InvalidRecordCount"),
    }
    if log_uri is not None:
        shape["LogUri"] = log_uri
    return _drop_none(shape)


@dataclass(frozen=True)
class View:
    """Which variant of a resource's shape to render: a ``Describe*`` result or a ``Get*`` response."""

    public_url: str
    #: ``Get*`` only: the caller asked for ``Verbose`` (schema, recipe, full SQL query).
    verbose: bool = False
    #: ``Get*`` only: the presigned URL of the job log.
    log_uri: str | None = None
    #: ``Get*`` rather than ``Describe*`` (``GetMLModel`` has no ``Algorithm``).
    for_get: bool = False


#: How each kind renders its shape for a :class:`View`.
SHAPES: dict[ResourceKind, Callable[[Resource, View], dict[str, Any]]] = {
    ResourceKind.DATA_SOURCE: lambda r, view: data_source_shape(
        r, verbose=view.verbose, log_uri=view.log_uri
    ),
    ResourceKind.ML_MODEL: lambda r, view: ml_model_shape(
        r, view.public_url, verbose=view.verbose, log_uri=view.log_uri, for_get=view.for_get
    ),
    ResourceKind.EVALUATION: lambda r, view: evaluation_shape(r, log_uri=view.log_uri),
    ResourceKind.BATCH_PREDICTION: lambda r, view: batch_prediction_shape(r, log_uri=view.log_uri),
}


def resource_shape(resource: Resource, view: View) -> dict[str, Any]:
    """The wire shape of any resource, as ``view`` asks."""
    return SHAPES[resource.kind](resource, view)


def describe_shape(resource: Resource, public_url: str) -> dict[str, Any]:
    """The shape of a resource in the ``Results`` of its ``Describe*`` operation."""
    return resource_shape(resource, View(public_url))
