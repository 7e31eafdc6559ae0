"""The DataSource operations: create (from S3/local files or SQL), get, update, delete, describe."""

from __future__ import annotations

import json
from typing import Any

from openaml.charts.render import render_statistics_chart
from openaml.domain import data_sources as domain
from openaml.domain import resources
from openaml.domain.context import ServiceContext
from openaml.domain.records import DataSourceSpec, SchemaHints, SqlOrigin
from openaml.entities import DATA_SOURCES, Caller, EntityStatus, ResourceKind
from openaml.errors import InvalidInputException, ResourceNotFoundException
from openaml.operations.extensions import ExtensionRequest, RawContent
from openaml.operations.kinds import KindHooks, kind_handlers

KIND = ResourceKind.DATA_SOURCE


def create_data_source_from_s3(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    spec = params["DataSpec"]
    if spec.get("DataSchema") and spec.get("DataSchemaLocationS3"):
        raise InvalidInputException("Give either DataSchema or DataSchemaLocationS3, not both.")
    record = DataSourceSpec(
        compute_statistics=bool(params.get("ComputeStatistics", False)),
        location=spec["DataLocationS3"],
        schema_text=spec.get("DataSchema") or None,
        schema_location=spec.get("DataSchemaLocationS3") or None,
        rearrangement_text=spec.get("DataRearrangement") or None,
    )
    resource = domain.create_data_source(
        ctx, caller, data_source_id=params["DataSourceId"], name=params.get("DataSourceName"), spec=record
    )
    return {"DataSourceId": resource.id}


def create_data_source_from_rds(
    ctx: ServiceContext, params: dict[str, Any], caller: Caller
) -> dict[str, Any]:
    return _create_from_sql(ctx, params, caller, engine="RDS", spec=params["RDSData"])


def create_data_source_from_redshift(
    ctx: ServiceContext, params: dict[str, Any], caller: Caller
) -> dict[str, Any]:
    return _create_from_sql(ctx, params, caller, engine="Redshift", spec=params["DataSpec"])


def _create_from_sql(
    ctx: ServiceContext, params: dict[str, Any], caller: Caller, *, engine: str, spec: dict[str, Any]
) -> dict[str, Any]:
    """A datasource from a SQL query of a configured database (RDS instance or Redshift cluster).

    The password is never stored: the server's configured database URL holds the real credentials.
    """
    database = spec["DatabaseInformation"]
    identifier = database["InstanceIdentifier"] if engine == "RDS" else database["ClusterIdentifier"]
    origin = SqlOrigin(
        engine=engine,
        database_identifier=identifier,
        database_name=database["DatabaseName"],
        user_name=spec["DatabaseCredentials"]["Username"],
        select_sql_query=spec["SelectSqlQuery"],
        staging_location=str(spec["S3StagingLocation"]),
        role_arn=params["RoleARN"],
        resource_role=spec.get("ResourceRole"),
        service_role=spec.get("ServiceRole"),
        subnet_id=spec.get("SubnetId"),
        security_group_ids=tuple(spec.get("SecurityGroupIds") or ()),
    )
    record = DataSourceSpec(
        compute_statistics=bool(params.get("ComputeStatistics", False)),
        schema_text=spec.get("DataSchema") or None,
        schema_location=spec.get("DataSchemaUri") or None,
        rearrangement_text=spec.get("DataRearrangement") or None,
        sql=origin,
    )
    resource = domain.create_data_source(
        ctx, caller, data_source_id=params["DataSourceId"], name=params.get("DataSourceName"), spec=record
    )
    return {"DataSourceId": resource.id}


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
    hints = SchemaHints(target_attribute_name=body.get("targetAttributeName"), row_id=body.get("rowId"))
    return {"DataSchema": domain.infer_schema_preview(ctx, location, hints).to_json()}


#: What this kind's Get/Update/Delete/Describe do beyond what every kind does.
KIND_HOOKS = KindHooks(filters={"DataLocationS3": "data_uri"}, deleted=domain.remove_materialised_files)
OPERATIONS = {
    "CreateDataSourceFromS3": create_data_source_from_s3,
    "CreateDataSourceFromRDS": create_data_source_from_rds,
    "CreateDataSourceFromRedshift": create_data_source_from_redshift,
    **kind_handlers(DATA_SOURCES, KIND_HOOKS),
}
EXTENSION_ROUTES = [
    ("POST", "/datasources/schema-inference", infer_schema),
    ("GET", "/datasources/{DataSourceId}/statistics", get_statistics),
    ("GET", "/datasources/{DataSourceId}/charts/{chart}", get_statistics_chart),
]
