"""The openaml.* extension parameters: defaults, parsing and the messages for bad values."""

from __future__ import annotations

import pytest

from openaml.engine.automl import (
    FAMILY_NAMES,
    AutoMLParameters,
    default_time_budget_seconds,
    parse_automl_parameters,
)
from openaml.engine.automl.families import FAMILIES
from openaml.engine.models import ModelType
from openaml.errors import InvalidInputException


def test_no_parameters_gives_the_defaults() -> None:
    assert parse_automl_parameters({}) == AutoMLParameters()


def test_every_key_is_parsed() -> None:
    params = parse_automl_parameters(
        {
            "openaml.timeBudgetSeconds": "90.5",
            "openaml.algorithms": " LightGBM , linear, CatBoost ",
            "openaml.metric": "BinaryAUC",
            "openaml.seed": "7",
            "openaml.maxTrials": "12",
            "openaml.validationFolds": "0",
            "openaml.searchRowLimit": "5000",
            "openaml.maxEnsembleSize": "3",
            "openaml.maxServingCost": "2.5",
            "openaml.stacking": " False ",
            "openaml.groupAttribute": "subject",
        }
    )
    assert params == AutoMLParameters(
        time_budget_seconds=90.5,
        algorithms=("linear", "lightgbm", "catboost"),
        metric="auc",
        seed=7,
        max_trials=12,
        validation_folds=0,
        search_row_limit=5000,
        max_ensemble_size=3,
        max_serving_cost=2.5,
        stacking=False,
        group_attribute="subject",
    )


def test_sgd_keys_are_left_to_the_sgd_mode() -> None:
    assert parse_automl_parameters({"sgd.maxPasses": "5", "sgd.shuffleType": "auto"}) == AutoMLParameters()


def test_all_selects_every_family() -> None:
    assert parse_automl_parameters({"openaml.algorithms": "all"}).algorithms == FAMILY_NAMES
    assert set(FAMILY_NAMES) == set(FAMILIES)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("openaml.timeBudgetSeconds", "0", "between 1 and 604800"),
        ("openaml.timeBudgetSeconds", "1e9", "between 1 and 604800"),
        ("openaml.timeBudgetSeconds", "soon", "must be a number"),
        ("openaml.timeBudgetSeconds", "nan", "finite"),
        ("openaml.algorithms", "lightgbm,xgboost", "unknown model family 'xgboost'"),
        ("openaml.algorithms", " , ", "at least one model family"),
        ("openaml.metric", "precision", "not a metric OpenAML knows"),
        ("openaml.seed", "-1", "between 0 and 2147483647"),
        ("openaml.seed", "1.5", "must be an integer"),
        ("openaml.maxTrials", "0", "between 1 and"),
        ("openaml.validationFolds", "1", "between 2 and 10 (or 0)"),
        ("openaml.searchRowLimit", "10", "between 1000 and"),
        ("openaml.maxEnsembleSize", "50", "between 1 and 20"),
        ("openaml.maxServingCost", "0.5", "between 1 and 1000"),
        ("openaml.stacking", "no", "must be true or false"),
        ("openaml.timeBudget", "60", "Unknown parameter openaml.timeBudget"),
    ],
)
def test_bad_values_are_rejected_with_the_key_named(key: str, value: str, message: str) -> None:
    with pytest.raises(InvalidInputException, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_automl_parameters({key: value})


def test_a_metric_must_fit_the_model_type_when_it_is_known() -> None:
    assert parse_automl_parameters({"openaml.metric": "rmse"}).metric == "rmse"
    with pytest.raises(InvalidInputException, match="does not apply to BINARY"):
        parse_automl_parameters({"openaml.metric": "rmse"}, ModelType.BINARY)


def test_the_default_budget_grows_with_the_data_and_is_capped() -> None:
    assert default_time_budget_seconds(100, 5) == 60.0
    assert default_time_budget_seconds(100_000, 10) == 160.0
    assert default_time_budget_seconds(10**8, 100) == 3600.0
    assert AutoMLParameters(time_budget_seconds=5.0).budget_for(10**6, 100) == 5.0
