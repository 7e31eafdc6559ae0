"""Scoring typed records one at a time gives the scores of ``predict_scores`` on real datasets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from openaml.engine.models import load_model, save_model
from openaml.engine.predictors.scoring import RecordScorer
from openaml.engine.sgd import SGDModel, train_sgd_model

if TYPE_CHECKING:
    from conftest import Dataset  # the fixtures' type, defined next to them


def train(dataset: Dataset, model_type: str, recipe_text: str | None = None) -> SGDModel:
    return train_sgd_model(
        dataset.train,
        dataset.schema,
        model_type,
        {"sgd.shuffleType": "auto"},
        recipe_text=recipe_text,
        statistics=None,
    )


def assert_records_score_like_the_frame(model: SGDModel, dataset: Dataset) -> None:
    test = dataset.test.drop(columns=[dataset.target])
    records = test.to_dict("records")

    one_by_one = np.array([model.predict_records([record])[0] for record in records])

    np.testing.assert_allclose(one_by_one, model.predict_scores(test), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(model.predict_records(records), one_by_one, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("dataset_name", "model_type"),
    [
        ("titanic", "BINARY"),
        ("penguins", "MULTICLASS"),
        ("wine_quality", "REGRESSION"),
        ("sentiment", "BINARY"),
    ],
)
def test_records_score_like_the_frame(
    dataset_name: str, model_type: str, request: pytest.FixtureRequest
) -> None:
    dataset: Dataset = request.getfixturevalue(dataset_name)
    model = train(dataset, model_type)

    assert isinstance(model, RecordScorer)
    assert_records_score_like_the_frame(model, dataset)


def test_a_recipe_with_numeric_and_categorical_transformations(titanic: Dataset) -> None:
    recipe = """{
        "groups": {"NUMBERS": "group(age, fare)"},
        "assignments": {"ticket_class": "cartesian(class, sex)"},
        "outputs": ["ALL_BINARY", "quantile_bin(NUMBERS, 5)", "normalize(fare)", "age", "ticket_class",
                    "cartesian(adult_male, embark_town)", "quantile_bin(normalize(age), 4)"]
    }"""
    assert_records_score_like_the_frame(train(titanic, "BINARY", recipe), titanic)


def test_a_loaded_model_scores_records(penguins: Dataset, tmp_path: Path) -> None:
    model = train(penguins, "MULTICLASS")
    record = penguins.test.drop(columns=[penguins.target]).to_dict("records")[0]
    expected = model.predict_records([record])
    save_model(model, tmp_path / "model", {})

    loaded, _ = load_model(tmp_path / "model")

    assert isinstance(loaded, SGDModel)
    np.testing.assert_array_equal(loaded.predict_records([record]), expected)
