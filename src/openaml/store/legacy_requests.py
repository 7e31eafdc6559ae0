"""Reading the ``request`` column of rows written before typed creation records existed.

Until then a resource's ``request`` held the API's own request dict (``DataSpec``, ``MLModelType``,
``Parameters``, …). Each function here turns such a dict into the JSON form of the matching record of
:mod:`openaml.domain.records` (whose ``from_json`` calls it for a dict without the ``record`` tag), so
databases made by earlier versions keep working without a data migration. Only stored rows need this:
new requests are converted once, in ``operations/``. Nothing here parses or validates; the record does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def data_source_spec(old: Mapping[str, Any]) -> dict[str, Any]:
    """A datasource's old ``{"DataSpec": …, "ComputeStatistics": …}`` (and, from SQL, its metadata)."""
    spec = old.get("DataSpec") or {}
    sql = None
    if "SqlDatabase" in old:
        credentials = spec.get("DatabaseCredentials") or {}
        information = spec.get("DatabaseInformation") or {}
        is_rds = "RDSMetadata" in old
        sql = {
            "engine": "RDS" if is_rds else "Redshift",
            "databaseIdentifier": old["SqlDatabase"],
            "databaseName": information.get("DatabaseName", ""),
            "userName": credentials.get("Username", ""),
            "selectSqlQuery": spec.get("SelectSqlQuery", ""),
            "stagingLocation": spec.get("S3StagingLocation", ""),
            "roleArn": old.get("RoleARN", ""),
            "resourceRole": spec.get("ResourceRole"),
            "serviceRole": spec.get("ServiceRole"),
            "subnetId": spec.get("SubnetId"),
            "securityGroupIds": list(spec.get("SecurityGroupIds") or ()),
        }
    return {
        "computeStatistics": bool(old.get("ComputeStatistics")),
        "location": spec.get("DataLocationS3"),
        "schemaText": spec.get("DataSchema") or None,
        "schemaLocation": spec.get("DataSchemaLocationS3") or spec.get("DataSchemaUri") or None,
        "rearrangementText": spec.get("DataRearrangement") or None,
        "sql": sql,
        "snapshotLocation": old.get("SnapshotUri"),
    }


def training_request(old: Mapping[str, Any]) -> dict[str, Any]:
    """An MLModel's old ``{"MLModelType", "TrainingDataSourceId", "Parameters", "Recipe", "RecipeUri"}``."""
    return {
        "modelType": old["MLModelType"],
        "trainingDataSourceId": old["TrainingDataSourceId"],
        "parameters": dict(old.get("Parameters") or {}),
        "recipe": old.get("Recipe"),
        "recipeLocation": old.get("RecipeUri"),
    }


def evaluation_request(old: Mapping[str, Any]) -> dict[str, Any]:
    """An evaluation's old ``{"MLModelId", "EvaluationDataSourceId"}``."""
    return {"mlModelId": old["MLModelId"], "dataSourceId": old["EvaluationDataSourceId"]}


def batch_prediction_request(old: Mapping[str, Any]) -> dict[str, Any]:
    """A batch prediction's old ``{"MLModelId", "BatchPredictionDataSourceId", "OutputUri"}``."""
    return {
        "mlModelId": old["MLModelId"],
        "dataSourceId": old["BatchPredictionDataSourceId"],
        "outputLocation": old["OutputUri"],
    }
