"""evaluation_alerts(): each of Amazon ML's alerts fires in its case and not otherwise."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.evaluation.alerts import DatasourceFacts, evaluation_alerts, schema_differences
from openaml.engine.evaluation.distribution import ClassDistribution, target_distribution_from_values
from openaml.engine.models import ModelType

SCHEMA = DataSchema(
    attributes=(
        Attribute("age", AttributeType.NUMERIC),
        Attribute("job", AttributeType.CATEGORICAL),
        Attribute("id", AttributeType.CATEGORICAL),
        Attribute("y", AttributeType.BINARY),
    ),
    target_attribute_name="y",
    row_id="id",
)
TRAINING = DatasourceFacts(
    datasource_id="ds-train",
    location="s3://bucket/data.csv",
    rearrangement='{"splitting": {"percentBegin": 0, "percentEnd": 70}}',
    valid_records=7000,
    schema=SCHEMA,
    target=ClassDistribution({"0": 5000, "1": 2000}),
)
# A well-made evaluation datasource: the complement split of the same data.
EVALUATION = DatasourceFacts(
    datasource_id="ds-eval",
    location="s3://bucket/data.csv",
    rearrangement='{"splitting": {"percentBegin": 0, "percentEnd": 70, "complement": true}}',
    valid_records=3000,
    schema=SCHEMA,
    target=ClassDistribution({"0": 2150, "1": 850}),
)


def _codes(evaluation: DatasourceFacts, training: DatasourceFacts = TRAINING) -> list[str]:
    return [alert["code"] for alert in evaluation_alerts(training, evaluation)]


def test_a_proper_evaluation_raises_no_alert() -> None:
    assert evaluation_alerts(TRAINING, EVALUATION) == []


def test_unknown_facts_raise_no_alert() -> None:
    assert evaluation_alerts(DatasourceFacts("ds-a"), DatasourceFacts("ds-b")) == []


def test_evaluating_on_the_training_datasource() -> None:
    alerts = evaluation_alerts(TRAINING, replace(TRAINING))

    assert [alert["code"] for alert in alerts] == ["EvaluatedOnTrainingData"]
    assert "'ds-train'" in alerts[0]["message"] and "complement" in alerts[0]["message"]


def test_same_location_and_rearrangement_is_the_training_data() -> None:
    same_split = replace(EVALUATION, rearrangement=' {"splitting":{"percentEnd":70,"percentBegin":0}} ')
    alerts = evaluation_alerts(TRAINING, same_split)

    assert [alert["code"] for alert in alerts] == ["EvaluatedOnTrainingData"]
    assert "About 100%" in alerts[0]["message"]


def test_evaluating_on_all_records_overlaps_the_training_split() -> None:
    alerts = evaluation_alerts(TRAINING, replace(EVALUATION, rearrangement=None))

    assert alerts[0]["code"] == "EvaluatedOnTrainingData"
    assert "About 70%" in alerts[0]["message"]


def test_random_splits_with_different_seeds_overlap() -> None:
    def random_split(begin: int, end: int, seed: str) -> str:
        splitting = {"percentBegin": begin, "percentEnd": end, "strategy": "random", "randomSeed": seed}
        return json.dumps({"splitting": splitting})

    training = replace(TRAINING, rearrangement=random_split(0, 70, "a"))
    assert _codes(replace(EVALUATION, rearrangement=random_split(70, 100, "a")), training) == []
    assert _codes(replace(EVALUATION, rearrangement=random_split(70, 100, "b")), training) == [
        "EvaluatedOnTrainingData"
    ]


def test_other_data_location_is_not_the_training_data() -> None:
    assert _codes(replace(EVALUATION, location="s3://bucket/other.csv", rearrangement=None)) == []


def test_fewer_than_ten_percent_of_training_records() -> None:
    too_few = replace(EVALUATION, valid_records=699)
    alerts = evaluation_alerts(TRAINING, too_few)

    assert [alert["code"] for alert in alerts] == ["TooFewEvaluationRecords"]
    assert "699" in alerts[0]["message"] and "7000" in alerts[0]["message"]
    assert _codes(replace(EVALUATION, valid_records=700)) == []


def test_schema_lacking_a_model_attribute() -> None:
    reduced = DataSchema(
        attributes=(Attribute("age", AttributeType.NUMERIC), Attribute("y", AttributeType.BINARY)),
        target_attribute_name="y",
    )
    alerts = evaluation_alerts(TRAINING, replace(EVALUATION, schema=reduced))

    assert [alert["code"] for alert in alerts] == ["SchemaMismatch"]
    assert "'job'" in alerts[0]["message"]
    assert "'id'" not in alerts[0]["message"]  # the rowId is not something the model needs


def test_schema_with_a_different_type_given_as_json() -> None:
    document = json.loads(SCHEMA.to_json())
    document["attributes"][1]["attributeType"] = "TEXT"
    alerts = evaluation_alerts(TRAINING, replace(EVALUATION, schema=json.dumps(document)))

    assert [alert["code"] for alert in alerts] == ["SchemaMismatch"]
    assert "'job' is TEXT there but CATEGORICAL in training (read as CATEGORICAL)" in alerts[0]["message"]
    assert _codes(replace(EVALUATION, schema=json.loads(SCHEMA.to_json()))) == []


def test_schema_differences_name_a_missing_target() -> None:
    without_target = DataSchema(
        attributes=(Attribute("age", AttributeType.NUMERIC), Attribute("job", AttributeType.CATEGORICAL))
    )
    differences = schema_differences(SCHEMA, without_target)

    assert differences.missing_target == "y"
    assert differences.missing_attributes == ()
    assert differences.any
    assert not schema_differences(SCHEMA, SCHEMA).any


def test_rejected_evaluation_records() -> None:
    alerts = evaluation_alerts(TRAINING, replace(EVALUATION, invalid_records=25))

    assert [alert["code"] for alert in alerts] == ["EvaluationRecordsRejected"]
    assert "25 of 3025" in alerts[0]["message"]


def test_different_target_distribution() -> None:
    skewed = replace(EVALUATION, target=ClassDistribution({"0": 1000, "1": 2000}))
    alerts = evaluation_alerts(TRAINING, skewed)

    assert [alert["code"] for alert in alerts] == ["TargetDistributionMismatch"]
    assert "class" in alerts[0]["message"] and "71.4% of training records" in alerts[0]["message"]


def test_different_numeric_target_distribution() -> None:
    rng = np.random.default_rng(2)
    training = replace(
        TRAINING, target=target_distribution_from_values(rng.normal(0, 1, 2000), ModelType.REGRESSION)
    )
    similar = target_distribution_from_values(rng.normal(0, 1, 800), ModelType.REGRESSION)
    shifted = target_distribution_from_values(rng.normal(2, 1, 800), ModelType.REGRESSION)

    assert _codes(replace(EVALUATION, target=similar), training) == []
    assert _codes(replace(EVALUATION, target=shifted), training) == ["TargetDistributionMismatch"]


def test_a_numeric_and_a_class_target_leave_the_comparison_to_the_schema_alert() -> None:
    numeric = target_distribution_from_values(np.array([1.0, 2.0, 3.0]), ModelType.REGRESSION)

    assert _codes(replace(EVALUATION, target=numeric)) == []


def test_several_alerts_come_in_a_fixed_order() -> None:
    bad = replace(
        TRAINING,
        datasource_id="ds-bad",
        valid_records=10,
        invalid_records=10,
        target=ClassDistribution({"1": 900}),
        schema=DataSchema(attributes=(Attribute("y", AttributeType.BINARY),), target_attribute_name="y"),
    )
    assert _codes(bad) == [
        "EvaluatedOnTrainingData",
        "TooFewEvaluationRecords",
        "SchemaMismatch",
        "EvaluationRecordsRejected",
        "TargetDistributionMismatch",
    ]
