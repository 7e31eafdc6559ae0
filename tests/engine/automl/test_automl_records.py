"""Scoring typed records (real-time prediction) gives what scoring typed frames gives.

Encoders turn records into the same matrices as frames; every family's learner scores one row as it
scores many (and as scikit-learn's own predict does); an ensemble of all families scores each record
as ``predict_scores`` scores the frame.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from openaml.engine.automl.budget import Budget
from openaml.engine.automl.ensemble import EnsembleMember, EnsembleModel
from openaml.engine.automl.families import FAMILIES, Task
from openaml.engine.automl.families.forest import _FLAT_MAX_ROW_TREES, ForestLearner
from openaml.engine.automl.families.linear import LogisticLearner, RidgeLearner
from openaml.engine.automl.families.mlp import NeuralNetworkLearner
from openaml.engine.automl.features import Encoding, FeatureEncoder, Matrix
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.models import ModelType
from openaml.engine.predictors.scoring import RecordScorer

from .conftest import TypedData

#: What keeps each family's fit short in these tests.
QUICK = {"lightgbm": {"rounds": 30}, "catboost": {"rounds": 30}, "mlp": {"epochs": 3}}
FOREST_SECONDS = 0.3


def dense(matrix: Matrix) -> np.ndarray:
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)


def records_of(frame: pd.DataFrame, target: str | None) -> list[dict[str, object]]:
    return frame.drop(columns=[target] if target else []).to_dict("records")


def odd_data() -> TypedData:
    """Dates, a high-cardinality category, a blank text column and missing values."""
    rng = np.random.default_rng(1)
    rows = 200
    frame = pd.DataFrame(
        {
            "day": pd.Series(
                [None if i % 13 == 0 else f"2012-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(rows)],
                dtype=object,
            ),
            "user": pd.Series([f"user{rng.integers(0, 60)}" for _ in range(rows)], dtype=object),
            "empty": pd.Series([None] * rows, dtype=object),
            "amount": np.where(rng.random(rows) < 0.2, np.nan, rng.normal(size=rows)),
        }
    )
    schema = DataSchema(
        attributes=(
            Attribute("day", AttributeType.CATEGORICAL),
            Attribute("user", AttributeType.CATEGORICAL),
            Attribute("empty", AttributeType.TEXT),
            Attribute("amount", AttributeType.NUMERIC),
        )
    )
    return frame, schema


@pytest.mark.parametrize("encoding", list(Encoding))
def test_encoders_give_records_the_rows_of_the_frame(
    encoding: Encoding, synthetic: Callable[..., TypedData]
) -> None:
    for frame, schema in (synthetic(), odd_data()):
        encoder = FeatureEncoder(schema.input_attributes, encoding).fit(frame.iloc[:150])
        later = frame.iloc[150:]
        odd = [{"colour": "never seen", "user": "nobody", "day": "not a date", "note": "new words"}, {}]

        from_records = encoder.transform_records(records_of(later, schema.target_attribute_name) + odd)
        from_frame = encoder.transform(pd.concat([later, pd.DataFrame(odd)], ignore_index=True))

        assert sp.issparse(from_records) == sp.issparse(from_frame)
        np.testing.assert_array_equal(dense(from_records), dense(from_frame))


def labels(
    frame: pd.DataFrame, target: str, model_type: ModelType
) -> tuple[np.ndarray, tuple[str, ...] | None]:
    if model_type is ModelType.REGRESSION:
        return frame[target].to_numpy(np.float64), None
    if model_type is ModelType.BINARY:
        return frame[target].to_numpy(np.float64).astype(np.int64), ("0", "1")
    classes = tuple(sorted(frame[target].unique()))
    return frame[target].map({label: index for index, label in enumerate(classes)}).to_numpy(
        np.int64
    ), classes


def ensemble_of_every_family(frame: pd.DataFrame, schema: DataSchema, model_type: ModelType) -> EnsembleModel:
    """Every family fitted (briefly) on ``frame``, averaged with equal weights."""
    assert schema.target_attribute_name is not None
    y, classes = labels(frame, schema.target_attribute_name, model_type)
    encoders = {
        encoding: FeatureEncoder(schema.input_attributes, encoding).fit(frame) for encoding in Encoding
    }
    matrices = {encoding: encoder.transform(frame) for encoding, encoder in encoders.items()}
    task = Task.describe(
        model_type,
        y,
        0 if classes is None else len(classes),
        len(schema.input_attributes),
        0,
        tuple(encoders[Encoding.TREE].categorical_indices),
    )
    budget = Budget(120.0)
    members = []
    for number, (name, family) in enumerate(FAMILIES.items()):
        config = family.portfolio(task)[0] | QUICK.get(name, {})
        limits = budget.limits(budget.now() + (FOREST_SECONDS if "forest" in name or "trees" in name else 60))
        learner = family.fit(matrices[family.encoding], y, config, task, limits)
        members.append(EnsembleMember(name, 1 / len(FAMILIES), learner, family.encoding, number))
    return EnsembleModel(model_type, classes, encoders, members)


CASES = [
    ("titanic.csv", "survived", ModelType.BINARY, None),
    ("penguins.csv", "species", ModelType.MULTICLASS, None),
    ("wine_quality.csv", "quality", ModelType.REGRESSION, 600),
]


@pytest.mark.parametrize(("file_name", "target", "model_type", "rows"), CASES, ids=[c[0] for c in CASES])
def test_an_ensemble_of_every_family_scores_records_like_frames(
    file_name: str,
    target: str,
    model_type: ModelType,
    rows: int | None,
    load_dataset: Callable[..., TypedData],
) -> None:
    types = {target: AttributeType.CATEGORICAL} if model_type is ModelType.MULTICLASS else {}
    frame, schema = load_dataset(file_name, target, types=types, rows=rows)
    train, test = frame.iloc[: len(frame) * 3 // 4], frame.iloc[len(frame) * 3 // 4 :]
    model = ensemble_of_every_family(train, schema, model_type)
    records = records_of(test, target)

    one_by_one = np.array([model.predict_records([record])[0] for record in records])

    assert isinstance(model, RecordScorer)
    frames_one_by_one = np.array([model.predict_scores(test.iloc[[row]])[0] for row in range(len(test))])
    np.testing.assert_allclose(one_by_one, frames_one_by_one, rtol=1e-10, atol=1e-12)
    # Many records at once: the same but for k-NN, whose distances (and so near ties) depend on the batch.
    np.testing.assert_allclose(
        model.predict_records(records), model.predict_scores(test), rtol=1e-10, atol=1e-12
    )


def test_an_ensemble_with_text_scores_records_like_frames(synthetic: Callable[..., TypedData]) -> None:
    frame, schema = synthetic()
    model = ensemble_of_every_family(frame.iloc[:300], schema, ModelType.BINARY)
    test = frame.iloc[300:]

    one_by_one = np.array([model.predict_records([record])[0] for record in records_of(test, "y")])

    frames_one_by_one = np.array([model.predict_scores(test.iloc[[row]])[0] for row in range(len(test))])
    np.testing.assert_allclose(one_by_one, frames_one_by_one, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("model_type", list(ModelType))
def test_learners_score_as_scikit_learn_does(
    model_type: ModelType, synthetic: Callable[..., TypedData]
) -> None:
    target_type = {
        ModelType.BINARY: AttributeType.BINARY,
        ModelType.MULTICLASS: AttributeType.CATEGORICAL,
        ModelType.REGRESSION: AttributeType.NUMERIC,
    }[model_type]
    frame, schema = synthetic(target_type=target_type)
    model = ensemble_of_every_family(frame, schema, model_type)
    for member in model.members:
        features = model.encoders[member.encoding].transform(frame)
        learner = member.learner
        expected: np.ndarray | None = None
        if (
            isinstance(learner, LogisticLearner | NeuralNetworkLearner)
            and model_type is not ModelType.REGRESSION
        ):
            probabilities = learner.model.predict_proba(features)
            expected = probabilities[:, 1] if model_type is ModelType.BINARY else probabilities
        elif isinstance(learner, NeuralNetworkLearner):
            expected = learner.model.predict(features) * learner.target_scale + learner.target_mean
        elif isinstance(learner, RidgeLearner):
            expected = learner.model.predict(features)
        elif isinstance(learner, ForestLearner):
            # Enough rows that the forest scores them tree by tree, with each tree's own predict.
            copies = _FLAT_MAX_ROW_TREES // (len(learner.model.estimators_) * len(frame)) + 1
            many = sp.vstack([features] * copies) if sp.issparse(features) else np.vstack([features] * copies)
            expected = learner.predict(many)[: len(frame)]
        if expected is not None:
            np.testing.assert_allclose(learner.predict(features), expected, rtol=1e-10, atol=1e-12)
        one_by_one = np.array([learner.predict(features[row : row + 1])[0] for row in range(20)])
        np.testing.assert_allclose(one_by_one, learner.predict(features)[:20], rtol=1e-10, atol=1e-12)
