"""One search trial: fit and validate one configuration, in the job worker or on a Dask worker.

A trial reads only :class:`TrialData` (the search rows' matrices, the labels, the validation plan and
how to score) and the candidate it fills in, so the same code runs in the job worker (the local
search) and on a Dask worker (:func:`trial_on_worker`), where the data was sent once per search.

Time. The caller gives the trial a deadline; each validation fold gets an equal part of the time left
and stops boosting, growing trees or training epochs when its part is used up, so a slow
configuration is scored as what it could train in its time rather than overrunning. A candidate that
has no time left for its next fold is dropped (``status`` ``timeout``).

Successive halving (tuning trials of a search on a sample): a trial is first fitted on 1/η of its
first fold's training rows — the same rows for every trial — and goes on to its full validation only
when its loss there reaches the bar the search gives it (its family's best 1/η of earlier first-rung
losses); otherwise it is ``pruned``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from openaml.engine.automl.budget import Budget, FitInterrupted
from openaml.engine.automl.families import Config, Family, FittedLearner, Task
from openaml.engine.automl.families.base import FloatArray, Labels
from openaml.engine.automl.features import Encoding, Matrix
from openaml.engine.automl.validation import ValidationPlan
from openaml.engine.metrics import Metric
from openaml.engine.models import TrainingCancelled

_log = logging.getLogger(__name__)

FoldData = tuple[Matrix, Labels, Matrix, Labels]

#: Successive halving's η: the first rung trains on 1/η of the rows and keeps the best 1/η of trials.
HALVING_FACTOR = 3


@dataclass
class Candidate:
    """One tried configuration and what came of it (``status``: ok, failed, timeout, skipped or
    pruned)."""

    number: int
    family: str
    config: Config
    status: str
    loss: float = float("inf")
    #: Its validation loss under the metric's tie-breaker (0 where the metric has none).
    tie_loss: float = 0.0
    refit_config: Config = field(default_factory=dict)
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    refit_estimate: float = 0.0
    predictions: FloatArray | None = None
    #: A model already trained on all rows (out-of-bag families on unsampled data): no refit needed.
    final_learner: FittedLearner | None = None
    #: The models of its validation folds, kept while it may become a bagged member (see :mod:`.bagging`).
    fold_learners: list[FittedLearner] | None = None
    #: Whether the ensemble would serve its fold models instead of a refit (decided with the members).
    bagged: bool = False
    message: str | None = None
    #: Where the configuration came from: ``parent`` (a parent model's member), ``portfolio``,
    #: ``tuning`` (the family's TPE study) or ``refit`` (fitted without validation, see :mod:`.refit`).
    origin: str = "portfolio"
    #: Its loss on successive halving's first rung (``None`` when it had none).
    rung_loss: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def rank_key(self) -> tuple[float, float, float, int]:
        """Sort key, best first: validation loss, then (for ties) the tie loss and the cheaper
        prediction."""
        return (self.loss, self.tie_loss, self.predict_seconds, self.number)

    @property
    def refit_cost(self) -> float:
        """Estimated seconds to refit on all rows (0 when the final model already exists or the
        candidate is bagged)."""
        if self.final_learner is not None or (self.bagged and self.fold_learners is not None):
            return 0.0
        return self.refit_estimate

    @property
    def baggable(self) -> bool:
        """Whether its fold models are kept and can serve as a bagged member."""
        return self.final_learner is None and self.fold_learners is not None


@dataclass
class TrialData:
    """What every trial of one search reads; sent once to each Dask worker when trials run there."""

    families: dict[str, Family]
    task: Task
    plan: ValidationPlan
    matrices: dict[Encoding, Matrix]
    y: Labels
    metric: Metric
    #: Rows of the final refit divided by the search rows.
    refit_scale: float
    #: Whether candidates keep their fold models to become bagged members.
    bagging: bool
    _folds: dict[tuple[Encoding, int], FoldData] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_folds"] = {}  # each process slices its own folds, once
        return state

    def fold(self, encoding: Encoding, fold: int) -> FoldData:
        """A validation fold's training and validation matrices and labels (sliced once, then kept)."""
        key = (encoding, fold)
        if key not in self._folds:
            train, valid = self.plan.folds[fold]
            features = self.matrices[encoding]
            self._folds[key] = (features[train], self.y[train], features[valid], self.y[valid])
        return self._folds[key]

    def rung_rows(self, rows: int) -> npt.NDArray[np.intp]:
        """Successive halving's first-rung training rows: a seeded 1/η of the first fold's, in order
        (the same in every process)."""
        chosen = np.random.default_rng(self.task.seed).permutation(rows)[: max(rows // HALVING_FACTOR, 1)]
        return np.sort(chosen)


def run_trial(
    data: TrialData,
    candidate: Candidate,
    budget: Budget,
    deadline: float,
    rung_threshold: float | None = None,
) -> float:
    """Fit and validate ``candidate`` by ``deadline`` (on ``budget``'s clock), filling in its scores,
    or its status and message when it failed, ran out of time or was pruned; the seconds it took.

    With ``rung_threshold`` the trial first goes through successive halving's first rung and is
    pruned when its loss there is above the threshold (``inf``: measured, always promoted).

    Raises :class:`~openaml.engine.models.TrainingCancelled` when the budget's caller cancelled.
    """
    started = time.monotonic()
    family = data.families[candidate.family]
    try:
        if rung_threshold is None or _promoted(data, family, candidate, budget, deadline, rung_threshold):
            _evaluate(data, family, candidate, budget, deadline)
    except FitInterrupted:
        candidate.status, candidate.message = "timeout", "no time left for its remaining validation folds"
    except TrainingCancelled:
        raise
    except Exception as error:  # a learner may reject unusual data; the search goes on
        _log.warning("AutoML candidate %s %s failed: %s", family.name, candidate.config, error, exc_info=True)
        candidate.status, candidate.message = "failed", f"{type(error).__name__}: {error}"
    return time.monotonic() - started


@dataclass(frozen=True)
class WorkerTrial:
    """A trial sent to a Dask worker: the candidate, and the time it may take."""

    candidate: Candidate
    #: Seconds the trial may take, counted from ``sent_at``.
    seconds: float
    #: When it was sent (``time.time()`` of the job worker; the machines' clocks are assumed in sync).
    sent_at: float
    #: Successive halving's first-rung bar, as :func:`run_trial` reads it.
    rung_threshold: float | None = None


def trial_on_worker(trial: WorkerTrial, data: TrialData) -> tuple[Candidate, float]:
    """:func:`run_trial` on a Dask worker: the filled-in candidate and the seconds it took there.

    The trial's deadline is the job worker's, less the time the task waited for a free worker. There
    is no cancellation here: the job worker drops the task's result instead (the fit ends at its
    deadline anyway).
    """
    waited = max(time.time() - trial.sent_at, 0.0)
    budget = Budget(max(trial.seconds - waited, 0.0))
    seconds = run_trial(data, trial.candidate, budget, budget.end, trial.rung_threshold)
    return trial.candidate, seconds


def _evaluate(data: TrialData, family: Family, candidate: Candidate, budget: Budget, deadline: float) -> None:
    """Fit and validate one candidate by ``deadline``, filling in its scores and timings."""
    features = data.matrices[family.encoding]
    if validated_out_of_bag(family, candidate.config, data.plan):
        _check_time_left(budget, deadline)
        started = time.monotonic()
        learner = family.fit(features, data.y, candidate.config, data.task, budget.limits(deadline))
        candidate.fit_seconds = time.monotonic() - started
        started = time.monotonic()
        predictions = family.out_of_bag(learner, features, data.y, data.task)[data.plan.validation_rows]
        candidate.predict_seconds = time.monotonic() - started
        candidate.refit_estimate = candidate.fit_seconds * data.refit_scale
        if data.refit_scale == 1.0:
            candidate.final_learner = learner
        learners = [learner]
    else:
        predictions, learners = _cross_validate(data, family, candidate, budget, deadline)
        candidate.refit_config = _merge_refit_configs([learner.refit_config for learner in learners])
        train_rows = float(np.mean([len(train) for train, _ in data.plan.folds]))
        per_fold = candidate.fit_seconds / len(data.plan.folds) * _refit_share(learners)
        candidate.refit_estimate = per_fold * data.refit_scale * len(data.y) / train_rows
        if data.bagging and all(learner.complete for learner in learners):
            candidate.fold_learners = learners
    if not all(learner.complete for learner in learners):
        candidate.message = "cut short at its time limit"
    candidate.predictions = predictions.astype(np.float32)
    candidate.loss = data.metric.loss(data.y[data.plan.validation_rows], predictions)
    candidate.tie_loss = data.metric.tie_loss(data.y[data.plan.validation_rows], predictions)
    if not np.isfinite(candidate.loss):
        raise ValueError("the validation score is not a finite number")


def validated_out_of_bag(family: Family, config: Config, plan: ValidationPlan) -> bool:
    """Whether ``config`` of ``family`` is validated out-of-bag (one fit on all search rows) rather
    than on ``plan``'s folds: where the family and the plan allow it."""
    return plan.allows_out_of_bag and family.validates_out_of_bag(config)


def _cross_validate(
    data: TrialData, family: Family, candidate: Candidate, budget: Budget, deadline: float
) -> tuple[FloatArray, list[FittedLearner]]:
    out_of_fold: FloatArray | None = None
    learners = []
    folds = len(data.plan.folds)
    for fold, (_, valid_rows) in enumerate(data.plan.folds):
        _check_time_left(budget, deadline)
        now = budget.now()
        limits = budget.limits(now + (deadline - now) / (folds - fold))
        train_x, train_y, valid_x, valid_y = data.fold(family.encoding, fold)
        started = time.monotonic()
        learner = family.fit(
            train_x, train_y, candidate.config, data.task, limits, validation=(valid_x, valid_y)
        )
        candidate.fit_seconds += time.monotonic() - started
        started = time.monotonic()
        scores = learner.predict(valid_x)
        candidate.predict_seconds += time.monotonic() - started
        if out_of_fold is None:
            out_of_fold = np.zeros((len(data.y), *scores.shape[1:]))
        out_of_fold[valid_rows] = scores
        learners.append(learner)
    assert out_of_fold is not None, "a validation plan has at least one fold"
    return out_of_fold[data.plan.validation_rows], learners


def _promoted(
    data: TrialData, family: Family, candidate: Candidate, budget: Budget, deadline: float, threshold: float
) -> bool:
    """Successive halving's first rung: fit ``candidate`` on the rung's rows and keep going only if
    its loss reaches ``threshold``; otherwise mark it ``pruned``."""
    train_x, train_y, valid_x, valid_y = data.fold(family.encoding, 0)
    rows = data.rung_rows(len(train_y))
    _check_time_left(budget, deadline)
    started = time.monotonic()
    learner = family.fit(
        train_x[rows],
        train_y[rows],
        candidate.config,
        data.task,
        budget.limits(deadline),
        validation=(valid_x, valid_y),
    )
    candidate.rung_loss = float(data.metric.loss(valid_y, learner.predict(valid_x)))
    if candidate.rung_loss <= threshold:
        return True
    candidate.status, candidate.fit_seconds = "pruned", time.monotonic() - started
    candidate.message = (
        f"stopped by successive halving: its loss on 1/{HALVING_FACTOR} of the rows was not among "
        f"the best 1/{HALVING_FACTOR} of its family's trials"
    )
    return False


def _check_time_left(budget: Budget, deadline: float) -> None:
    budget.check_cancelled(force=True)
    if budget.now() >= deadline:
        raise FitInterrupted("no time left")


def _refit_share(learners: list[FittedLearner]) -> float:
    """The mean share of their fits' time that refits with their ``refit_config`` would take: a
    learner's ``refit_share`` where it has one (LightGBM: no rounds past the best one, no validation),
    else 1."""
    return float(np.mean([float(getattr(learner, "refit_share", 1.0)) for learner in learners]))


def _merge_refit_configs(configs: list[Config]) -> Config:
    """The per-fold learned settings (boosting rounds, epochs) averaged for the refit."""
    merged: dict[str, Any] = {}
    for key in configs[0]:
        mean = float(np.mean([config[key] for config in configs]))
        merged[key] = max(round(mean), 1) if isinstance(configs[0][key], int) else mean
    return merged
