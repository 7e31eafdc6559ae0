"""Training SGD models on real datasets: quality, parameters, size trimming, determinism and errors."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.models import ModelType, TrainedModel, TrainingCancelled, load_model, save_model
from openaml.engine.sgd import SGDModel, train_sgd_model
from openaml.errors import InvalidInputException

if TYPE_CHECKING:
    from conftest import Dataset  # the fixtures' type, defined next to them

AUTO_SHUFFLE = {"sgd.shuffleType": "auto"}


def train(
    dataset: Dataset,
    model_type: str,
    parameters: dict[str, str] | None = None,
    *,
    recipe_text: str | None = None,
    seed: int = 0,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SGDModel:
    """Train on the dataset's training split with the suggested recipe and auto shuffling by default."""
    return train_sgd_model(
        dataset.train,
        dataset.schema,
        model_type,
        AUTO_SHUFFLE if parameters is None else parameters,
        recipe_text=recipe_text,
        statistics=None,
        seed=seed,
        should_stop=should_stop,
        progress=progress,
    )


def test_binary_model_on_titanic_with_categoricals_and_missing_values(titanic: Dataset) -> None:
    model = train(titanic, "BINARY")

    scores = model.predict_scores(titanic.test)
    assert isinstance(model, TrainedModel)
    assert (model.model_type, model.classes, model.algorithm) == (ModelType.BINARY, ("0", "1"), "sgd")
    assert scores.shape == (len(titanic.test),)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert roc_auc_score(titanic.test[titanic.target], scores) > 0.8
    assert "quantile_bin(age,10)=missing" in model.featurizer.feature_names_
    assert json.loads(model.recipe_text)["outputs"][0] == "ALL_CATEGORICAL"


def test_multiclass_model_on_penguins(penguins: Dataset) -> None:
    model = train(penguins, ModelType.MULTICLASS)

    probabilities = model.predict_scores(penguins.test)
    assert model.classes == ("Adelie", "Chinstrap", "Gentoo")
    assert probabilities.shape == (len(penguins.test), 3)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    predicted = np.array(model.classes)[probabilities.argmax(axis=1)]
    assert f1_score(penguins.test[penguins.target], predicted, average="macro") > 0.9


def test_regression_model_on_wine_quality_beats_the_mean(wine_quality: Dataset) -> None:
    model = train(wine_quality, "REGRESSION")

    predictions = model.predict_scores(wine_quality.test)
    truth = wine_quality.test[wine_quality.target].to_numpy()
    rmse = np.sqrt(np.mean((predictions - truth) ** 2))
    baseline = np.sqrt(np.mean((wine_quality.train[wine_quality.target].mean() - truth) ** 2))
    assert model.classes is None
    assert rmse < 0.85 * baseline


def test_text_model_on_sentiment_sentences(sentiment: Dataset) -> None:
    model = train(sentiment, "BINARY")

    auc = roc_auc_score(sentiment.test[sentiment.target], model.predict_scores(sentiment.test))
    assert auc > 0.85
    assert "ngram(lowercase(no_punct(text)),2)=not good" in model.featurizer.feature_names_


def test_a_given_recipe_defines_the_features(titanic: Dataset) -> None:
    recipe = '{"outputs": ["sex", "normalize(fare)", "cartesian(class, who)"]}'

    model = train(titanic, "BINARY", recipe_text=recipe)

    assert model.recipe_text == recipe
    assert model.featurizer.feature_names_[:3] == ["sex=female", "sex=male", "normalize(fare)"]
    assert model.size.n_features == 2 + 1 + 9


def test_blank_recipe_text_means_the_suggested_recipe(titanic: Dataset) -> None:
    model = train(titanic, "BINARY", recipe_text="  ")

    assert json.loads(model.recipe_text)["groups"] == {
        "NUMERIC_VARS_QB_10": "group('pclass','age','sibsp','parch','fare')"
    }


def test_the_same_seed_gives_the_same_model_and_another_seed_another_order(titanic: Dataset) -> None:
    first, second = train(titanic, "BINARY", seed=7), train(titanic, "BINARY", seed=7)
    other = train(titanic, "BINARY", seed=8)

    assert (first.coefficients != second.coefficients).nnz == 0
    assert np.array_equal(first.intercepts, second.intercepts)
    assert (first.coefficients != other.coefficients).nnz > 0


def test_max_passes_limits_training_and_convergence_stops_it_early(titanic: Dataset) -> None:
    one_pass = train(titanic, "BINARY", {"sgd.maxPasses": "1"})
    many = train(titanic, "BINARY", {"sgd.maxPasses": "10000", "sgd.shuffleType": "auto"})

    assert (one_pass.training.passes, one_pass.training.converged) == (1, False)
    assert many.training.converged
    assert many.training.passes < 10_000
    assert many.training.pass_losses[-1] < one_pass.training.pass_losses[0]


def test_progress_reports_every_pass(titanic: Dataset) -> None:
    messages: list[str] = []

    train(titanic, "BINARY", {"sgd.maxPasses": "3"}, progress=messages.append)

    assert len(messages) == 3
    assert messages[0].startswith("SGD pass 1 of at most 3: mean training loss ")


def test_should_stop_cancels_training(titanic: Dataset) -> None:
    passes: list[str] = []

    with pytest.raises(TrainingCancelled):
        train(titanic, "BINARY", progress=passes.append, should_stop=lambda: len(passes) == 2)

    assert len(passes) == 2


def test_models_are_trimmed_to_the_maximum_size_keeping_the_most_useful_patterns(sentiment: Dataset) -> None:
    full = train(sentiment, "BINARY")
    small = train(sentiment, "BINARY", {"sgd.maxMLModelSizeInBytes": "100000", "sgd.shuffleType": "auto"})

    assert full.size.n_trimmed_patterns == 0
    assert full.size.size_in_bytes > 100_000
    assert small.size.size_in_bytes <= 100_000
    assert small.size.n_trimmed_patterns == small.size.n_features - small.size.n_patterns > 0
    assert small.coefficients.getnnz(axis=1).astype(bool).sum() == small.size.n_patterns
    auc = roc_auc_score(sentiment.test[sentiment.target], small.predict_scores(sentiment.test))
    assert auc > 0.8


def test_l1_regularization_gives_fewer_patterns_than_l2(sentiment: Dataset) -> None:
    l1 = train(sentiment, "BINARY", {"sgd.l1RegularizationAmount": "1e-3", "sgd.shuffleType": "auto"})
    l2 = train(sentiment, "BINARY")

    assert l1.size.n_patterns < l2.size.n_patterns / 2
    assert l1.size.size_in_bytes < l2.size.size_in_bytes
    assert l1.parameters.effective()["sgd.l1RegularizationAmount"] == "0.001"


def test_prediction_tolerates_missing_and_extra_columns(titanic: Dataset) -> None:
    model = train(titanic, "BINARY")
    rows = titanic.test.drop(columns=["age", "deck", "survived"]).assign(unexpected="x")

    scores = model.predict_scores(rows)

    assert scores.shape == (len(rows),)
    assert not np.isnan(scores).any()


def test_records_without_a_target_are_left_out(titanic: Dataset) -> None:
    unlabelled = titanic.train.assign(survived=np.nan)
    dataset = dataclasses.replace(titanic, train=pd.concat([titanic.train, unlabelled], ignore_index=True))

    with_unlabelled = train(dataset, "BINARY")
    labelled_only = train(titanic, "BINARY")

    assert with_unlabelled.featurizer.feature_names_ == labelled_only.featurizer.feature_names_


def test_model_round_trips_through_a_model_artifact(penguins: Dataset, tmp_path: Path) -> None:
    model = train(penguins, "MULTICLASS")

    save_model(model, tmp_path / "model", {"recipe": model.recipe_text})
    restored, metadata = load_model(tmp_path / "model")

    assert metadata["recipe"] == model.recipe_text
    assert np.array_equal(restored.predict_scores(penguins.test), model.predict_scores(penguins.test))


@pytest.mark.parametrize(
    ("model_type", "message"),
    [
        (
            "REGRESSION",
            "A REGRESSION model needs a NUMERIC target attribute, but 'survived' is BINARY; train a BINARY "
            "model "
            "instead or change the attribute's type in the schema.",
        ),
        (
            "MULTICLASS",
            "A MULTICLASS model needs a CATEGORICAL target attribute, but 'survived' is BINARY; train a "
            "BINARY "
            "model instead or change the attribute's type in the schema.",
        ),
        ("CLUSTERING", "MLModelType must be one of BINARY, MULTICLASS, REGRESSION; got 'CLUSTERING'."),
    ],
)
def test_model_type_must_fit_the_target(titanic: Dataset, model_type: str, message: str) -> None:
    with pytest.raises(InvalidInputException) as caught:
        train(titanic, model_type)

    assert caught.value.message == message


def test_training_needs_a_target_with_two_values() -> None:
    schema = DataSchema(
        attributes=(Attribute("x", AttributeType.NUMERIC), Attribute("y", AttributeType.BINARY))
    )
    labelled = DataSchema(schema.attributes, target_attribute_name="y")
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [1.0, 1.0]})

    with pytest.raises(InvalidInputException, match="has no targetAttributeName"):
        train_sgd_model(frame, schema, "BINARY", {}, recipe_text=None, statistics=None)
    with pytest.raises(
        InvalidInputException, match=r"both target values 0 and 1; the training data has \[1.0\]"
    ):
        train_sgd_model(frame, labelled, "BINARY", {}, recipe_text=None, statistics=None)
    with pytest.raises(InvalidInputException, match="No training record has a value for the target"):
        train_sgd_model(frame.assign(y=np.nan), labelled, "BINARY", {}, recipe_text=None, statistics=None)


def test_bad_parameters_and_recipes_fail_before_training(titanic: Dataset) -> None:
    with pytest.raises(InvalidInputException, match=r"sgd\.maxPasses must be"):
        train(titanic, "BINARY", {"sgd.maxPasses": "0"})
    with pytest.raises(InvalidInputException, match=r"Recipe error in outputs\[0\] at column 1"):
        train(titanic, "BINARY", recipe_text='{"outputs": ["survived"]}')


def column_statistics(dataset: Dataset) -> dict[str, object]:
    """The parts of the statistics JSON (CONTRACTS §3) that the recipe suggestion reads."""
    frame = dataset.train
    return {
        "attributes": [
            {
                "name": attribute.name,
                "type": attribute.type.value,
                "count": int(frame[attribute.name].notna().sum()),
                "missing": int(frame[attribute.name].isna().sum()),
                "distinct": int(frame[attribute.name].nunique()),
            }
            for attribute in dataset.schema.attributes
        ]
    }


def test_suggested_recipe_from_titanic_statistics_bins_each_number_by_its_spread(titanic: Dataset) -> None:
    model = train_sgd_model(
        titanic.train,
        titanic.schema,
        "BINARY",
        AUTO_SHUFFLE,
        recipe_text=None,
        statistics=column_statistics(titanic),
    )

    recipe = json.loads(model.recipe_text)
    assert recipe["groups"] == {
        "NUMERIC_VARS_QB_50": "group('fare')",
        "NUMERIC_VARS_QB_20": "group('age')",
        "NUMERIC_VARS_QB_10": "group('sibsp','parch')",
        "NUMERIC_VARS_QB_5": "group('pclass')",
    }
    assert recipe["outputs"][:2] == ["ALL_CATEGORICAL", "ALL_BINARY"]
    assert roc_auc_score(titanic.test[titanic.target], model.predict_scores(titanic.test)) > 0.8


def test_suggested_recipe_for_sentiment_tokenizes_the_text(sentiment: Dataset) -> None:
    model = train_sgd_model(
        sentiment.train,
        sentiment.schema,
        "BINARY",
        {},
        recipe_text=None,
        statistics=column_statistics(sentiment),
    )

    assert json.loads(model.recipe_text)["outputs"] == [
        "ALL_CATEGORICAL",
        "ngram(lowercase(no_punct(ALL_TEXT)),2)",
    ]
    names = model.featurizer.feature_names_
    assert {"source=amazon", "ngram(lowercase(no_punct(text)),2)=great"} <= set(names)
    assert not any(name.endswith(("!", ".", ",")) for name in names)
