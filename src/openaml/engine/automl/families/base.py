"""What a model family is: a matrix encoding, a zero-shot portfolio, a search space and a fit.

A family is stateless; fitting it returns a :class:`FittedLearner`, the picklable object that ends
up inside the saved ensemble. Learners return scores in the task layout: BINARY ``(n,)``
probabilities of class 1, MULTICLASS ``(n, k)`` probabilities over all ``k`` classes (even those a
fold happened to miss), REGRESSION ``(n,)`` values.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import optuna

from openaml.engine.automl.budget import FitLimits
from openaml.engine.automl.features import Encoding, Matrix
from openaml.engine.models import ModelType

Config = dict[str, Any]
FloatArray = npt.NDArray[np.float64]
Labels = npt.NDArray[Any]

_IMBALANCE_RATIO = 0.2
_WIDE_COLUMNS = 100


@dataclass(frozen=True)
class Task:
    """What the families need to know about the problem at hand."""

    model_type: ModelType
    n_classes: int
    n_rows: int
    n_columns: int
    seed: int
    imbalanced: bool = False
    #: Columns of the TREE matrix that hold category codes.
    categorical_columns: tuple[int, ...] = ()
    #: A REGRESSION target with no negative value and some positive ones (counts, prices,
    #: durations): one that count objectives (Poisson, Tweedie) can model.
    nonnegative_target: bool = False

    @classmethod
    def describe(
        cls,
        model_type: ModelType,
        y: Labels,
        n_classes: int,
        n_columns: int,
        seed: int,
        categorical_columns: tuple[int, ...],
    ) -> Task:
        """The task for target ``y`` (class indices of ``n_classes`` classes, or values for REGRESSION)."""
        imbalanced = nonnegative = False
        if model_type is ModelType.REGRESSION:
            nonnegative = bool(len(y)) and float(np.min(y)) >= 0.0 and float(np.max(y)) > 0.0
        else:
            counts = np.bincount(y.astype(np.int64), minlength=n_classes)
            present = counts[counts > 0]
            imbalanced = bool(present.min() < _IMBALANCE_RATIO * present.max())
        return cls(
            model_type, n_classes, len(y), n_columns, seed, imbalanced, categorical_columns, nonnegative
        )

    @property
    def is_classification(self) -> bool:
        return self.model_type is not ModelType.REGRESSION

    @property
    def wide(self) -> bool:
        """Many input columns relative to rows (sensor-style data), where strong regularisation wins."""
        return self.n_columns > _WIDE_COLUMNS


class FittedLearner(Protocol):
    """A fitted member of a family.

    ``refit_config`` holds what a refit on all rows should reuse (boosting rounds, epochs);
    ``complete`` is false when the fit stopped at its deadline before its planned end.
    """

    refit_config: Config
    complete: bool

    def predict(self, features: Matrix) -> FloatArray:
        """Scores in the task layout (see the module docstring)."""
        ...


class Family(abc.ABC):
    """One model family of the portfolio."""

    name: str
    encoding: Encoding
    #: Whether :meth:`out_of_bag` gives honest validation scores from one fit on all rows (for the
    #: configurations :meth:`validates_out_of_bag` says).
    has_out_of_bag: bool = False
    #: What scoring one record in real time costs, relative to a linear model (measured on wide
    #: data: linear ~30 µs, LightGBM ~25 µs, MLP ~60 µs, a 300-tree forest or k-NN ~200-300 µs).
    #: Ensemble selection keeps the sum over an ensemble's members within a limit.
    serving_cost: float = 1.0
    #: The most training records the family is refit on; above it the family is left out of the
    #: search (with a note on the leaderboard), because its refit would not fit the time or memory of
    #: one machine (forests keep every tree node in memory; k-NN keeps every row). None: no limit.
    max_training_rows: int | None = None
    #: The most records the final refit trains on; above it the family is refit on the search sample
    #: only (with a note on the leaderboard): its model matrix of all rows would not fit one machine's
    #: memory (one-hot and text columns). None: refit on all rows.
    max_refit_rows: int | None = None

    def applicable(self, task: Task) -> bool:
        """Whether the family is worth trying on this task at all."""
        return True

    @abc.abstractmethod
    def portfolio(self, task: Task) -> list[Config]:
        """Zero-shot configurations, best first; each one also a point of :meth:`suggest`'s space."""

    @abc.abstractmethod
    def suggest(self, trial: optuna.Trial, task: Task) -> Config:
        """Draw a configuration from the family's search space."""

    @abc.abstractmethod
    def fit(
        self,
        features: Matrix,
        y: Labels,
        config: Config,
        task: Task,
        limits: FitLimits,
        validation: tuple[Matrix, Labels] | None = None,
    ) -> FittedLearner:
        """Fit ``config``; ``validation`` (during the search only) may drive early stopping."""

    def out_of_bag(self, learner: FittedLearner, features: Matrix, y: Labels, task: Task) -> FloatArray:
        """Out-of-bag scores for every training row (only for families with ``has_out_of_bag``)."""
        raise NotImplementedError(f"{self.name} has no out-of-bag estimate")

    def validates_out_of_bag(self, config: Config) -> bool:
        """Whether ``config`` is validated by :meth:`out_of_bag` (one fit on all search rows) rather
        than on the validation plan's folds."""
        return self.has_out_of_bag

    def trial_key(self, config: Config, n_features: int) -> str:
        """What identifies the model ``config`` trains on a matrix of ``n_features`` columns: two
        configurations with the same key train the same model (the search tries only one of them)."""
        return repr(sorted(config.items()))


def refit_share(boosting_from: float, started: float, ended: float, trained: int, kept: int) -> float:
    """The share of a fit's time (``started`` to ``ended``, boosting ``trained`` rounds from
    ``boosting_from``) that constructing the datasets and boosting the ``kept`` rounds took: what a
    refit of as many rows with the kept rounds and no validation set would take, as a share (the
    early-stopped rounds past the best one, and their validation, are not refit)."""
    total = ended - started
    if total <= 0 or trained <= 0:
        return 1.0
    setup = boosting_from - started
    return min(max((setup + (ended - boosting_from) * min(kept, trained) / trained) / total, 0.0), 1.0)


def expand_probabilities(probabilities: FloatArray, learned: npt.NDArray[Any], task: Task) -> FloatArray:
    """Task-layout scores from ``predict_proba`` output over the classes ``learned`` in training."""
    full = np.zeros((probabilities.shape[0], task.n_classes))
    full[:, learned.astype(np.int64)] = probabilities
    if task.model_type is ModelType.BINARY:
        return full[:, 1]
    return full


def balanced_sample_weights(y: Labels, task: Task) -> FloatArray:
    """Weights that give every class the same total weight (for imbalanced classification)."""
    counts = np.bincount(y.astype(np.int64), minlength=task.n_classes).astype(np.float64)
    present = counts > 0
    weights = np.zeros_like(counts)
    weights[present] = len(y) / (present.sum() * counts[present])
    result: FloatArray = weights[y.astype(np.int64)]
    return result


def linear_scores(features: Matrix, coefficients: FloatArray, intercepts: FloatArray) -> FloatArray:
    """``features @ coefficients.T + intercepts`` as a dense (rows × outputs) array.

    ``coefficients`` is (outputs × columns) or, for one output, (columns,), as scikit-learn keeps them.
    """
    weights = np.atleast_2d(coefficients).T
    scores: FloatArray = np.asarray(features @ weights, dtype=np.float64) + intercepts
    return scores


def softmax(scores: FloatArray) -> FloatArray:
    """Row-wise softmax, with the row maximum subtracted first (scikit-learn's formula)."""
    exponentials = np.exp(scores - scores.max(axis=1, keepdims=True))
    probabilities: FloatArray = exponentials / exponentials.sum(axis=1, keepdims=True)
    return probabilities
