"""Explaining a trained model's predictions: every member's attribution, in the space they are averaged in.

The space (see :class:`~.explanation.Space`):

* REGRESSION: the value, exactly (members are averaged as values). A LightGBM member boosted with a
  Poisson or Tweedie objective attributes the log of its value: its contributions are scaled by the
  secant slope ``(v − v₀)/(z − z₀)`` of ``exp`` between its base ``z₀`` and its output ``z``, as
  BINARY ensembles' are by the logistic function's below.
* BINARY, one member (or the SGD model): the log-odds, exactly (TreeSHAP or the linear closed form).
* BINARY ensembles: the probability of class ``"1"``, the space the members are averaged in. Each
  member's log-odds contributions are scaled by the secant slope ``(p − p₀)/(z − z₀)`` of the
  logistic function between its base ``z₀`` and its output ``z``, so they add up to its probability
  ``p`` from the base ``p₀ = σ(z₀)``; the ensemble's base and contributions are the weighted sums.
* MULTICLASS: the probability of the predicted class. A member's class scores become probability
  contributions by the softmax's derivative at the midpoint of base and output, and the remainder of
  the linearisation is shared among the attributes in proportion to their size.

Additivity (base + contributions = output in that space) is exact in every case up to floating point;
the probability-space contributions are an approximation of SHAP values on that scale (SHAP values
are not additive through a non-linear link). A bagged member (:mod:`openaml.engine.automl.bagging`)
predicts the mean of its fold models' scores, so each fold model is explained as a member of weight
``weight / k`` (exact; a single bagged BINARY member is explained in probability space, where it is
averaged). A model with a member that cannot be explained (forests, k-NN, MLP: see :mod:`.members`)
or whose members are combined by a stacking layer (not a weighted average) is not explained:
:attr:`ModelExplainer.unavailable` says why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.special import expit, softmax

from openaml.engine.automl.bagging import BaggedLearner, weighted_parts
from openaml.engine.automl.columns import Columns, FrameColumns, RecordColumns
from openaml.engine.automl.ensemble import EnsembleModel
from openaml.engine.automl.features import Encoding
from openaml.engine.explain.explanation import Explanations, FloatArray, Space
from openaml.engine.explain.members import (
    Fold,
    LinearTerms,
    RawAttribution,
    attribute_member,
    fold_matrix,
    linear_attribution,
    why_unexplained,
)
from openaml.engine.models import ModelType, TrainedModel
from openaml.engine.predictors.scoring import TypedRecord
from openaml.engine.recipes.expressions import AttributeInput, Expression
from openaml.engine.recipes.record_features import RecordFeaturizer
from openaml.engine.sgd.model import SGDModel

_TINY = 1e-12


class ModelExplainer:
    """Explains the predictions of one trained model over its input ``attributes``."""

    def __init__(self, model: TrainedModel, attributes: Sequence[str]) -> None:
        self.model = model
        self.attributes = tuple(attributes)
        self.unavailable = _why_unexplainable(model)
        self._folds: dict[Encoding, Fold] = {}
        self._record_featurizer: RecordFeaturizer | None = None
        #: The linear models' terms, by model (see :class:`~.members.LinearTerms`).
        self._terms: dict[int, LinearTerms] = {}
        single = not isinstance(model, EnsembleModel) or (
            len(model.members) == 1 and not isinstance(model.members[0].learner, BaggedLearner)
        )
        if model.model_type is ModelType.REGRESSION:
            self.space = Space.VALUE
        elif model.model_type is ModelType.BINARY and single:
            self.space = Space.LOGODDS
        else:
            self.space = Space.PROBABILITY

    def explain_frame(self, frame: pd.DataFrame, scores: FloatArray | None = None) -> Explanations:
        """Explanations of every row of a typed frame; ``scores`` (the model's, when already known)
        pick each MULTICLASS row's predicted class."""
        if self.model.model_type is ModelType.MULTICLASS and scores is None:
            scores = self.model.predict_scores(frame)
        if isinstance(self.model, SGDModel):
            return self._explain_sgd(self.model, frame, scores)
        return self._explain_columns(FrameColumns(frame), scores)

    def explain_records(
        self, records: Sequence[TypedRecord], scores: FloatArray | None = None
    ) -> Explanations:
        """:meth:`explain_frame` for typed records (real-time prediction)."""
        if self.model.model_type is ModelType.MULTICLASS and scores is None:
            scorer = getattr(self.model, "predict_records", None)
            scores = scorer(records) if scorer is not None else None
        if isinstance(self.model, SGDModel):
            return self._explain_sgd(self.model, self._record_features(self.model, records), scores)
        return self._explain_columns(RecordColumns(records), scores)

    def _record_features(self, model: SGDModel, records: Sequence[TypedRecord]) -> sp.csr_matrix:
        """The SGD model's features of typed records, computed per record as its real-time scoring does."""
        if self._record_featurizer is None:
            self._record_featurizer = RecordFeaturizer(model.featurizer)
        parts = [self._record_featurizer.features(record) for record in records]
        lengths = [len(indexes) for indexes, _ in parts]
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.intp)
        indexes = np.concatenate([indexes for indexes, _ in parts]) if parts else np.empty(0, np.intp)
        values = np.concatenate([values for _, values in parts]) if parts else np.empty(0)
        width = len(model.featurizer.feature_names_)
        return sp.csr_matrix((values, indexes, indptr), shape=(len(records), width))

    def _explain_columns(self, columns: Columns, scores: FloatArray | None) -> Explanations:
        """The ensemble's explanations (``ValueError`` for a model that :attr:`unavailable` refuses)."""
        if self.unavailable is not None:
            raise ValueError(self.unavailable)
        model = self.model
        assert isinstance(model, EnsembleModel)
        matrices = {
            encoding: model.encoders[encoding].transform_columns(columns)
            for encoding in dict.fromkeys(member.encoding for member in model.members)
        }
        chosen = self._chosen(scores)
        base = np.zeros(columns.n_rows)
        contributions = np.zeros((columns.n_rows, len(self.attributes)))
        for member in model.members:
            encoder = model.encoders[member.encoding]
            for weight, learner in weighted_parts(member.weight, member.learner):
                raw = attribute_member(
                    learner,
                    matrices[member.encoding],
                    self._fold(member.encoding),
                    encoder.column_means,
                    self._terms,
                )
                part_base, part_contributions = self._in_space(raw, chosen, _log_link(learner))
                base += weight * part_base
                contributions += weight * part_contributions
        return Explanations(self.attributes, self.space, base, contributions)

    def _explain_sgd(
        self, model: SGDModel, data: pd.DataFrame | sp.csr_matrix, scores: FloatArray | None
    ) -> Explanations:
        featurizer = model.featurizer
        features = featurizer.transform(data) if isinstance(data, pd.DataFrame) else data
        if Encoding.SCALED not in self._folds:  # the SGD model's one matrix
            sources = [
                _sources(variable.expression)
                for variable, encoder in zip(featurizer.recipe.outputs, featurizer.encoders_, strict=True)
                for _ in range(encoder.width)
            ]
            self._folds[Encoding.SCALED] = fold_matrix(sources, self.attributes)
        fold = self._folds[Encoding.SCALED]
        if not self._terms:
            weights = sp.csr_matrix(model.coefficients).toarray().T
            reference = getattr(featurizer, "feature_means_", None)
            self._terms[id(model)] = LinearTerms.of(weights, model.intercepts, reference, fold)
        raw = linear_attribution(features, self._terms[id(model)], fold)
        chosen = self._chosen(scores)
        base, contributions = self._in_space(raw, chosen)
        return Explanations(self.attributes, self.space, base, contributions)

    def _chosen(self, scores: FloatArray | None) -> npt.NDArray[np.intp] | None:
        """Each row's predicted class (MULTICLASS only)."""
        if self.model.model_type is not ModelType.MULTICLASS:
            return None
        assert scores is not None, "MULTICLASS explanations need the model's scores"
        return np.asarray(np.argmax(scores, axis=1), dtype=np.intp)

    def _fold(self, encoding: Encoding) -> Fold:
        if encoding not in self._folds:
            assert isinstance(self.model, EnsembleModel)
            sources = [[name] for name in self.model.encoders[encoding].column_sources()]
            self._folds[encoding] = fold_matrix(sources, self.attributes)
        return self._folds[encoding]

    def _in_space(
        self, raw: RawAttribution, chosen: npt.NDArray[np.intp] | None, log_link: bool = False
    ) -> tuple[FloatArray, FloatArray]:
        """One model's base and contributions (rows × attributes) in the explainer's space;
        ``log_link``: a REGRESSION model's raw scores are the log of its values."""
        if chosen is not None:
            return _softmax_probability(raw, chosen)
        base, contributions = raw.base[:, 0], raw.contributions[:, 0, :]
        if log_link:
            return _through_link(base, contributions, np.exp, np.exp)
        if self.space is not Space.PROBABILITY:
            return base, contributions
        return _through_link(base, contributions, expit, lambda z: expit(z) * (1.0 - expit(z)))


def _through_link(
    base: FloatArray,
    contributions: FloatArray,
    link: Callable[[FloatArray], FloatArray],
    slope_at: Callable[[FloatArray], FloatArray],
) -> tuple[FloatArray, FloatArray]:
    """Base and contributions in raw space mapped through ``link``: the base becomes ``link(z₀)`` and
    the contributions are scaled by the secant slope of ``link`` from ``z₀`` to the output ``z`` (its
    derivative ``slope_at(z₀)`` where they meet), so they still add up to ``link(z)``."""
    output = base + contributions.sum(axis=1)
    start, end = link(base), link(output)
    change = output - base
    steep = np.abs(change) > _TINY
    slope = np.where(steep, (end - start) / np.where(steep, change, 1.0), slope_at(base))
    return start, contributions * slope[:, None]


def _log_link(learner: object) -> bool:
    """Whether ``learner``'s raw scores are the log of its REGRESSION values."""
    return bool(getattr(learner, "log_link", False))


def _softmax_probability(raw: RawAttribution, chosen: npt.NDArray[np.intp]) -> tuple[FloatArray, FloatArray]:
    """The chosen class's probability: base ``softmax(z₀)``, contributions by the linearised softmax."""
    rows = np.arange(len(chosen))
    start = softmax(raw.base, axis=1)
    end = softmax(raw.raw, axis=1)
    middle = (start + end) / 2.0
    # d p_c / d z_k = p_c (δ_ck − p_k), applied to every attribute's class-score contributions.
    mixed = np.einsum("rk,rka->ra", middle, raw.contributions)
    linear = middle[rows, chosen][:, None] * (raw.contributions[rows, chosen, :] - mixed)
    remainder = (end[rows, chosen] - start[rows, chosen]) - linear.sum(axis=1)
    sizes = np.abs(linear)
    totals = sizes.sum(axis=1, keepdims=True)
    count = max(linear.shape[1], 1)
    shares = np.where(totals > 0, sizes / np.where(totals > 0, totals, 1.0), 1.0 / count)
    return start[rows, chosen], linear + remainder[:, None] * shares


def _sources(expression: Expression) -> list[str]:
    """The input attributes a recipe expression reads, in order."""
    if isinstance(expression, AttributeInput):
        return [expression.name]
    return [name for argument in expression.arguments for name in _sources(argument)]


def _why_unexplainable(model: TrainedModel) -> str | None:
    if isinstance(model, SGDModel):
        return None
    if not isinstance(model, EnsembleModel):
        return f"the model ({model.algorithm}) has no per-prediction explanation"
    if getattr(model, "stacker", None) is not None:  # models saved before stacking have none
        return (
            "the model's members are combined by a stacking layer over their scores, not a weighted "
            "average, so their contributions do not add up to its prediction (a model trained with "
            "openaml.stacking set to false can be explained)"
        )
    for member in model.members:
        for _, learner in weighted_parts(member.weight, member.learner):
            reason = why_unexplained(member.family, learner)
            if reason is not None:
                return f"the model's {member.family} member cannot be explained: {reason}"
    return None
