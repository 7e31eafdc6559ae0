"""Mini-batch stochastic gradient descent for the three linear models of Amazon ML.

* BINARY — logistic regression: one weight vector, the sigmoid of the score is P(class 1).
* MULTICLASS — multinomial logistic regression: one weight vector per class, softmax of the scores.
* REGRESSION — linear regression on squared loss.

The learning rate is chosen automatically, as the service did: AdaGrad scales each weight's step by
its own gradient history, which suits sparse one-hot and token features whose frequencies differ by
orders of magnitude. The objective is the mean loss plus ``l2/2·‖W‖²`` (as a gradient term) or
``l1·‖W‖₁`` (as a proximal step after each update); intercepts are not regularized. A mini-batch
only touches the weights of the features present in it, so that a step costs time in proportion to
the batch's values rather than to the vocabulary (see :class:`_SparseAdaGrad`).

Rows are visited in the order given (the caller shuffles, or not) in mini-batches, the same order on
every pass. Training stops after ``max_passes`` passes, or earlier when a pass improved the mean
training loss by less than :data:`CONVERGENCE_TOLERANCE` (relative) :data:`CONVERGENCE_PATIENCE`
times in a row. When ``should_stop`` returns True, :class:`TrainingCancelled` is raised.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from openaml.engine.models import TrainingCancelled

LEARNING_RATE = 0.1
CONVERGENCE_TOLERANCE = 1e-3
CONVERGENCE_PATIENCE = 2
#: Mini-batches hold at least this many rows; larger data get larger batches (about 2,000 per pass).
MIN_BATCH_SIZE = 16
BATCHES_PER_PASS = 2_000
#: How often (in batches) ``should_stop`` is asked during a pass, besides before every pass.
STOP_CHECK_INTERVAL = 200
_EPSILON = 1e-8


class Loss(enum.Enum):
    """The loss that defines the model family."""

    LOGISTIC = "logistic"
    SOFTMAX = "softmax"
    SQUARED = "squared"


@dataclass(frozen=True)
class LinearFit:
    """The weights found and how training went."""

    weights: np.ndarray  # (n_features, n_outputs)
    intercepts: np.ndarray  # (n_outputs,)
    pass_losses: tuple[float, ...]
    converged: bool


@dataclass(frozen=True)
class SGDSettings:
    """How to run the optimizer."""

    max_passes: int
    l1: float
    l2: float
    should_stop: Callable[[], bool] | None = None
    on_pass: Callable[[int, float], None] | None = None


def fit_linear_sgd(
    features: scipy.sparse.csr_matrix, targets: np.ndarray, loss: Loss, settings: SGDSettings
) -> LinearFit:
    """Fit a linear model on ``features`` (rows in visiting order).

    ``targets``: 0/1 floats for LOGISTIC, class indexes for SOFTMAX, (preferably standardized) floats for
    SQUARED.
    """
    n_rows, n_features = features.shape
    n_outputs = int(targets.max()) + 1 if loss is Loss.SOFTMAX else 1
    optimizer = _SparseAdaGrad(n_features, n_outputs, l1=settings.l1, l2=settings.l2)
    batch_size = max(MIN_BATCH_SIZE, math.ceil(n_rows / BATCHES_PER_PASS))
    # Every pass visits the same batches, so each is restricted to its active columns once.
    batches = [
        (*_active_columns(features[start : start + batch_size]), targets[start : start + batch_size])
        for start in range(0, n_rows, batch_size)
    ]
    pass_losses: list[float] = []
    stalled_passes = 0

    def check_stop() -> None:
        if settings.should_stop is not None and settings.should_stop():
            raise TrainingCancelled("SGD training was cancelled")

    for pass_number in range(1, settings.max_passes + 1):
        check_stop()
        total_loss = 0.0
        for batch_number, (active, batch, batch_targets) in enumerate(batches):
            if batch_number and batch_number % STOP_CHECK_INTERVAL == 0:
                check_stop()
            total_loss += optimizer.update(active, batch, batch_targets, loss)
        pass_loss = total_loss / max(n_rows, 1)
        if settings.on_pass is not None:
            settings.on_pass(pass_number, pass_loss)
        best_loss = min(pass_losses, default=math.inf)
        stalled_passes = (
            stalled_passes + 1 if best_loss - pass_loss < CONVERGENCE_TOLERANCE * best_loss else 0
        )
        pass_losses.append(pass_loss)
        if stalled_passes >= CONVERGENCE_PATIENCE:
            break
    weights, intercepts = optimizer.result()
    return LinearFit(
        weights, intercepts, tuple(pass_losses), converged=stalled_passes >= CONVERGENCE_PATIENCE
    )


class _SparseAdaGrad:
    """AdaGrad over mini-batches that touch few of the features.

    A batch updates only the weights of the features present in it. The regularization steps a weight
    missed while its feature was absent are applied in closed form the next time it is present (and
    at the end): its AdaGrad step size does not change while it is absent, so ``k`` missed L1 steps
    shrink it by ``k`` times the step, and ``k`` missed L2 steps scale it by the step's factor to the
    power ``k`` (the small growth of the gradient history that L2 alone would cause is neglected).
    """

    def __init__(self, n_features: int, n_outputs: int, *, l1: float, l2: float) -> None:
        self._l1 = l1
        self._l2 = l2
        self._weights = np.zeros((n_features, n_outputs))
        self._history = np.zeros_like(self._weights)
        self._intercepts = np.zeros(n_outputs)
        self._intercept_history = np.zeros(n_outputs)
        # The batch after which each weight was last regularized, and the number of batches so far.
        self._regularized_at = np.zeros(n_features, dtype=np.int64)
        self._batches = 0

    def update(
        self, active: np.ndarray, batch: scipy.sparse.csr_matrix, targets: np.ndarray, loss: Loss
    ) -> float:
        """One step on ``batch`` (its columns are the features ``active``); returns its loss before it."""
        weights = self._regularized(active, until=self._batches)
        self._batches += 1
        gradient, batch_loss = _score_gradient(batch @ weights + self._intercepts, targets, loss)
        weight_gradient = np.asarray(batch.T @ gradient) / batch.shape[0]
        if self._l2:
            weight_gradient += self._l2 * weights
        history = self._history[active] + weight_gradient**2
        steps = LEARNING_RATE / (np.sqrt(history) + _EPSILON)
        weights = weights - steps * weight_gradient
        if self._l1:
            weights = _shrink(weights, steps * self._l1)
        self._history[active] = history
        self._weights[active] = weights
        self._regularized_at[active] = self._batches
        intercept_gradient = gradient.mean(axis=0)
        self._intercept_history += intercept_gradient**2
        self._intercepts -= LEARNING_RATE * intercept_gradient / (np.sqrt(self._intercept_history) + _EPSILON)
        return batch_loss

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """The weights (every regularization step applied) and the intercepts."""
        every_feature = np.arange(self._weights.shape[0])
        self._weights = self._regularized(every_feature, until=self._batches)
        self._regularized_at[:] = self._batches
        return self._weights, self._intercepts

    def _regularized(self, features: np.ndarray, *, until: int) -> np.ndarray:
        """The weights of ``features`` after the regularization steps they missed up to batch ``until``."""
        weights: np.ndarray = self._weights[features]
        if not (self._l1 or self._l2):
            return weights
        missed = (until - self._regularized_at[features])[:, None]
        steps = LEARNING_RATE / (np.sqrt(self._history[features]) + _EPSILON)
        if self._l2:
            weights = weights * np.maximum(1.0 - steps * self._l2, 0.0) ** missed
        if self._l1:
            weights = _shrink(weights, missed * steps * self._l1)
        return weights


def _shrink(weights: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """The L1 proximal step: move each weight towards 0 by its amount, stopping at 0."""
    return np.asarray(np.sign(weights) * np.maximum(np.abs(weights) - amounts, 0.0))


def _active_columns(batch: scipy.sparse.csr_matrix) -> tuple[np.ndarray, scipy.sparse.csr_matrix]:
    """The columns with a value in ``batch``, and ``batch`` restricted to them (same rows)."""
    active, local_indices = np.unique(batch.indices, return_inverse=True)
    local = scipy.sparse.csr_matrix(
        (batch.data, local_indices, batch.indptr), shape=(batch.shape[0], active.size)
    )
    return active, local


def _score_gradient(scores: np.ndarray, targets: np.ndarray, loss: Loss) -> tuple[np.ndarray, float]:
    """The gradient of the loss with respect to the scores (one row per record) and the summed loss."""
    if loss is Loss.LOGISTIC:
        margin = scores[:, 0]
        gradient = (sigmoid(margin) - targets)[:, None]
        return gradient, float(np.sum(np.logaddexp(0.0, margin) - targets * margin))
    if loss is Loss.SOFTMAX:
        probabilities = softmax(scores)
        rows = np.arange(len(targets))
        summed_loss = float(-np.sum(np.log(np.maximum(probabilities[rows, targets], 1e-300))))
        probabilities[rows, targets] -= 1.0
        return probabilities, summed_loss
    residual = scores[:, 0] - targets
    return residual[:, None], float(0.5 * np.sum(residual**2))


def sigmoid(values: np.ndarray) -> np.ndarray:
    """The logistic function, computed without overflow."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * values)))


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, computed without overflow."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    exponentials = np.exp(shifted)
    return np.asarray(exponentials / exponentials.sum(axis=1, keepdims=True))
