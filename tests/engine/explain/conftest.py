"""Small ensembles of chosen families for the explanation tests (fitted briefly on synthetic data)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from openaml.engine.automl.bagging import BaggedLearner
from openaml.engine.automl.budget import Budget
from openaml.engine.automl.ensemble import EnsembleMember, EnsembleModel
from openaml.engine.automl.families import FAMILIES, Task
from openaml.engine.automl.features import Encoding, FeatureEncoder
from openaml.engine.data.schema import AttributeType, DataSchema
from openaml.engine.models import ModelType

QUICK = {"lightgbm": {"rounds": 30}, "catboost": {"rounds": 30}, "mlp": {"epochs": 3}}
TARGET_TYPES = {
    ModelType.BINARY: AttributeType.BINARY,
    ModelType.MULTICLASS: AttributeType.CATEGORICAL,
    ModelType.REGRESSION: AttributeType.NUMERIC,
}
INPUTS = ("x", "noise", "colour", "flag", "note")


def labels(frame: pd.DataFrame, model_type: ModelType) -> tuple[np.ndarray, tuple[str, ...] | None]:
    if model_type is ModelType.REGRESSION:
        return frame["y"].to_numpy(np.float64), None
    if model_type is ModelType.BINARY:
        return frame["y"].to_numpy(np.float64).astype(np.int64), ("0", "1")
    classes = tuple(sorted(frame["y"].unique()))
    return frame["y"].map({c: i for i, c in enumerate(classes)}).to_numpy(np.int64), classes


def ensemble_of(
    frame: pd.DataFrame,
    schema: DataSchema,
    model_type: ModelType,
    families: Sequence[str],
    settings: dict[str, dict[str, object]] | None = None,
) -> EnsembleModel:
    """The ``families`` fitted briefly on ``frame``, averaged with unequal weights; ``settings``
    override a family's first portfolio configuration."""
    y, classes = labels(frame, model_type)
    encoders = {e: FeatureEncoder(schema.input_attributes, e).fit(frame) for e in Encoding}
    matrices = {e: encoder.transform(frame) for e, encoder in encoders.items()}
    task = Task.describe(
        model_type,
        y,
        0 if classes is None else len(classes),
        len(schema.input_attributes),
        0,
        tuple(encoders[Encoding.TREE].categorical_indices),
    )
    budget = Budget(60.0)
    weights = np.arange(1, len(families) + 1, dtype=np.float64)
    weights /= weights.sum()
    members = []
    for number, name in enumerate(families):
        family = FAMILIES[name]
        config = family.portfolio(task)[0] | QUICK.get(name, {}) | (settings or {}).get(name, {})
        learner = family.fit(matrices[family.encoding], y, config, task, budget.limits(budget.now() + 30))
        members.append(EnsembleMember(name, float(weights[number]), learner, family.encoding, number))
    return EnsembleModel(model_type, classes, encoders, members)


def with_bagged_member(
    model: EnsembleModel, frame: pd.DataFrame, position: int = 0, folds: int = 3
) -> EnsembleModel:
    """``model`` with member ``position`` replaced by a bagged one: its family fitted on ``folds``
    k-fold training parts of ``frame`` (the rows the model was fitted on), as k-fold bagging keeps them."""
    y, classes = labels(frame, model.model_type)
    member = model.members[position]
    family = FAMILIES[member.family]
    matrix = model.encoders[member.encoding].transform(frame)
    tree = model.encoders.get(Encoding.TREE)
    task = Task.describe(
        model.model_type,
        y,
        0 if classes is None else len(classes),
        len(frame.columns) - 1,
        0,
        tuple(tree.categorical_indices) if tree is not None else (),
    )
    config = family.portfolio(task)[0] | QUICK.get(member.family, {})
    budget = Budget(60.0)
    rows = np.arange(len(frame))
    learners = [
        family.fit(
            matrix[rows % folds != fold],
            y[rows % folds != fold],
            config,
            task,
            budget.limits(budget.now() + 30),
        )
        for fold in range(folds)
    ]
    members = list(model.members)
    members[position] = dataclasses.replace(member, learner=BaggedLearner(learners, {}))
    return EnsembleModel(model.model_type, classes, model.encoders, members)
