"""Reading the ``request`` column of rows written before typed creation records existed.

Until then a resource's ``request`` held the API's own request dict (``DataSpec``, ``MLModelType``,
``Parameters``, …). Each function here turns such a dict into the JSON form of the matching record of
:mod:`openaml.domain.records` (whose ``from_json`` calls it for a dict without the ``record`` tag), so
databases made by earlier versions keep working without a data migration. Likewise a schedule's
retrain body, stored as sent before :mod:`openaml.domain.retrain_requests` existed
(:func:`retrain_request`). Only stored rows need this:
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


def _member(body: Mapping[str, Any], *names: str) -> Any:
    """The first of ``names`` present in ``body`` (the retrain route accepts several spellings)."""
    for name in names:
        if name in body:
            return body[name]
    return None


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def retrain_request(old: Mapping[str, Any]) -> dict[str, Any]:
    """A schedule's retrain body stored as the caller sent it (before typed records): any of the
    names the retrain route accepts (``location``/``Location``/``DataLocationS3``, ``openaml.promotion``,
    ...), members left out (``None`` here: the record's defaults)."""
    holdout = _member(old, "holdout", "Holdout") or {}
    rule = _member(holdout, "rule", "Rule") or _member(old, "openaml.holdoutRule")
    percent = _member(holdout, "percent", "Percent")
    mode = _stripped(_member(old, "updateMode", "UpdateMode", "openaml.updateMode"))
    return {
        "location": _stripped(_member(old, "location", "Location", "DataLocationS3")),
        "dataSourceId": _stripped(_member(old, "dataSourceId", "DataSourceId")),
        "holdout": {
            "rule": _stripped(rule),
            "percent": percent if percent is not None else _member(old, "openaml.holdoutPercent"),
            "attribute": _stripped(_member(holdout, "attribute", "Attribute")),
        },
        "updateMode": mode.lower() if isinstance(mode, str) else mode,
        "promotion": _stripped(_member(old, "promotion", "Promotion", "openaml.promotion")),
        "promotionMetric": _stripped(
            _member(old, "promotionMetric", "PromotionMetric", "openaml.promotionMetric")
        ),
        "minImprovement": _member(old, "minImprovement", "MinImprovement", "openaml.minImprovement"),
        "parameters": dict(_member(old, "parameters", "Parameters") or {}),
    }
