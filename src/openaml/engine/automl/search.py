"""The candidate search: the zero-shot portfolio first, then Optuna's TPE per family, on a clock.

Order of work. A search that starts from a parent model (``SearchSetup.start_from``, the
``research`` update mode) first tries the parent's member configurations, best first, each as its
family's first trial. Then every family's portfolio configurations are tried round-robin (the linear
baseline first; those equal to a parent's are not tried twice); afterwards the search tunes the two
best families, two trials of the leader for one of the runner-up, each family with its own seeded
TPE study that already knows the portfolio results.

Time. Before each candidate the search recomputes its deadline: the end of the budget minus a
reserve for the final refit (the refit estimates of the members of the ensemble the search would
pick now, selected as the final selection does on up to 5,000 validation rows, plus fixed costs such
as re-encoding all rows; on subsampled data at most half the budget, up to 3/4 when the data is 100
times the sample or more, the refit then using as many rows as fit).
A candidate whose family's typical duration no longer fits is skipped. A candidate may
use at most a share of the time left (portfolio) or a few times its family's typical duration
(tuning); each validation fold gets an equal part of that and stops boosting, growing trees or
training epochs when its part is used up, so a slow configuration is scored as what it could train
in its time rather than overrunning.

Validation. Candidates are scored on the plan's validation rows: out-of-fold for cross-validation,
the holdout otherwise, and out-of-bag for bagged forests on a random holdout (one fit instead of two;
see ``ValidationPlan.allows_out_of_bag``). A configuration that would train a model already tried
(``Family.trial_key``) is not tried again: a repeated tuning draw is replaced by a random one. When the plan
keeps groups or time apart, the best candidate is also fitted once on a random split as soon as
every family's first portfolio configuration has been tried (see :mod:`.honesty`).

Bagging. When it applies (:mod:`.bagging`), a candidate whose folds all finished keeps its fold
models while it belongs to the ensemble the search plans (on small data, also while it is one of the
ten best candidates); the members that would be bagged need no refit, so the reserve for the
finishing steps shrinks and the search gets that time.

Where trials run (:mod:`.dispatch`). Without a cluster, each trial (:func:`.trials.run_trial`) runs
here, and its result is recorded before the next candidate is picked. With a Dask cluster, trials are
futures, as many at once as the workers have threads; a candidate is picked whenever a slot is free
and recorded when its trial comes back (``Candidate.number`` is the order they were started in), and
the studies live in the metadata database.
"""

from __future__ import annotations

import logging
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import optuna

from openaml.engine.automl.bagging import choose_bagged
from openaml.engine.automl.budget import Budget
from openaml.engine.automl.dispatch import (
    ClusterTrials,
    LocalTrials,
    PendingTrial,
    SearchCluster,
    TrialRunner,
    close_storage,
    open_study,
    study_storage,
)
from openaml.engine.automl.ensemble import SELECTION_STEPS, select_ensemble
from openaml.engine.automl.families import FAMILIES, Config, Family, Task
from openaml.engine.automl.families.base import Labels
from openaml.engine.automl.features import Encoding, Matrix
from openaml.engine.automl.honesty import SplitCheck, random_split_score
from openaml.engine.automl.trials import HALVING_FACTOR, Candidate, TrialData, validated_out_of_bag
from openaml.engine.automl.validation import ValidationPlan
from openaml.engine.metrics import Metric
from openaml.engine.models import TrainingCancelled, TrainingProgress

_log = logging.getLogger(__name__)
optuna.logging.set_verbosity(optuna.logging.WARNING)

_REFIT_SAFETY = 1.25
_FINISH_MARGIN = 0.03
_KEPT_PREDICTIONS = 20
#: Besides the planned members, the best this many candidates keep their fold models (so that the
#: final selection, which may pick others than the last plan, can still bag them), when the search
#: data holds at most :data:`_KEPT_FOLD_MODEL_CELLS` cells (rows × input columns): fold models of
#: such data are small, even k-NN's copies of their training rows.
_KEPT_FOLD_MODEL_CANDIDATES = 10
_KEPT_FOLD_MODEL_CELLS = 2_000_000
_TUNING_PATTERN = (0, 0, 1)
_TUNING_TIME_FACTOR = 3.0
_MIN_TRIAL_SECONDS = 1.0
_PORTFOLIO_SHARE = 0.4
#: On subsampled data, the most of the budget kept for the finishing steps: a refit on all rows that
#: needs more is planned on fewer rows (see ``training.plan_refit_rows``) instead of starving the search.
#: Half the budget on data up to 10 times the search sample, rising to 3/4 at 100 times and above
#: (:func:`sampled_reserve_share`): the search's sample stays the same size while the refit grows.
_MAX_SAMPLED_RESERVE_SHARE = 0.5
_MAX_LARGE_RESERVE_SHARE = 0.75
_TPE_STARTUP_TRIALS = 5
#: How many drawn configurations in a row may repeat one already tried before a family's tuning ends.
_MAX_REPEATED_DRAWS = 8
#: Added to a family's TPE seed for the random draws that replace repeated ones.
_RANDOM_SEED_OFFSET = 1_000
_MAX_FAILURES_IN_A_ROW = 10
#: The planned ensemble is selected on at most this many validation rows, with the final selection's
#: steps, so that it is what the final selection will pick: a coarser plan (1,000 rows, 10 steps)
#: kept members the final selection dropped and reserved their refits (bike: 29 s kept for a 7 s
#: refit, the search ending at 0.80 × the budget).
_PLANNING_ROWS = 5_000
_PLANNING_STEPS = SELECTION_STEPS


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
    #: Whether tuning trials go through successive halving first (the search works on a sample).
    halving: bool = False

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

    def __init__(
        self, setup: SearchSetup, report: ProgressReporter, cluster: SearchCluster | None = None
    ) -> None:
        """``cluster``: run the trials on a Dask cluster, the studies in its storage (:mod:`.dispatch`)."""
        self.setup = setup
        self.candidates: list[Candidate] = []
        self._cluster = cluster
        self._storage = study_storage(cluster.storage_url) if cluster is not None else None
        self._numbers = 0
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
        #: The best candidate on a random split against the honest one (set once, if time allows).
        self.split_check: SplitCheck | None = None
        self._check_pending = setup.random_split is not None
        #: Successive halving: each family's first-rung losses.
        self._rung_losses: dict[str, list[float]] = {}
        #: Per family, the :meth:`~.Family.trial_key` of every configuration started so far.
        self._tried: dict[str, set[str]] = {family.name: set() for family in setup.families}
        #: Families whose tuning drew only configurations already tried (see :meth:`_new_config`).
        self._exhausted: set[str] = set()
        self._random_studies = {
            family.name: optuna.create_study(
                sampler=optuna.samplers.RandomSampler(seed=setup.task.seed + index + _RANDOM_SEED_OFFSET)
            )
            for index, family in enumerate(setup.families)
        }

    def run(self) -> list[Candidate]:
        """Search until time, trials or families run out; return every candidate in trial order."""
        runner = self._runner()
        try:
            starting = True
            while True:
                while starting and runner.has_room():
                    starting = self._start_next(runner)
                if not runner.in_flight():
                    break
                for pending in runner.finished():
                    self._finish_candidate(pending)
                    self._report("search", self.candidates)
        finally:
            runner.close()
            close_storage(self._storage)
        self.candidates.sort(key=lambda candidate: candidate.number)
        return self.candidates

    def _runner(self) -> TrialRunner:
        setup = self.setup
        data = TrialData(
            {family.name: family for family in setup.families},
            setup.task,
            setup.plan,
            setup.matrices,
            setup.y,
            setup.metric,
            setup.refit_scale,
            setup.bagging,
        )
        if self._cluster is None:
            return LocalTrials(data, setup.budget)
        return ClusterTrials(self._cluster.cluster, data, setup.budget)

    def _start_next(self, runner: TrialRunner) -> bool:
        """Start the next candidate; False when time, trials or families have run out."""
        setup = self.setup
        if setup.max_trials is not None and self._trials_done() + runner.in_flight() >= setup.max_trials:
            return False
        setup.budget.check_cancelled(force=True)
        if self._failures_in_a_row() >= _MAX_FAILURES_IN_A_ROW:
            return False
        deadline = self.search_deadline()
        if self._check_pending and len(self._portfolio) <= self._after_first_round:
            self._check_pending = False
            self._check_random_split(deadline)
        while (choice := self._next_family(deadline)) is not None:
            family, tuning = choice
            pending = self._start_candidate(family, deadline, tuning=tuning)
            if pending is not None:
                runner.submit(pending)
                return True
            if tuning:
                self._exhausted.add(family.name)
        return False

    def _check_random_split(self, deadline: float) -> None:
        """Fit the best candidate once on the random split, if one fold's fit time is left."""
        setup = self.setup
        best = min(self._ranked_candidates(), key=Candidate.rank_key, default=None)
        if best is None or setup.random_split is None:
            return
        family = next(family for family in setup.families if family.name == best.family)
        folds = 1 if validated_out_of_bag(family, best.config, setup.plan) else len(setup.plan.folds)
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
        reserve = (refits + selection) * _REFIT_SAFETY + self.setup.fixed_reserve + margin
        if self.setup.refit_scale > 1.0:  # the refit's rows are planned to fit what is left
            return min(reserve, sampled_reserve_share(self.setup.refit_scale) * self.setup.budget.seconds)
        return reserve

    def _plan_ensemble(self) -> None:
        """Re-select the ensemble the search would end with now (on at most :data:`_PLANNING_ROWS`
        validation rows)."""
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
        task = self.setup.task
        if task.n_rows * task.n_columns <= _KEPT_FOLD_MODEL_CELLS:
            kept_folds = planned | {c.number for c in pool[:_KEPT_FOLD_MODEL_CANDIDATES]}
        else:
            kept_folds = planned
        for candidate in self.candidates:
            if candidate.number not in planned:
                candidate.final_learner = None
                candidate.bagged = False
            if candidate.number not in kept_folds:
                candidate.fold_learners = None

    def _ranked_candidates(self) -> list[Candidate]:
        return sorted((c for c in self.candidates if c.ok), key=Candidate.rank_key)

    def _study(self, family: Family, index: int, first_trials: list[tuple[str, Config]]) -> optuna.Study:
        sampler = optuna.samplers.TPESampler(
            seed=self.setup.task.seed + index,
            n_startup_trials=_TPE_STARTUP_TRIALS,
            constant_liar=self._cluster is not None,  # trials run side by side on a cluster
        )
        if self._storage is not None and self._cluster is not None:
            study = open_study(self._storage, f"{self._cluster.study_name}/{family.name}", sampler)
        else:
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
            if candidate.status in ("ok", "skipped", "pruned"):
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
        return sorted((name for name in best if name not in self._exhausted), key=lambda name: best[name])[:2]

    def _typical_seconds(self, family: str) -> float:
        durations = self._durations[family]
        return statistics.median(durations) if durations else 0.0

    def _skip(self, family: Family) -> None:
        trial = self._studies[family.name].ask()
        config = family.suggest(trial, self.setup.task)
        self._studies[family.name].tell(trial, state=optuna.trial.TrialState.PRUNED)
        self.candidates.append(
            Candidate(
                self._next_number(),
                family.name,
                config,
                "skipped",
                message="not enough time left",
                origin=self._next_origin(family, False),
            )
        )

    def _next_number(self) -> int:
        self._numbers += 1
        return self._numbers - 1

    def _start_candidate(
        self, family: Family, search_deadline: float, *, tuning: bool
    ) -> PendingTrial | None:
        """Ask the family's study for the next configuration; the trial with its deadline, or
        ``None`` when every configuration drawn trains a model already tried (see :meth:`_new_config`)."""
        setup = self.setup
        drawn = self._new_config(family, tuning)
        if drawn is None:
            return None
        trial, config, origin = drawn
        candidate = Candidate(self._next_number(), family.name, config, "ok", origin=origin)
        deadline = search_deadline
        if tuning:
            allowance = max(_TUNING_TIME_FACTOR * self._typical_seconds(family.name), _MIN_TRIAL_SECONDS)
            deadline = min(deadline, setup.budget.now() + allowance)
        else:
            share = max(_PORTFOLIO_SHARE * (deadline - setup.budget.now()), _MIN_TRIAL_SECONDS)
            deadline = min(deadline, setup.budget.now() + share)
        rung_threshold = None
        if tuning and setup.halving and not validated_out_of_bag(family, config, setup.plan):
            earlier = self._rung_losses.get(family.name, [])
            rung_threshold = (
                float(np.quantile(earlier, 1 / HALVING_FACTOR)) if len(earlier) >= HALVING_FACTOR else np.inf
            )
        return PendingTrial(candidate, trial, deadline, rung_threshold=rung_threshold)

    def _new_config(self, family: Family, tuning: bool) -> tuple[optuna.Trial, Config, str] | None:
        """The study's next trial, its configuration and origin, unless that trains a model already
        tried (:meth:`~.Family.trial_key`: e.g. forests drawing as many columns per split).

        Trying a model twice gives the same score and wastes its time, and TPE on a small space (a
        few categories, small integers) proposes its best point again and again. A repeated parent's
        or portfolio configuration is passed over (``None``: the next slot is tried); a repeated
        tuning draw is replaced by a random configuration of the family's space, up to
        :data:`_MAX_REPEATED_DRAWS` times, after which the family counts as searched out (``None``).
        Repeats are told to the study as failed, which TPE ignores.
        """
        study, task = self._studies[family.name], self.setup.task
        n_features = self.setup.matrices[family.encoding].shape[1]
        for _ in range(_MAX_REPEATED_DRAWS):
            trial = study.ask()
            config = family.suggest(trial, task)
            origin = self._next_origin(family, tuning)
            key = family.trial_key(config, n_features)
            if key not in self._tried[family.name]:
                self._tried[family.name].add(key)
                return trial, config, origin
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            if origin != "tuning":
                return None
            study.enqueue_trial(self._random_params(family))
        return None

    def _random_params(self, family: Family) -> dict[str, object]:
        """A configuration drawn uniformly from ``family``'s search space, as the study's parameters."""
        study = self._random_studies[family.name]
        trial = study.ask()
        family.suggest(trial, self.setup.task)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        return dict(trial.params)

    def _finish_candidate(self, pending: PendingTrial) -> None:
        """Record a finished trial: its duration, its study's result, and the planned ensemble."""
        candidate = pending.candidate
        study = self._studies[candidate.family]
        if candidate.rung_loss is not None:
            self._rung_losses.setdefault(candidate.family, []).append(candidate.rung_loss)
        if candidate.status == "pruned":  # its duration is not a full trial's
            study.tell(pending.trial, state=optuna.trial.TrialState.PRUNED)
            self.candidates.append(candidate)
            return
        self._durations[candidate.family].append(pending.seconds)
        if candidate.ok:
            study.tell(pending.trial, candidate.loss)
        else:
            study.tell(pending.trial, state=optuna.trial.TrialState.FAIL)
        self.candidates.append(candidate)
        self._forget_weak_predictions()
        if candidate.ok:
            self._plan_ensemble()

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


def sampled_reserve_share(refit_scale: float) -> float:
    """The most of the budget a search on a sample keeps for the finishing steps, when the refit's
    rows are ``refit_scale`` times the search's: half up to 10 times, 3/4 from 100 times (linear in
    the logarithm between), so that the search on its fixed-size sample leaves a refit of much larger
    data the time to use more of its rows."""
    growth = min(max(math.log10(max(refit_scale, 1.0)) - 1.0, 0.0), 1.0)
    return _MAX_SAMPLED_RESERVE_SHARE + (_MAX_LARGE_RESERVE_SHARE - _MAX_SAMPLED_RESERVE_SHARE) * growth
