"""Evaluations through boto3: metrics for every model type, the report, charts, alerts and bad input."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

import pytest
from tests.support.api import finished, signed_get
from tests.support.server import LiveServer

SPLIT = (
    '{"splitting": {"percentBegin": 0, "percentEnd": 70, "strategy": "random", '
    '"strategyParams": {"randomSeed": "k"}}}'
)
REST = (
    '{"splitting": {"percentBegin": 0, "percentEnd": 70, "complement": true, "strategy": "random", '
    '"strategyParams": {"randomSeed": "k"}}}'
)


def datasource(
    ml: Any, location: str, target: str, rearrangement: str | None = None, schema: Any = None
) -> str:
    data_source_id = f"ds-eval-{time.time_ns()}"
    spec = {"DataLocationS3": location, "DataSchema": json.dumps(schema or {"targetAttributeName": target})}
    if rearrangement:
        spec["DataRearrangement"] = rearrangement
    ml.create_data_source_from_s3(DataSourceId=data_source_id, ComputeStatistics=True, DataSpec=spec)
    return data_source_id


def model(ml: Any, data_source_id: str, model_type: str, parameters: dict[str, str] | None = None) -> str:
    model_id = f"ml-eval-{time.time_ns()}"
    ml.create_ml_model(
        MLModelId=model_id,
        MLModelType=model_type,
        TrainingDataSourceId=data_source_id,
        Parameters=parameters or {"openaml.algorithms": "sgd"},
    )
    return model_id


def evaluation(ml: Any, model_id: str, data_source_id: str) -> dict[str, Any]:
    evaluation_id = f"ev-{time.time_ns()}"
    ml.create_evaluation(
        EvaluationId=evaluation_id, MLModelId=model_id, EvaluationDataSourceId=data_source_id
    )
    return finished(lambda: ml.get_evaluation(EvaluationId=evaluation_id))


@pytest.fixture(scope="module")
def titanic(server: LiveServer, datasets_dir: Path) -> dict[str, str]:
    """A 70/30 split of titanic and an SGD model trained on the 70 (both pending until used)."""
    ml = server.client()
    location = str(datasets_dir / "titanic.csv")
    train, test = datasource(ml, location, "survived", SPLIT), datasource(ml, location, "survived", REST)
    return {"train": train, "test": test, "model": model(ml, train, "BINARY")}


def test_binary_evaluation_metrics_report_charts_and_threshold(
    ml: Any, server: LiveServer, titanic: dict[str, str]
) -> None:
    got = evaluation(ml, titanic["model"], titanic["test"])
    assert got["Status"] == "COMPLETED", got.get("Message")
    properties = got["PerformanceMetrics"]["Properties"]
    assert 0.75 < float(properties["BinaryAUC"]) <= 1
    assert {"BinaryAccuracy", "BaselineBinaryAUC"} <= set(properties) and all(
        isinstance(v, str) for v in properties.values()
    )
    assert got["Message"].startswith("BinaryAUC")
    report = json.loads(signed_get(server, f"/openaml/v1/evaluations/{got['EvaluationId']}/report"))
    assert {
        "confusionMatrix",
        "rocCurve",
        "precisionRecallCurve",
        "scoreHistograms",
        "thresholdTable",
    } <= set(report)
    assert report["alerts"] == []
    svg = signed_get(server, f"/openaml/v1/evaluations/{got['EvaluationId']}/charts/roc-curve.svg")
    assert svg.startswith(b"<svg") or b"<svg" in svg[:200]


def test_every_model_type_is_evaluated_with_its_headline_metric(ml: Any, datasets_dir: Path) -> None:
    cases = [
        ("penguins", "species", "MULTICLASS", "MulticlassAvgFScore", "BaselineMulticlassAvgFScore"),
        ("wine_quality", "quality", "REGRESSION", "RegressionRMSE", "BaselineRegressionRMSE"),
    ]
    for dataset, target, model_type, headline, baseline in cases:
        location = str(datasets_dir / f"{dataset}.csv")
        train, test = datasource(ml, location, target, SPLIT), datasource(ml, location, target, REST)
        got = evaluation(ml, model(ml, train, model_type, {"openaml.timeBudgetSeconds": "3"}), test)
        assert got["Status"] == "COMPLETED", got.get("Message")
        properties = got["PerformanceMetrics"]["Properties"]
        assert headline in properties and baseline in properties, properties
        if model_type == "MULTICLASS":
            assert float(properties[headline]) > float(properties[baseline])
        else:
            assert float(properties[headline]) < float(properties[baseline])


def alert_codes(got: dict[str, Any], server: LiveServer) -> set[str]:
    report = json.loads(signed_get(server, f"/openaml/v1/evaluations/{got['EvaluationId']}/report"))
    return {alert["code"] for alert in report["alerts"]}


def test_alerts_fire_in_their_cases(
    ml: Any, server: LiveServer, titanic: dict[str, str], datasets_dir: Path
) -> None:
    assert server.scratch is not None
    on_training = evaluation(ml, titanic["model"], titanic["train"])
    assert "EvaluatedOnTrainingData" in alert_codes(on_training, server)
    assert "Alerts:" in on_training["Message"]

    tiny = datasource(
        ml,
        str(datasets_dir / "titanic.csv"),
        "survived",
        '{"splitting": {"percentBegin": 95, "percentEnd": 100}}',
    )
    assert "TooFewEvaluationRecords" in alert_codes(evaluation(ml, titanic["model"], tiny), server)

    rows = list(csv.reader((datasets_dir / "titanic.csv").open()))
    header, body = rows[0], rows[1:]
    target = header.index("survived")
    survivors = server.scratch / "survivors.csv"
    with survivors.open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *[r for r in body if r[target] == "1"]])
    assert "TargetDistributionMismatch" in alert_codes(
        evaluation(ml, titanic["model"], datasource(ml, str(survivors), "survived")), server
    )

    unlabelled = server.scratch / "unlabelled.csv"
    with unlabelled.open("w", newline="") as handle:
        csv.writer(handle).writerows(
            [header, *[[*r[:target], "", *r[target + 1 :]] if i % 3 == 0 else r for i, r in enumerate(body)]]
        )
    assert "EvaluationRecordsRejected" in alert_codes(
        evaluation(ml, titanic["model"], datasource(ml, str(unlabelled), "survived")), server
    )

    training_schema = json.loads(
        ml.get_data_source(DataSourceId=titanic["train"], Verbose=True)["DataSourceSchema"]
    )
    for attribute in training_schema["attributes"]:
        if attribute["attributeName"] == "fare":
            attribute["attributeType"] = "CATEGORICAL"
    retyped = datasource(ml, str(datasets_dir / "titanic.csv"), "survived", REST, schema=training_schema)
    assert "SchemaMismatch" in alert_codes(evaluation(ml, titanic["model"], retyped), server)


def test_bad_input_is_refused_with_what_is_missing(
    ml: Any, titanic: dict[str, str], datasets_dir: Path, new_id: Any
) -> None:
    finished(lambda: ml.get_ml_model(MLModelId=titanic["model"]))
    other = datasource(ml, str(datasets_dir / "penguins.csv"), "species")
    finished(lambda: ml.get_data_source(DataSourceId=other))
    with pytest.raises(ml.exceptions.InvalidInputException, match="lacks"):
        ml.create_evaluation(
            EvaluationId=new_id("ev"), MLModelId=titanic["model"], EvaluationDataSourceId=other
        )
    ml.delete_data_source(DataSourceId=other)
    with pytest.raises(ml.exceptions.InvalidInputException, match="DELETED"):
        ml.create_evaluation(
            EvaluationId=new_id("ev"), MLModelId=titanic["model"], EvaluationDataSourceId=other
        )
    with pytest.raises(ml.exceptions.ResourceNotFoundException):
        ml.create_evaluation(
            EvaluationId=new_id("ev"), MLModelId="ml-none", EvaluationDataSourceId=titanic["test"]
        )
