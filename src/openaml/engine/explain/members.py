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
* Forests, k-NN and MLP members have no exact per-prediction explanation here: :func:`why_unexplained`
  says why.

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
        """Sparse per-column values summed into attributes: ``values`` (outputs × entries) at ``rows``
        and ``columns`` of an (n × columns) matrix become (n × outputs × attributes)."""
        outputs = values.shape[0]
        if self.owner is None:
            return np.stack(
                [
                    sp.csr_matrix(
                        sp.csr_matrix((values[output], (rows, columns)), shape=(n, self.matrix.shape[0]))
                        @ self.matrix
                    ).toarray()
                    for output in range(outputs)
                ],
                axis=1,
            )
        owners = self.owner[columns]
        kept = owners >= 0
        cells = (rows[kept] * outputs)[None, :] + np.arange(outputs)[:, None]  # (outputs × entries)
        flat = np.bincount(
            (cells * self.attributes + owners[kept][None, :]).ravel(),
            weights=values[:, kept].ravel(),
            minlength=n * outputs * self.attributes,
        )
        return np.asarray(flat, dtype=np.float64).reshape(n, outputs, self.attributes)


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


@dataclass(frozen=True)
class LinearTerms:
    """What a linear model's attribution needs besides the features, computed once per model:
    ``weights`` (outputs × columns), ``base`` (outputs,) = ``intercept + w·reference`` and ``offset``
    (outputs × attributes) = ``w·reference`` folded into attributes."""

    weights: FloatArray
    base: FloatArray
    offset: FloatArray

    @classmethod
    def of(
        cls, weights: FloatArray, intercepts: FloatArray, reference: FloatArray | None, fold: Fold
    ) -> LinearTerms:
        """The terms of a model with ``weights`` (outputs × columns, or one output's (columns,)) and
        ``intercepts``; ``reference`` ``None`` means zeros."""
        weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
        reference = np.zeros(weights.shape[1]) if reference is None else reference
        weighted_reference = weights * reference
        base = np.asarray(intercepts, dtype=np.float64).ravel()[: weights.shape[0]] + weighted_reference.sum(
            axis=1
        )
        return cls(weights, base, fold.dense(weighted_reference))


def linear_attribution(features: Matrix, terms: LinearTerms, fold: Fold) -> RawAttribution:
    """``w·(x − reference)`` per attribute, and the base ``intercept + w·reference``, for every row."""
    weights = terms.weights
    outputs, width = weights.shape
    rows = features.shape[0]
    if sp.issparse(features):
        matrix = sp.csr_matrix(features, dtype=np.float64)
        row_of = np.repeat(np.arange(rows, dtype=np.intp), np.diff(matrix.indptr))
        columns = matrix.indices.astype(np.intp)
        products = matrix.data[None, :] * weights[:, columns]  # (outputs × non-zeros)
        contributions = fold.entries(row_of, columns, products, rows)
    else:
        products = np.asarray(features, dtype=np.float64)[:, None, :] * weights[None, :, :]
        contributions = fold.dense(products.reshape(rows * outputs, width)).reshape(
            rows, outputs, fold.attributes
        )
    return RawAttribution(np.tile(terms.base, (rows, 1)), contributions - terms.offset[None, :, :])


def why_unexplained(family: str, learner: object) -> str | None:
    """Why one AutoML member's predictions cannot be explained (``None`` when they can)."""
    if isinstance(learner, LightGBMLearner | CatBoostLearner | RidgeLearner):
        return None
    if isinstance(learner, LogisticLearner):
        if np.asarray(learner.model.classes_).size != max(learner.task.n_classes, 2):
            return "a linear member never saw every class in training"
        return None
    return UNEXPLAINED_FAMILIES.get(family, f"a {family} member has no per-prediction explanation here")


def attribute_member(
    learner: object,
    features: Matrix,
    fold: Fold,
    reference: FloatArray | None,
    terms: dict[int, LinearTerms],
) -> RawAttribution:
    """The raw attribution of one AutoML member that :func:`why_unexplained` accepts; ``terms``
    caches linear models' :class:`LinearTerms` by learner."""
    if isinstance(learner, LightGBMLearner | CatBoostLearner):
        return tree_attribution(learner.contributions(features), fold)
    assert isinstance(learner, LogisticLearner | RidgeLearner), "an explained member"
    key = id(learner)
    if key not in terms:
        terms[key] = LinearTerms.of(learner.model.coef_, learner.model.intercept_, reference, fold)
    return linear_attribution(features, terms[key], fold)
