"""The DataSource operations: create (from S3/local files or SQL), get, update, delete, describe."""

from __future__ import annotations

import json
from typing import Any

from openaml.charts.render import render_statistics_chart
from openaml.domain import data_sources as domain
from openaml.domain import resources
from openaml.domain.context import ServiceContext
from openaml.entities import Caller, EntityStatus, ResourceKind
from openaml.errors import InvalidInputException, ResourceNotFoundException
from openaml.operations import wire
from openaml.operations.describe import describe
from openaml.operations.extensions import ExtensionRequest, RawContent
from openaml.operations.resources import log_uri

KIND = ResourceKind.DATA_SOURCE


def create_data_source_from_s3(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    spec = dict(params["DataSpec"])
    if spec.get("DataSchema") and spec.get("DataSchemaLocationS3"):
        raise InvalidInputException("Give either DataSchema or DataSchemaLocationS3, not both.")
    resource = domain.create_data_source_from_s3(
        ctx,
        caller,
        data_source_id=params["DataSourceId"],
        name=params.get("DataSourceName"),
        spec=spec,
        compute_statistics=bool(params.get("ComputeStatistics", False)),
    )
    return {"DataSourceId": resource.id}


def create_data_source_from_rds(
    ctx: ServiceContext, params: dict[str, Any], caller: Caller
) -> dict[str, Any]:
    spec = dict(params["RDSData"])
    database = spec["DatabaseInformation"]
    metadata = {
        "Database": {
            "InstanceIdentifier": database["InstanceIdentifier"],
            "DatabaseName": database["DatabaseName"],
        },
        "DatabaseUserName": spec["DatabaseCredentials"]["Username"],
        "SelectSqlQuery": spec["SelectSqlQuery"],
        "ResourceRole": spec["ResourceRole"],
        "ServiceRole": spec["ServiceRole"],
    }
    resource = domain.create_data_source_from_sql(
        ctx,
        caller,
        data_source_id=params["DataSourceId"],
        name=params.get("DataSourceName"),
        identifier=database["InstanceIdentifier"],
        spec=_without_password(spec),
        request={
            "DataSpec": _without_password(spec),
            "RoleARN": params["RoleARN"],
            "ComputeStatistics": bool(params.get("ComputeStatistics", False)),
        },
        metadata={"RDSMetadata": metadata},
    )
    return {"DataSourceId": resource.id}


def create_data_source_from_redshift(
    ctx: ServiceContext, params: dict[str, Any], caller: Caller
) -> dict[str, Any]:
    spec = dict(params["DataSpec"])
    database = spec["DatabaseInformation"]
    metadata = {
        "RedshiftDatabase": {
            "DatabaseName": database["DatabaseName"],
            "ClusterIdentifier": database["ClusterIdentifier"],
        },
        "DatabaseUserName": spec["DatabaseCredentials"]["Username"],
        "SelectSqlQuery": spec["SelectSqlQuery"],
    }
    resource = domain.create_data_source_from_sql(
        ctx,
        caller,
        data_source_id=params["DataSourceId"],
        name=params.get("DataSourceName"),
        identifier=database["ClusterIdentifier"],
        spec=_without_password(spec),
        request={
            "DataSpec": _without_password(spec),
            "RoleARN": params["RoleARN"],
            "ComputeStatistics": bool(params.get("ComputeStatistics", False)),
        },
        metadata={"RedshiftMetadata": metadata},
    )
    return {"DataSourceId": resource.id}


def _without_password(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec as stored: the configured database URL holds the real credentials, never the request."""
    credentials = {k: v for k, v in spec["DatabaseCredentials"].items() if k != "Password"}
    return {**spec, "DatabaseCredentials": credentials}


def get_data_source(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    resource = resources.get_resource(ctx, KIND, params["DataSourceId"])
    return wire.data_source_shape(
        resource, verbose=bool(params.get("Verbose")), log_uri=log_uri(ctx, KIND, resource.id, caller)
    )


def update_data_source(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    resources.rename_resource(ctx, KIND, params["DataSourceId"], params["DataSourceName"])
    return {"DataSourceId": params["DataSourceId"]}


def delete_data_source(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    resources.delete_resource(ctx, KIND, params["DataSourceId"])
    return {"DataSourceId": params["DataSourceId"]}


def describe_data_sources(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    return describe(ctx, KIND, params)


# --- extension endpoints -------------------------------------------------------------------------


def get_statistics(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/datasources/{DataSourceId}/statistics``: the statistics JSON (docs/statistics.md)."""
    return RawContent(_statistics(ctx, request.path["DataSourceId"]), "application/json")


def get_statistics_chart(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/datasources/{DataSourceId}/charts/histograms.png`` (the CLI's ``stats --png``)."""
    data_source_id = request.path["DataSourceId"]
    statistics = json.loads(_statistics(ctx, data_source_id))
    body, media_type = render_statistics_chart(
        statistics, request.path["chart"], f"DataSource {data_source_id}"
    )
    return RawContent(body, media_type)


def _statistics(ctx: ServiceContext, data_source_id: str) -> bytes:
    resource = resources.get_resource(ctx, KIND, data_source_id)
    if not resource.details.get("HasStatistics"):
        state = (
            "was created without ComputeStatistics"
            if resource.status is EntityStatus.COMPLETED
            else f"is {resource.status.value}"
        )
        raise ResourceNotFoundException(f"DataSource {resource.id} has no statistics: it {state}.")
    return ctx.objects.server_files.read_bytes(domain.statistics_uri(ctx, resource.id))


def infer_schema(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``POST /openaml/v1/datasources/schema-inference``: preview the inferred schema of a location.

    Body ``{"DataLocationS3": ..., "targetAttributeName"?: ..., "rowId"?: ...}``; answers
    ``{"DataSchema": "<schema JSON>"}``, ready to edit and pass to CreateDataSourceFromS3.
    """
    body = request.body if isinstance(request.body, dict) else {}
    location = body.get("DataLocationS3")
    if not isinstance(location, str) or not location:
        raise InvalidInputException('The body must be {"DataLocationS3": "<location>", ...}.')
    hints = domain.SchemaHints(
        target_attribute_name=body.get("targetAttributeName"), row_id=body.get("rowId")
    )
    return {"DataSchema": domain.infer_schema_preview(ctx, location, hints).to_json()}


OPERATIONS = {
    "CreateDataSourceFromS3": create_data_source_from_s3,
    "CreateDataSourceFromRDS": create_data_source_from_rds,
    "CreateDataSourceFromRedshift": create_data_source_from_redshift,
    "GetDataSource": get_data_source,
    "UpdateDataSource": update_data_source,
    "DeleteDataSource": delete_data_source,
    "DescribeDataSources": describe_data_sources,
}
EXTENSION_ROUTES = [
    ("POST", "/datasources/schema-inference", infer_schema),
    ("GET", "/datasources/{DataSourceId}/statistics", get_statistics),
    ("GET", "/datasources/{DataSourceId}/charts/{chart}", get_statistics_chart),
]
