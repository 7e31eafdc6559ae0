"""The candidate search: the zero-shot portfolio first, then Optuna's TPE per family, on a clock.

Order of work. A search that starts from a parent model (``SearchSetup.start_from``, the
``research`` update mode) first tries the parent's member configurations, best first, each as its
family's first trial. Then every family's portfolio configurations are tried round-robin (the linear
baseline first; those equal to a parent's are not tried twice); afterwards the search tunes the two
best families, two trials of the leader for one of the runner-up, each family with its own seeded
TPE study that already knows the portfolio results.

Time. Before each candidate the search recomputes its deadline: the end of the budget minus a
reserve for the final refit (the refit estimates of the members of the ensemble the search would
pick now, selected quickly on a sample of the validation rows, plus fixed costs such as re-encoding
all rows). A candidate whose family's typical duration no longer fits is skipped. A candidate may
use at most a share of the time left (portfolio) or a few times its family's typical duration
(tuning); each validation fold gets an equal part of that and stops boosting, growing trees or
training epochs when its part is used up, so a slow configuration is scored as what it could train
in its time rather than overrunning.

Validation. Candidates are scored on the plan's validation rows: out-of-fold for cross-validation,
the holdout otherwise, and out-of-bag for the bagged forests (one fit instead of k). When the plan
keeps groups or time apart, the best candidate is also fitted once on a random split as soon as
every family's first portfolio configuration has been tried (see :mod:`.honesty`).

Bagging. When it applies (:mod:`.bagging`), a candidate whose folds all finished keeps its fold
models while it belongs to the ensemble the search plans; the members that would be bagged need no
refit, so the reserve for the finishing steps shrinks and the search gets that time.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna

from openaml.engine.automl.bagging import choose_bagged
from openaml.engine.automl.budget import Budget, FitInterrupted
from openaml.engine.automl.ensemble import SELECTION_STEPS, select_ensemble
from openaml.engine.automl.families import FAMILIES, Config, Family, FittedLearner, Task
from openaml.engine.automl.families.base import FloatArray, Labels
from openaml.engine.automl.features import Encoding, Matrix
from openaml.engine.automl.honesty import SplitCheck, random_split_score
from openaml.engine.automl.validation import ValidationPlan
from openaml.engine.metrics import Metric
from openaml.engine.models import TrainingCancelled, TrainingProgress

_log = logging.getLogger(__name__)
optuna.logging.set_verbosity(optuna.logging.WARNING)

_REFIT_SAFETY = 1.25
_FINISH_MARGIN = 0.03
_KEPT_PREDICTIONS = 20
_TUNING_PATTERN = (0, 0, 1)
_TUNING_TIME_FACTOR = 3.0
_MIN_TRIAL_SECONDS = 1.0
_PORTFOLIO_SHARE = 0.4
_TPE_STARTUP_TRIALS = 5
_MAX_FAILURES_IN_A_ROW = 10
_PLANNING_ROWS = 1_000
_PLANNING_STEPS = 10


@dataclass
class Candidate:
    """One tried configuration and what came of it (``status``: ok, failed, timeout or skipped)."""

    number: int
    family: str
    config: Config
    status: str
    loss: float = float("inf")
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

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def rank_key(self) -> tuple[float, float, int]:
        """Sort key, best first: validation loss, then (for ties) the cheaper prediction."""
        return (self.loss, self.predict_seconds, self.number)

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


@dataclass(frozen=True)
class SearchSetup:
    """Everything the search reads: the data, how to validate and score, and its limits."""

    families: Sequence[Family]
    task: Task
    plan: ValidationPlan
    matrices: dict[Encoding, Matrix]
    y: Labels
    metric: Metric
    budget: Budget
    max_trials: int | None
    max_ensemble_size: int
    #: Most summed ``Family.serving_cost`` of an ensemble's members (the best one always allowed).
    max_serving_cost: float
    #: Rows of the final refit divided by the search rows (1 unless the data was subsampled).
    refit_scale: float
    #: Seconds the finishing steps need besides refitting the members (e.g. re-encoding all rows).
    fixed_reserve: float
    #: A random holdout of the same rows, when ``plan`` keeps groups or time apart (see :mod:`.honesty`).
    random_split: ValidationPlan | None = None
    #: Whether candidates keep their fold models to become bagged members (:func:`.bagging_applies`).
    bagging: bool = False

    def serving_cost(self, candidate: Candidate) -> float:
        """What serving ``candidate`` costs: its family's cost, times its folds when it is bagged."""
        cost = FAMILIES[candidate.family].serving_cost
        return cost * len(self.plan.folds) if candidate.bagged else cost

    def mark_bagged(self, members: Sequence[Candidate]) -> None:
        """Decide which of ``members`` (best first) are bagged (see :func:`.choose_bagged`)."""
        choices = choose_bagged(
            [FAMILIES[member.family].serving_cost for member in members],
            [member.baggable for member in members],
            len(self.plan.folds),
            self.max_serving_cost,
        )
        for member, bagged in zip(members, choices, strict=True):
            member.bagged = bagged

    #: Configurations to try before the portfolio, best first, as (family name, configuration): a
    #: parent model's members (see :mod:`.lineage`). Families not in ``families`` are left out.
    start_from: tuple[tuple[str, Config], ...] = ()


class ProgressReporter:
    """Tells the caller's progress callback the phase, the candidates tried and the best score."""

    def __init__(
        self, budget: Budget, metric: Metric, progress: Callable[[TrainingProgress], None] | None
    ) -> None:
        self._budget = budget
        self._metric = metric
        self._progress = progress

    def __call__(self, phase: str, candidates: Sequence[Candidate] = ()) -> None:
        self._budget.check_cancelled(force=True)
        if self._progress is None:
            return
        validated = [candidate for candidate in candidates if candidate.ok]
        best = min(validated, key=Candidate.rank_key, default=None)
        self._progress(
            TrainingProgress(
                elapsed_seconds=self._budget.elapsed(),
                budget_seconds=self._budget.seconds,
                phase=phase,
                trials_done=sum(1 for candidate in candidates if candidate.status != "skipped"),
                metric_name=self._metric.name,
                best_score=self._metric.from_loss(best.loss) if best else None,
                best_family=best.family if best else None,
            )
        )


class Search:
    """Runs candidates until the budget, the trial limit or the caller says stop."""

    def __init__(self, setup: SearchSetup, report: ProgressReporter) -> None:
        self.setup = setup
        self.candidates: list[Candidate] = []
        self._report = report
        self._durations: dict[str, list[float]] = {family.name: [] for family in setup.families}
        names = {family.name for family in setup.families}
        starts = [(name, config) for name, config in setup.start_from if name in names]
        first_trials = {family.name: _first_trials(family, setup.task, starts) for family in setup.families}
        self._studies = {
            family.name: self._study(family, index, first_trials[family.name])
            for index, family in enumerate(setup.families)
        }
        #: Per family, the origin of each enqueued first trial not asked for yet.
        self._origins = {name: [origin for origin, _ in trials] for name, trials in first_trials.items()}
        portfolio_lengths = {
            name: sum(1 for origin, _ in trials if origin == "portfolio")
            for name, trials in first_trials.items()
        }
        self._portfolio = [name for name, _ in starts] + _round_robin(portfolio_lengths)
        self._tuning_step = 0
        #: Portfolio entries left once the parent's configurations and every family's first portfolio
        #: configuration have been tried.
        self._after_first_round = (
            len(self._portfolio) - len(starts) - sum(1 for length in portfolio_lengths.values() if length)
        )
        self._planned_members: list[Candidate] = []
        self._planning_seconds = 0.0
        validation_count = len(setup.plan.validation_rows)
        rng = np.random.default_rng(setup.task.seed)
        self._probe_rows = np.sort(rng.permutation(validation_count)[:_PLANNING_ROWS])
        self._fold_cache: dict[tuple[Encoding, int], tuple[Matrix, Labels, Matrix, Labels]] = {}
        #: The best candidate on a random split against the honest one (set once, if time allows).
        self.split_check: SplitCheck | None = None
        self._check_pending = setup.random_split is not None

    def run(self) -> list[Candidate]:
        """Search until time, trials or families run out; return every candidate in trial order."""
        setup = self.setup
        while setup.max_trials is None or self._trials_done() < setup.max_trials:
            setup.budget.check_cancelled(force=True)
            if self._failures_in_a_row() >= _MAX_FAILURES_IN_A_ROW:
                break
            deadline = self.search_deadline()
            if self._check_pending and len(self._portfolio) <= self._after_first_round:
                self._check_pending = False
                self._check_random_split(deadline)
            choice = self._next_family(deadline)
            if choice is None:
                break
            family, tuning = choice
            self._run_candidate(family, deadline, tuning=tuning)
            self._report("search", self.candidates)
        return self.candidates

    def _check_random_split(self, deadline: float) -> None:
        """Fit the best candidate once on the random split, if one fold's fit time is left."""
        setup = self.setup
        best = min(self._ranked_candidates(), key=Candidate.rank_key, default=None)
        if best is None or setup.random_split is None:
            return
        family = next(family for family in setup.families if family.name == best.family)
        folds = 1 if family.has_out_of_bag else len(setup.plan.folds)
        per_fold = best.fit_seconds / folds
        now = setup.budget.now()
        if now + per_fold > deadline:
            return
        limits = setup.budget.limits(min(deadline, now + max(2 * per_fold, _MIN_TRIAL_SECONDS)))
        try:
            score = random_split_score(
                family,
                best.config,
                setup.matrices[family.encoding],
                setup.y,
                setup.random_split,
                setup.task,
                setup.metric,
                limits,
            )
        except TrainingCancelled:
            raise
        except Exception as error:  # only a check: the search goes on without it
            _log.warning("AutoML random-split check of %s failed: %s", best.family, error, exc_info=True)
            return
        self.split_check = SplitCheck(
            best.family,
            setup.metric.name,
            setup.metric.from_loss(best.loss),
            score,
            setup.metric.greater_is_better,
        )

    def search_deadline(self) -> float:
        """When the search must stop so that the finishing steps still fit in the budget."""
        if not any(candidate.ok for candidate in self.candidates):
            return self.setup.budget.end
        return self.setup.budget.end - self.reserve_seconds()

    def reserve_seconds(self) -> float:
        """Time kept for the finishing steps: ensemble selection, refitting the planned ensemble,
        the fixed costs, and a small share of the budget for the last candidate's overrun."""
        refits = sum(candidate.refit_cost for candidate in self._planned_members)
        scale = (
            (SELECTION_STEPS / _PLANNING_STEPS) * len(self.setup.plan.validation_rows) / len(self._probe_rows)
        )
        selection = self._planning_seconds * max(scale, 1.0)
        margin = _FINISH_MARGIN * self.setup.budget.seconds
        return (refits + selection) * _REFIT_SAFETY + self.setup.fixed_reserve + margin

    def _plan_ensemble(self) -> None:
        """Re-select the ensemble the search would end with now (quickly, on sampled rows)."""
        pool = [c for c in self._ranked_candidates() if c.predictions is not None]
        if not pool:
            return
        started = time.monotonic()
        probe = self._probe_rows
        weights = select_ensemble(
            [
                candidate.predictions[probe].astype(np.float64)
                for candidate in pool
                if candidate.predictions is not None
            ],
            self.setup.y[self.setup.plan.validation_rows][probe],
            self.setup.metric,
            max_members=self.setup.max_ensemble_size,
            serving_costs=[FAMILIES[candidate.family].serving_cost for candidate in pool],
            serving_cost_limit=self.setup.max_serving_cost,
            steps=_PLANNING_STEPS,
        )
        self._planned_members = [pool[index] for index in weights]
        self.setup.mark_bagged(self._planned_members)
        self._planning_seconds = time.monotonic() - started
        planned = {candidate.number for candidate in self._planned_members}
        for candidate in self.candidates:
            if candidate.number not in planned:
                candidate.final_learner = None
                candidate.fold_learners = None
                candidate.bagged = False

    def _ranked_candidates(self) -> list[Candidate]:
        return sorted((c for c in self.candidates if c.ok), key=Candidate.rank_key)

    def _study(self, family: Family, index: int, first_trials: list[tuple[str, Config]]) -> optuna.Study:
        sampler = optuna.samplers.TPESampler(
            seed=self.setup.task.seed + index, n_startup_trials=_TPE_STARTUP_TRIALS
        )
        study = optuna.create_study(direction="minimize", sampler=sampler)
        for _, config in first_trials:
            study.enqueue_trial(config)
        return study

    def _next_origin(self, family: Family, tuning: bool) -> str:
        origins = self._origins[family.name]
        return "tuning" if tuning or not origins else origins.pop(0)

    def _trials_done(self) -> int:
        return sum(1 for candidate in self.candidates if candidate.status != "skipped")

    def _failures_in_a_row(self) -> int:
        count = 0
        for candidate in reversed(self.candidates):
            if candidate.status in ("ok", "skipped"):
                break
            count += 1
        return count

    def _next_family(self, deadline: float) -> tuple[Family, bool] | None:
        """The next candidate's family and whether it is a tuning trial; ``None`` when time is up."""
        by_name = {family.name: family for family in self.setup.families}
        left = deadline - self.setup.budget.now()
        while self._portfolio:
            name = self._portfolio.pop(0)
            if self._typical_seconds(name) <= left:
                return by_name[name], False
            self._skip(by_name[name])
        ranked = self._ranked_families()
        affordable = [name for name in ranked if self._typical_seconds(name) <= left]
        if not affordable:
            return None
        position = _TUNING_PATTERN[self._tuning_step % len(_TUNING_PATTERN)]
        self._tuning_step += 1
        return by_name[affordable[min(position, len(affordable) - 1)]], True

    def _ranked_families(self) -> list[str]:
        best: dict[str, float] = {}
        for candidate in self.candidates:
            if candidate.ok:
                best[candidate.family] = min(best.get(candidate.family, np.inf), candidate.loss)
        return sorted(best, key=lambda name: best[name])[:2]

    def _typical_seconds(self, family: str) -> float:
        durations = self._durations[family]
        return statistics.median(durations) if durations else 0.0

    def _skip(self, family: Family) -> None:
        trial = self._studies[family.name].ask()
        config = family.suggest(trial, self.setup.task)
        self._studies[family.name].tell(trial, state=optuna.trial.TrialState.PRUNED)
        self.candidates.append(
            Candidate(
                len(self.candidates),
                family.name,
                config,
                "skipped",
                message="not enough time left",
                origin=self._next_origin(family, False),
            )
        )

    def _run_candidate(self, family: Family, search_deadline: float, *, tuning: bool) -> None:
        setup = self.setup
        study = self._studies[family.name]
        trial = study.ask()
        config = family.suggest(trial, setup.task)
        origin = self._next_origin(family, tuning)
        candidate = Candidate(len(self.candidates), family.name, config, "ok", origin=origin)
        deadline = search_deadline
        if tuning:
            allowance = max(_TUNING_TIME_FACTOR * self._typical_seconds(family.name), _MIN_TRIAL_SECONDS)
            deadline = min(deadline, setup.budget.now() + allowance)
        else:
            share = max(_PORTFOLIO_SHARE * (deadline - setup.budget.now()), _MIN_TRIAL_SECONDS)
            deadline = min(deadline, setup.budget.now() + share)
        started = time.monotonic()
        try:
            self._evaluate(family, candidate, deadline)
        except FitInterrupted:
            candidate.status, candidate.message = "timeout", "no time left for its remaining validation folds"
        except TrainingCancelled:
            raise
        except Exception as error:  # a learner may reject unusual data; the search goes on
            _log.warning("AutoML candidate %s %s failed: %s", family.name, config, error, exc_info=True)
            candidate.status, candidate.message = "failed", f"{type(error).__name__}: {error}"
        self._durations[family.name].append(time.monotonic() - started)
        if candidate.ok:
            study.tell(trial, candidate.loss)
        else:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        self.candidates.append(candidate)
        self._forget_weak_predictions()
        if candidate.ok:
            self._plan_ensemble()

    def _evaluate(self, family: Family, candidate: Candidate, deadline: float) -> None:
        """Fit and validate one candidate by ``deadline``, filling in its scores and timings."""
        setup = self.setup
        features = setup.matrices[family.encoding]
        if family.has_out_of_bag:
            self._check_time_left(deadline)
            started = time.monotonic()
            learner = family.fit(
                features, setup.y, candidate.config, setup.task, setup.budget.limits(deadline)
            )
            candidate.fit_seconds = time.monotonic() - started
            started = time.monotonic()
            predictions = family.out_of_bag(learner, features, setup.y, setup.task)[
                setup.plan.validation_rows
            ]
            candidate.predict_seconds = time.monotonic() - started
            candidate.refit_estimate = candidate.fit_seconds * setup.refit_scale
            if setup.refit_scale == 1.0:
                candidate.final_learner = learner
            learners = [learner]
        else:
            predictions, learners = self._cross_validate(family, candidate, deadline)
            candidate.refit_config = _merge_refit_configs([learner.refit_config for learner in learners])
            train_rows = float(np.mean([len(train) for train, _ in setup.plan.folds]))
            per_fold = candidate.fit_seconds / len(setup.plan.folds)
            candidate.refit_estimate = per_fold * setup.refit_scale * len(setup.y) / train_rows
            if setup.bagging and all(learner.complete for learner in learners):
                candidate.fold_learners = learners
        if not all(learner.complete for learner in learners):
            candidate.message = "cut short at its time limit"
        candidate.predictions = predictions.astype(np.float32)
        candidate.loss = setup.metric.loss(setup.y[setup.plan.validation_rows], predictions)
        if not np.isfinite(candidate.loss):
            raise ValueError("the validation score is not a finite number")

    def _cross_validate(
        self, family: Family, candidate: Candidate, deadline: float
    ) -> tuple[FloatArray, list[FittedLearner]]:
        setup = self.setup
        out_of_fold: FloatArray | None = None
        learners = []
        folds = len(setup.plan.folds)
        for fold, (_, valid_rows) in enumerate(setup.plan.folds):
            self._check_time_left(deadline)
            now = setup.budget.now()
            limits = setup.budget.limits(now + (deadline - now) / (folds - fold))
            train_x, train_y, valid_x, valid_y = self._fold(family.encoding, fold)
            started = time.monotonic()
            learner = family.fit(
                train_x, train_y, candidate.config, setup.task, limits, validation=(valid_x, valid_y)
            )
            candidate.fit_seconds += time.monotonic() - started
            started = time.monotonic()
            scores = learner.predict(valid_x)
            candidate.predict_seconds += time.monotonic() - started
            if out_of_fold is None:
                out_of_fold = np.zeros((len(setup.y), *scores.shape[1:]))
            out_of_fold[valid_rows] = scores
            learners.append(learner)
        assert out_of_fold is not None, "a validation plan has at least one fold"
        return out_of_fold[setup.plan.validation_rows], learners

    def _check_time_left(self, deadline: float) -> None:
        self.setup.budget.check_cancelled(force=True)
        if self.setup.budget.now() >= deadline:
            raise FitInterrupted("no time left")

    def _fold(self, encoding: Encoding, fold: int) -> tuple[Matrix, Labels, Matrix, Labels]:
        key = (encoding, fold)
        if key not in self._fold_cache:
            train, valid = self.setup.plan.folds[fold]
            features = self.setup.matrices[encoding]
            self._fold_cache[key] = (
                features[train],
                self.setup.y[train],
                features[valid],
                self.setup.y[valid],
            )
        return self._fold_cache[key]

    def _forget_weak_predictions(self) -> None:
        """Keep validation scores only for the candidates ensemble selection may still use."""
        for candidate in self._ranked_candidates()[_KEPT_PREDICTIONS:]:
            candidate.predictions = None


def _first_trials(
    family: Family, task: Task, starts: Sequence[tuple[str, Config]]
) -> list[tuple[str, Config]]:
    """A family's enqueued first trials with their origin: the parent's configurations, then the
    portfolio's (less those equal to a parent's)."""
    from_parent = [config for name, config in starts if name == family.name]
    portfolio = [config for config in family.portfolio(task) if config not in from_parent]
    return [("parent", config) for config in from_parent] + [("portfolio", config) for config in portfolio]


def _round_robin(lengths: dict[str, int]) -> list[str]:
    """Family names in portfolio order: every family's first configuration, then every second, ..."""
    order: list[str] = []
    for position in range(max(lengths.values(), default=0)):
        order.extend(name for name, length in lengths.items() if position < length)
    return order


def _merge_refit_configs(configs: Sequence[Config]) -> Config:
    """The per-fold learned settings (boosting rounds, epochs) averaged for the refit."""
    merged: dict[str, Any] = {}
    for key in configs[0]:
        mean = float(np.mean([config[key] for config in configs]))
        merged[key] = max(round(mean), 1) if isinstance(configs[0][key], int) else mean
    return merged
