"""Each model's contributions in its own raw space, folded back into the input attributes.

A :class:`RawAttribution` is what one model (an ensemble member, or the SGD model) says about a few
rows before any change of scale: per row and output, a base and one contribution per input attribute
that add up to the raw output — the log-odds (BINARY), the class scores before the softmax
(MULTICLASS) or the value (REGRESSION).

* Boosted trees: exact TreeSHAP, LightGBM's ``pred_contrib`` and CatBoost's ``ShapValues``.
* Linear models (logistic, ridge, Amazon ML's SGD model): the closed form ``w·(x − mean)``, the base
  being ``intercept + w·mean``, where ``mean`` is each column's mean over the training data (exact
  SHAP values of a linear model with independent features). Models trained before the means were
  kept use 0 as the reference, which is still exactly additive.
* Forests, k-NN and MLP members have no exact per-prediction explanation here: :func:`attribute_member`
  answers why instead.

Matrix columns become attributes through a *fold*: a sparse (columns × attributes) matrix whose row
for a column holds the share of the column's contribution each source attribute gets (1 for one-hot,
date part, n-gram, count and missing-indicator columns; split equally among the attributes of a recipe
``cartesian``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from openaml.engine.automl.families.catboost import CatBoostLearner
from openaml.engine.automl.families.lightgbm import LightGBMLearner
from openaml.engine.automl.families.linear import LogisticLearner, RidgeLearner
from openaml.engine.automl.features import Matrix
from openaml.engine.explain.explanation import FloatArray

#: The families whose members are explained per prediction.
EXPLAINED_FAMILIES = frozenset({"lightgbm", "catboost", "linear"})
#: Why a family's members are not explained per prediction.
UNEXPLAINED_FAMILIES = {
    "random_forest": "a random forest has no exact per-prediction explanation here",
    "extra_trees": "an extra-trees forest has no exact per-prediction explanation here",
    "knn": "a k-nearest-neighbours model has no additive explanation",
    "mlp": "a neural network has no exact per-prediction explanation here",
}


@dataclass(frozen=True)
class RawAttribution:
    """``base`` (rows × outputs) and ``contributions`` (rows × outputs × attributes) in raw space."""

    base: FloatArray
    contributions: FloatArray

    @property
    def raw(self) -> FloatArray:
        """The raw outputs (rows × outputs) the attribution adds up to."""
        raw: FloatArray = self.base + self.contributions.sum(axis=2)
        return raw


@dataclass(frozen=True)
class Fold:
    """How matrix columns become attributes: ``matrix`` (columns × attributes) holds each column's
    shares; ``owner`` is each column's one attribute when no column is shared (``-1``: none)."""

    matrix: sp.csr_matrix
    owner: npt.NDArray[np.intp] | None

    @property
    def attributes(self) -> int:
        return int(self.matrix.shape[1])

    def dense(self, values: FloatArray) -> FloatArray:
        """Per-column values (rows × columns) summed into attributes (rows × attributes)."""
        folded: FloatArray = np.asarray(self.matrix.T @ values.T, dtype=np.float64).T
        return folded

    def entries(
        self, rows: npt.NDArray[np.intp], columns: npt.NDArray[np.intp], values: FloatArray, n: int
    ) -> FloatArray:
        """Sparse per-column values (``values`` at ``rows``, ``columns``) summed into (n × attributes)."""
        if self.owner is None:
            matrix = sp.csr_matrix((values, (rows, columns)), shape=(n, self.matrix.shape[0]))
            return np.asarray(sp.csr_matrix(matrix @ self.matrix).toarray(), dtype=np.float64)
        owners = self.owner[columns]
        kept = owners >= 0
        flat = np.bincount(
            rows[kept] * self.attributes + owners[kept], weights=values[kept], minlength=n * self.attributes
        )
        return np.asarray(flat, dtype=np.float64).reshape(n, self.attributes)


def fold_matrix(sources: Sequence[Sequence[str]], attributes: Sequence[str]) -> Fold:
    """The fold of columns whose source attributes are ``sources``."""
    position = {name: index for index, name in enumerate(attributes)}
    rows: list[int] = []
    columns: list[int] = []
    shares: list[float] = []
    owner = np.full(len(sources), -1, dtype=np.intp)
    shared = False
    for column, names in enumerate(sources):
        known = [position[name] for name in dict.fromkeys(names) if name in position]
        shared = shared or len(known) > 1
        if known:
            owner[column] = known[0]
        for index in known:
            rows.append(column)
            columns.append(index)
            shares.append(1.0 / len(known))
    matrix = sp.csr_matrix((shares, (rows, columns)), shape=(len(sources), len(attributes)))
    return Fold(matrix, None if shared else owner)


def tree_attribution(values: FloatArray, fold: Fold) -> RawAttribution:
    """Fold SHAP values (rows × outputs × (columns + 1), the last entry the base) into attributes."""
    rows, outputs, width = values.shape
    per_column = values[:, :, : width - 1].reshape(rows * outputs, width - 1)
    folded = fold.dense(per_column).reshape(rows, outputs, fold.attributes)
    return RawAttribution(np.ascontiguousarray(values[:, :, width - 1]), folded)


def linear_attribution(
    features: Matrix,
    weights: FloatArray,
    intercepts: FloatArray,
    reference: FloatArray | None,
    fold: Fold,
) -> RawAttribution:
    """``w·(x − reference)`` per attribute and ``intercept + w·reference`` for a linear model with
    ``weights`` (outputs × columns); ``reference`` ``None`` means zeros."""
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    outputs, width = weights.shape
    rows = features.shape[0]
    reference = np.zeros(width) if reference is None else reference
    weighted_reference = weights * reference  # (outputs × columns)
    base = np.asarray(intercepts, dtype=np.float64).ravel()[:outputs] + weighted_reference.sum(axis=1)
    offset = fold.dense(weighted_reference)  # (outputs × attributes)
    if sp.issparse(features):
        matrix = sp.csr_matrix(features, dtype=np.float64)
        row_of = np.repeat(np.arange(rows, dtype=np.intp), np.diff(matrix.indptr))
        columns = matrix.indices.astype(np.intp)
        contributions = np.stack(
            [
                fold.entries(row_of, columns, matrix.data * weights[output, columns], rows)
                for output in range(outputs)
            ],
            axis=1,
        )
    else:
        products = np.asarray(features, dtype=np.float64)[:, None, :] * weights[None, :, :]
        contributions = fold.dense(products.reshape(rows * outputs, width)).reshape(
            rows, outputs, fold.attributes
        )
    return RawAttribution(np.tile(base, (rows, 1)), contributions - offset[None, :, :])


def attribute_member(
    family: str, learner: object, features: Matrix, fold: Fold, reference: FloatArray | None
) -> RawAttribution | str:
    """The raw attribution of one AutoML member, or why it has none."""
    if isinstance(learner, LightGBMLearner | CatBoostLearner):
        return tree_attribution(learner.contributions(features), fold)
    if isinstance(learner, LogisticLearner):
        learned = np.asarray(learner.model.classes_)
        if learned.size != max(learner.task.n_classes, 2):
            return "a linear member never saw every class in training"
        return linear_attribution(features, learner.model.coef_, learner.model.intercept_, reference, fold)
    if isinstance(learner, RidgeLearner):
        return linear_attribution(features, learner.model.coef_, learner.model.intercept_, reference, fold)
    return UNEXPLAINED_FAMILIES.get(family, f"a {family} member has no per-prediction explanation here")
