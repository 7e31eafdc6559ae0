"""One stacking layer: a regularised linear model over the ensemble members' validation scores.

Greedy selection (:mod:`.ensemble`) averages its members with fixed weights. A stacker learns
instead how to combine them from their out-of-fold (or holdout) scores: logistic regression on
the members' log-odds (BINARY) or log-probabilities (MULTICLASS), ridge regression on their
values (REGRESSION), all with the default L2 strength, which keeps it close to an average.

Honesty: the stacker is scored by k-fold cross-validation *over the validation rows* (each row's
stacked score comes from a stacker that did not see it) and kept only when that score beats the
greedy blend's on the same rows, where the blend's weights were chosen in-sample, by a clear margin
(:data:`STACKING_MARGIN`); otherwise the ensemble stays a weighted average. The margin is there
because a stacked ensemble gives up something: its members' weights no longer add up, so it cannot
be explained or exported member by member (docs/models.md) — worth it only for a real gain, not
for a difference within the validation noise. Each of those fits is checked against a deadline, so
stacking never spends the time the refit needs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold

from openaml.engine.automl.families.base import FloatArray, Labels, linear_scores, softmax
from openaml.engine.metrics import Metric
from openaml.engine.models import ModelType

STACKING_FOLDS = 5
#: The stacker must bring the blend's validation score this share closer to a perfect one (2%: e.g.
#: an RMSE of 9.8 instead of 10, an AUC of 0.9020 instead of 0.9000, a macro-F1 of 0.9804 instead
#: of 0.9800; see :meth:`~openaml.engine.metrics.Metric.shifted`) to replace the weighted average.
STACKING_MARGIN = 0.02
#: Fewer validation rows than this are too few to learn a combination from.
MIN_STACKING_ROWS = 100
_PROBABILITY_FLOOR = 1e-6
_MAX_ITERATIONS = 500


class Stacker:
    """A fitted combiner of member scores (in the members' order) into the ensemble's scores."""

    def __init__(self, model_type: ModelType, n_classes: int, model: LogisticRegression | Ridge) -> None:
        self.model_type = model_type
        self.n_classes = n_classes
        self.model = model

    @property
    def description(self) -> str:
        kind = "ridge regression" if self.model_type is ModelType.REGRESSION else "logistic regression"
        return f"stacked by {kind} over the members' scores"

    def predict(self, member_scores: Sequence[FloatArray]) -> FloatArray:
        """The ensemble's scores in the task layout from each member's scores."""
        features = stacking_features(member_scores, self.model_type)
        if not isinstance(self.model, LogisticRegression | Ridge):  # any other combiner: its own methods
            if self.model_type is ModelType.REGRESSION:
                return np.asarray(self.model.predict(features), dtype=np.float64)
            probabilities = np.asarray(self.model.predict_proba(features), dtype=np.float64)
        else:
            # scikit-learn's own formulas in plain numpy: its predict/predict_proba validate their
            # input first, which costs more than the rest of one record's prediction (~60-100 µs).
            scores = linear_scores(features, self.model.coef_, self.model.intercept_)
            if self.model_type is ModelType.REGRESSION:
                return np.asarray(scores[:, 0], dtype=np.float64)
            if scores.shape[1] == 1:  # two classes: the scores are for the second one
                second = expit(scores[:, 0])
                probabilities = np.column_stack([1.0 - second, second])
            else:
                probabilities = softmax(scores)
        full = np.zeros((len(features), max(self.n_classes, 2)))
        full[:, np.asarray(self.model.classes_, dtype=np.int64)] = probabilities
        if self.model_type is ModelType.BINARY:
            binary: FloatArray = full[:, 1]
            return binary
        return full


def stacking_features(member_scores: Sequence[FloatArray], model_type: ModelType) -> FloatArray:
    """The stacker's inputs: log-odds, log-probabilities or values, one block per member."""
    blocks = []
    for scores in member_scores:
        values = np.asarray(scores, dtype=np.float64)
        if model_type is ModelType.BINARY:
            p = np.clip(values, _PROBABILITY_FLOOR, 1 - _PROBABILITY_FLOOR)
            blocks.append(np.log(p / (1 - p))[:, None])
        elif model_type is ModelType.MULTICLASS:
            blocks.append(np.log(np.clip(values, _PROBABILITY_FLOOR, 1.0)))
        else:
            blocks.append(values[:, None])
    return np.hstack(blocks)


def fit_stacker(
    member_scores: Sequence[FloatArray],
    y: Labels,
    metric: Metric,
    model_type: ModelType,
    n_classes: int,
    blend_loss: float,
    seed: int,
    out_of_time: Callable[[], bool],
) -> tuple[Stacker, float] | None:
    """A stacker and its cross-validated loss when it beats ``blend_loss`` by :data:`STACKING_MARGIN`;
    ``None`` when it does not, when there are too few members or rows, or when ``out_of_time()`` turns
    true between fits."""
    if len(member_scores) < 2 or len(y) < MIN_STACKING_ROWS:
        return None
    features = stacking_features(member_scores, model_type)
    splits = _splits(y, model_type, seed)
    if splits is None:
        return None
    stacked: FloatArray | None = None
    for train, valid in splits:
        if out_of_time():
            return None
        stacker = _fit(features[train], y[train], model_type, n_classes)
        scores = stacker.predict([member[valid] for member in member_scores])
        if stacked is None:
            stacked = np.zeros((len(y), *scores.shape[1:]))
        stacked[valid] = scores
    assert stacked is not None
    loss = metric.loss(y, stacked)
    if not np.isfinite(loss) or loss > metric.shifted(blend_loss, -STACKING_MARGIN) or out_of_time():
        return None
    return _fit(features, y, model_type, n_classes), loss


def _splits(y: Labels, model_type: ModelType, seed: int) -> list[tuple[np.ndarray, np.ndarray]] | None:
    rows = np.arange(len(y))
    if model_type is ModelType.REGRESSION:
        return list(KFold(STACKING_FOLDS, shuffle=True, random_state=seed).split(rows))
    counts = np.bincount(np.asarray(y, dtype=np.int64))
    smallest = int(counts[counts > 0].min())
    if smallest < 2:
        return None
    splitter = StratifiedKFold(min(STACKING_FOLDS, smallest), shuffle=True, random_state=seed)
    return list(splitter.split(rows, y))


def _fit(features: FloatArray, y: Labels, model_type: ModelType, n_classes: int) -> Stacker:
    model: LogisticRegression | Ridge
    if model_type is ModelType.REGRESSION:
        model = Ridge(alpha=1.0).fit(features, y)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LogisticRegression(C=1.0, max_iter=_MAX_ITERATIONS).fit(features, y)
    return Stacker(model_type, n_classes, model)
