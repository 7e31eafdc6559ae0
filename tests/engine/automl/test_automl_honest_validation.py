"""Group- and time-aware validation (openaml.groupAttribute, openaml.timeAttribute) and the warning
when a random split looks much better than the honest one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from openaml.engine.automl import AutoMLParameters, parse_automl_parameters, train_automl
from openaml.engine.automl.honesty import SplitCheck
from openaml.engine.automl.validation import plan_group_validation, plan_time_validation
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.models import ModelType
from openaml.errors import InvalidInputException


def subject_data(subjects: int = 40, per_subject: int = 15, seed: int = 0) -> tuple[pd.DataFrame, DataSchema]:
    """Sensor-style records: each subject has its own reading pattern and its own label, so a model
    can recognise seen subjects but has nothing that carries over to new ones."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(subjects, 4))
    labels = rng.permutation(np.arange(subjects) % 2).astype(np.float64)
    subject = np.repeat(np.arange(subjects), per_subject)
    readings = centres[subject] + rng.normal(scale=0.3, size=(len(subject), 4))
    frame = pd.DataFrame({f"s{i}": readings[:, i] for i in range(4)})
    frame["subject"] = pd.Series([f"person{s}" for s in subject], dtype=object)
    frame["y"] = labels[subject]
    attributes = (
        *(Attribute(f"s{i}", AttributeType.NUMERIC) for i in range(4)),
        Attribute("subject", AttributeType.CATEGORICAL),
        Attribute("y", AttributeType.BINARY),
    )
    return frame, DataSchema(attributes=attributes, target_attribute_name="y")


@pytest.mark.parametrize("folds", [0, 3, 5])
def test_group_folds_keep_every_group_on_one_side(folds: int) -> None:
    groups = pd.Series(["a", "a", "b", "b", "c", "c", "d", None, None, "e"] * 3, dtype=object)
    plan = plan_group_validation(groups, folds, seed=1, attribute="who")
    known = groups.fillna("missing").to_numpy()
    for train, valid in plan.folds:
        assert len(np.intersect1d(train, valid)) == 0 and len(train) + len(valid) == len(groups)
        shared = set(known[train]) & set(known[valid]) - {"missing"}
        assert not shared
    if folds:
        assert len(plan.folds) == folds and np.array_equal(plan.validation_rows, np.arange(len(groups)))
    assert "groups of 'who'" in plan.description


def test_more_folds_than_groups_gives_one_fold_per_group() -> None:
    plan = plan_group_validation(pd.Series(["a", "b", "c"] * 4, dtype=object), 5, seed=0, attribute="g")
    assert len(plan.folds) == 3


def test_a_single_group_is_refused() -> None:
    with pytest.raises(InvalidInputException, match="single value"):
        plan_group_validation(pd.Series(["same"] * 10, dtype=object), 3, seed=0, attribute="g")


def test_time_holdout_is_the_newest_share() -> None:
    numbers = pd.Series([5.0, 1.0, np.nan, 9.0, 3.0, 7.0, 2.0, 8.0, 4.0, 6.0])
    plan = plan_time_validation(numbers, "t")
    assert list(plan.validation_rows) == [3, 7]  # 9.0 and 8.0
    dates = pd.Series(["2012-03-01", None, "2011-12-31", "2012-01-15", "2013-07-04"], dtype=object)
    assert list(plan_time_validation(dates, "day").validation_rows) == [4]
    assert plan.description.startswith("time-ordered holdout")


def test_group_and_time_parameters_are_parsed() -> None:
    params = parse_automl_parameters({"openaml.groupAttribute": " subject "})
    assert params.group_attribute == "subject" and params.time_attribute is None
    assert parse_automl_parameters({"openaml.timeAttribute": "day"}).time_attribute == "day"
    with pytest.raises(InvalidInputException, match="not both"):
        parse_automl_parameters({"openaml.groupAttribute": "a", "openaml.timeAttribute": "b"})
    with pytest.raises(InvalidInputException, match="must name an attribute"):
        parse_automl_parameters({"openaml.groupAttribute": "  "})


def test_an_unknown_group_attribute_is_refused() -> None:
    frame, schema = subject_data()
    params = AutoMLParameters(time_budget_seconds=2, group_attribute="patient")
    with pytest.raises(InvalidInputException, match="'patient' is not an attribute"):
        train_automl(frame, schema, ModelType.BINARY, params)
    misspelt = AutoMLParameters(time_budget_seconds=2, group_attribute="Subject")
    with pytest.raises(InvalidInputException, match="Did you mean 'subject'"):
        train_automl(frame, schema, ModelType.BINARY, misspelt)
    with pytest.raises(InvalidInputException, match="is the target attribute"):
        train_automl(
            frame, schema, ModelType.BINARY, AutoMLParameters(time_budget_seconds=2, group_attribute="y")
        )


def test_grouped_records_are_validated_by_group_and_a_leaky_random_split_is_flagged() -> None:
    frame, schema = subject_data()
    params = AutoMLParameters(time_budget_seconds=5, algorithms=("linear", "knn"), group_attribute="subject")

    result = train_automl(frame, schema, ModelType.BINARY, params)

    assert "group cross-validation" in result.validation and "40 groups of 'subject'" in result.validation
    assert result.validation_score < 0.8  # new subjects: nothing to recognise
    assert result.split_check is not None and result.split_check["optimistic"] is True
    assert result.split_check["randomSplitScore"] > 0.9  # seen subjects: recognised
    assert len(result.warnings) == 1 and "random split would overstate" in result.warnings[0]
    # The group attribute is not a model input.
    renamed = frame.assign(subject="somebody else")
    np.testing.assert_allclose(result.model.predict_scores(renamed), result.model.predict_scores(frame))


def test_without_groups_or_time_there_is_no_check() -> None:
    frame, schema = subject_data()
    result = train_automl(
        frame, schema, ModelType.BINARY, AutoMLParameters(time_budget_seconds=2, algorithms=("linear",))
    )
    assert result.split_check is None and result.warnings == ()


def test_time_ordered_holdout_trains_and_keeps_the_time_attribute_as_input() -> None:
    frame, schema = subject_data()
    frame["s0"] = np.arange(len(frame), dtype=np.float64)  # time order
    params = AutoMLParameters(time_budget_seconds=3, algorithms=("linear", "lightgbm"), time_attribute="s0")

    result = train_automl(frame, schema, ModelType.BINARY, params)

    assert result.validation.startswith("time-ordered holdout: the newest 20% by 's0' (120 of 600 rows)")


@pytest.mark.parametrize(
    ("honest", "random", "greater", "optimistic"),
    [(0.70, 0.90, True, True), (0.80, 0.84, True, False), (2.0, 1.4, False, True), (2.0, 1.8, False, False)],
)
def test_the_optimism_rule(honest: float, random: float, greater: bool, optimistic: bool) -> None:
    check = SplitCheck("lightgbm", "auc" if greater else "rmse", honest, random, greater)
    assert check.optimistic is optimistic
    assert (check.warning("group holdout") is not None) is optimistic
