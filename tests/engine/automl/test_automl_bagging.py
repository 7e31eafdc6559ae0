"""Bagged members, the stacking layer and the budget promise with bagging on (small data, short budgets)."""

from __future__ import annotations

import pickle
from types import SimpleNamespace
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pyarrow as pa
import pytest
from tests.engine.automl.conftest import synthetic_data

from openaml.engine.automl import AutoMLParameters, train_automl
from openaml.engine.automl import trials as trials_module
from openaml.engine.automl.bagging import BaggedLearner, bagging_applies, choose_bagged
from openaml.engine.automl.budget import HARD_LIMIT_FACTOR, FitLimits
from openaml.engine.automl.families import FAMILIES, Config, Family, FittedLearner, Task
from openaml.engine.automl.families.base import FloatArray, Labels
from openaml.engine.automl.features import Encoding, Matrix
from openaml.engine.automl.search import sampled_reserve_share
from openaml.engine.automl.stacking import Stacker, fit_stacker
from openaml.engine.automl.table import TrainingTable
from openaml.engine.data.ingest import compact_table
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.metrics import metric_for
from openaml.engine.models import ModelType


class _Constant:
    def __init__(self, value: float, complete: bool = True) -> None:
        self.value = value
        self.refit_config: Config = {}
        self.complete = complete

    def predict(self, features: Matrix) -> FloatArray:
        return np.full(features.shape[0], self.value)


def test_a_bagged_member_predicts_the_mean_of_its_fold_models() -> None:
    bagged = BaggedLearner([_Constant(0.2), _Constant(0.4), _Constant(0.9)], {"rounds": 12})
    assert bagged.folds == 3 and bagged.complete and bagged.refit_config == {"rounds": 12}
    assert np.allclose(bagged.predict(np.zeros((4, 2))), 0.5)
    assert not BaggedLearner([_Constant(0.1), _Constant(0.2, complete=False)], {}).complete


def test_bagging_applies_to_cross_validation_on_every_row_only() -> None:
    assert bagging_applies(enabled=True, cross_validation=True, subsampled=False)
    assert not bagging_applies(enabled=True, cross_validation=False, subsampled=False)  # a holdout
    assert not bagging_applies(enabled=True, cross_validation=True, subsampled=True)
    assert not bagging_applies(enabled=False, cross_validation=True, subsampled=False)


def test_a_bagged_member_costs_its_folds_within_the_serving_cost_limit() -> None:
    # lightgbm (1), catboost (6), linear (1), best first, 5 folds, limit 12: lightgbm bagged costs 5
    # (5 + 6 + 1 = 12); catboost bagged would cost 30, so it is refit; linear bagged makes 16: refit.
    assert choose_bagged([1.0, 6.0, 1.0], [True, True, True], 5, 12.0) == [True, False, False]
    assert choose_bagged([1.0, 6.0, 1.0], [True, True, True], 5, 10.0) == [False, False, False]
    assert choose_bagged([1.0, 6.0, 1.0], [True, True, True], 3, 20.0) == [True, False, True]
    assert choose_bagged([1.0, 1.0], [False, True], 5, 10.0) == [False, True]  # a cut-short fold


def test_the_stacker_is_kept_only_when_it_validates_better_than_the_blend() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=400), rng.normal(size=400)
    y = 3.0 * a - 2.0 * b
    metric = metric_for("rmse", ModelType.REGRESSION)
    blend_loss = metric.loss(y, (a + b) / 2)
    stacked = fit_stacker([a, b], y, metric, ModelType.REGRESSION, 0, blend_loss, 0, lambda: False)
    assert stacked is not None
    stacker, loss = stacked
    assert loss < 0.1 * blend_loss
    assert np.allclose(stacker.predict([a, b]), y, atol=0.1)
    # Members that already average perfectly leave nothing to learn: the blend stays.
    assert fit_stacker([y, y], y, metric, ModelType.REGRESSION, 0, 0.0, 0, lambda: False) is None
    # No time left: no stacker.
    assert fit_stacker([a, b], y, metric, ModelType.REGRESSION, 0, blend_loss, 0, lambda: True) is None


def test_the_stacker_must_beat_the_blend_by_a_clear_margin() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=400), rng.normal(size=400)
    y = 3.0 * a - 2.0 * b + rng.normal(size=400)
    metric = metric_for("rmse", ModelType.REGRESSION)
    stacked = fit_stacker([a, b], y, metric, ModelType.REGRESSION, 0, np.inf, 0, lambda: False)
    assert stacked is not None
    loss = stacked[1]
    # A blend only 1% worse keeps the weighted average (within the noise; it can be explained and
    # exported); one 3% worse is replaced.
    assert fit_stacker([a, b], y, metric, ModelType.REGRESSION, 0, loss * 1.01, 0, lambda: False) is None
    assert fit_stacker([a, b], y, metric, ModelType.REGRESSION, 0, loss * 1.03, 0, lambda: False) is not None


def test_a_multiclass_stacker_returns_probabilities_over_every_class() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, size=300)
    good = np.eye(3)[y] * 0.7 + 0.1
    noisy = rng.dirichlet(np.ones(3), size=300)
    metric = metric_for("log_loss", ModelType.MULTICLASS)
    stacked = fit_stacker(
        [noisy, good],
        y,
        metric,
        ModelType.MULTICLASS,
        3,
        metric.loss(y, (good + noisy) / 2),
        0,
        lambda: False,
    )
    assert stacked is not None
    scores = stacked[0].predict([noisy, good])
    assert scores.shape == (300, 3) and np.allclose(scores.sum(axis=1), 1.0)


def test_automl_bags_its_members_and_shows_it_on_the_leaderboard() -> None:
    frame, schema = synthetic_data(400)
    params = AutoMLParameters(
        time_budget_seconds=4, algorithms=("linear", "lightgbm"), max_serving_cost=20, validation_folds=3
    )
    result = train_automl(frame, schema, ModelType.BINARY, params)

    members = [entry for entry in result.leaderboard if entry["ensembleWeight"] > 0]
    assert any(entry["baggedFolds"] == 3 for entry in members), result.leaderboard
    assert all("baggedFolds" in entry for entry in result.leaderboard)
    assert "bagged over 3 folds" in result.ensemble
    assert all(entry["parameters"] for entry in members)  # each member's configuration is recorded
    bagged = [m for m in result.model.members if isinstance(m.learner, BaggedLearner)]  # type: ignore[attr-defined]
    assert bagged and all(m.learner.folds == 3 for m in bagged)
    restored = pickle.loads(pickle.dumps(result.model))
    assert np.allclose(restored.predict_scores(frame.head(20)), result.model.predict_scores(frame.head(20)))


def test_by_default_members_are_bagged_within_the_serving_cost_limit() -> None:
    # A bagged member costs k x its family's cost: with the default limit of 10 and 5 folds, cheap
    # members (linear, LightGBM: 1 each) are bagged while the ensemble's total stays within 10.
    # (A generous budget and few trials: no fold fit is cut short, which would make it unbaggable.)
    frame, schema = synthetic_data(400)
    params = AutoMLParameters(
        time_budget_seconds=60, max_trials=8, algorithms=("linear", "lightgbm"), validation_folds=5
    )
    result = train_automl(frame, schema, ModelType.BINARY, params)

    members = [entry for entry in result.leaderboard if entry["ensembleWeight"] > 0]
    assert any(entry["baggedFolds"] == 5 for entry in members), result.leaderboard
    costs = [FAMILIES[entry["family"]].serving_cost * max(entry["baggedFolds"], 1) for entry in members]
    assert len(members) == 1 or sum(costs) <= params.max_serving_cost, result.leaderboard


def test_only_an_ensemble_of_bagged_members_is_stacked() -> None:
    # Refit members score new records unlike their out-of-fold scores: no stacker over them.
    frame, schema = synthetic_data(400)
    params = AutoMLParameters(
        time_budget_seconds=60, max_trials=8, algorithms=("linear", "lightgbm"), bagging=False
    )
    result = train_automl(frame, schema, ModelType.BINARY, params)
    assert result.model.stacker is None  # type: ignore[attr-defined]
    assert "weighted average" in result.ensemble


def test_without_bagging_the_members_are_refit() -> None:
    frame, schema = synthetic_data(300)
    params = AutoMLParameters(time_budget_seconds=3, algorithms=("linear",), bagging=False, stacking=False)
    result = train_automl(frame, schema, ModelType.BINARY, params)
    assert all(entry["baggedFolds"] == 0 for entry in result.leaderboard)
    assert result.ensemble.startswith("weighted average") and "bagged" not in result.ensemble


def _grouped(rows_per_group: int = 10, groups: int = 30) -> tuple[pd.DataFrame, DataSchema]:
    frame, schema = synthetic_data(rows_per_group * groups)
    frame["subject"] = pd.Series([f"s{i // rows_per_group}" for i in range(len(frame))], dtype=object)
    frame["day"] = np.arange(len(frame), dtype=np.float64)
    extra = (Attribute("subject", AttributeType.CATEGORICAL), Attribute("day", AttributeType.NUMERIC))
    return frame, DataSchema(attributes=(*schema.attributes, *extra), target_attribute_name="y")


def test_with_a_group_attribute_the_bagged_folds_keep_groups_apart() -> None:
    frame, schema = _grouped()
    params = AutoMLParameters(
        time_budget_seconds=4, algorithms=("linear",), group_attribute="subject", validation_folds=3
    )
    result = train_automl(frame, schema, ModelType.BINARY, params)
    assert "group cross-validation" in result.validation
    assert "bagged over 3 folds" in result.ensemble


def test_with_a_time_attribute_validation_is_a_holdout_and_nothing_is_bagged() -> None:
    frame, schema = _grouped()
    params = AutoMLParameters(time_budget_seconds=3, algorithms=("linear",), time_attribute="day")
    result = train_automl(frame, schema, ModelType.BINARY, params)
    assert result.validation.startswith("time-ordered holdout")
    assert "bagged" not in result.ensemble and all(e["baggedFolds"] == 0 for e in result.leaderboard)


@pytest.mark.parametrize("name", sorted(FAMILIES))
@pytest.mark.parametrize("model_type", [ModelType.BINARY, ModelType.MULTICLASS, ModelType.REGRESSION])
def test_every_portfolio_configuration_is_a_point_of_its_search_space(
    name: str, model_type: ModelType
) -> None:
    """The search enqueues the portfolio into each family's Optuna study: every configuration must come
    back from ``suggest`` unchanged, or the study would tune from points it cannot represent."""
    family = FAMILIES[name]
    n_classes = {ModelType.BINARY: 2, ModelType.MULTICLASS: 4, ModelType.REGRESSION: 0}[model_type]
    for wide, special in ((False, False), (True, True)):
        regression = model_type is ModelType.REGRESSION
        task = Task(
            model_type,
            n_classes,
            500,
            200 if wide else 10,
            0,
            imbalanced=special and not regression,
            nonnegative_target=special and regression,
        )
        portfolio = family.portfolio(task)
        assert portfolio, name
        study = optuna.create_study()
        for config in portfolio:
            study.enqueue_trial(config)
        for config in portfolio:
            assert family.suggest(study.ask(), task) == config, (name, model_type, config)


# --- the budget promise, on a simulated clock ---


class _SimulatedClock:
    """Time that passes only when the test says (plus a tick per reading, the cost of bookkeeping)."""

    def __init__(self, tick: float = 0.001) -> None:
        self.time = 1000.0
        self.tick = tick

    def __call__(self) -> float:
        self.time += self.tick
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds


class _SlowFamily(Family):
    """Boosting that takes 0.1 simulated seconds per round and stops at its fit's deadline, as the
    real families do; 40 rounds (4 s) per full fit, so a 10 s budget cannot fit every candidate."""

    name = "slow"
    encoding = Encoding.SCALED

    def __init__(self, clock: _SimulatedClock) -> None:
        self.clock = clock
        self.fits: list[tuple[float, float]] = []
        self.rows: list[int] = []

    def round_seconds(self, rows: int) -> float:
        """Simulated seconds one round takes on ``rows`` rows."""
        return 0.1

    def value(self, y: Labels, rounds: int, config: Config) -> float:
        """The constant a fit of ``rounds`` rounds predicts: longer fits score a little better."""
        return float(np.mean(y)) + rounds * 1e-4

    def portfolio(self, task: Task) -> list[Config]:
        return [{"rounds": 40}, {"rounds": 30}]

    def suggest(self, trial: optuna.Trial, task: Task) -> Config:
        return {"rounds": trial.suggest_int("rounds", 10, 40)}

    def fit(
        self,
        features: Matrix,
        y: Labels,
        config: Config,
        task: Task,
        limits: FitLimits,
        validation: tuple[Matrix, Labels] | None = None,
    ) -> FittedLearner:
        started, rounds = self.clock.time, 0
        while rounds < int(config["rounds"]) and not limits.should_end():
            self.clock.advance(self.round_seconds(len(y)))
            rounds += 1
        self.fits.append((started, self.clock.time))
        self.rows.append(len(y))
        learner = _Constant(self.value(y, rounds, config), complete=rounds == int(config["rounds"]))
        learner.refit_config = {"rounds": max(rounds, 1)}
        return learner


@pytest.mark.parametrize("bagging", [True, False])
def test_the_search_stops_by_its_deadline_and_the_run_keeps_the_budget(
    monkeypatch: pytest.MonkeyPatch, bagging: bool
) -> None:
    clock = _SimulatedClock()
    family = _SlowFamily(clock)
    monkeypatch.setitem(FAMILIES, family.name, family)
    frame, schema = synthetic_data(200, target_type=AttributeType.NUMERIC)
    params = AutoMLParameters(
        time_budget_seconds=10, algorithms=(family.name,), validation_folds=5, bagging=bagging
    )
    started = clock.time
    result = train_automl(frame, schema, ModelType.REGRESSION, params, clock=clock)

    timings = result.timings
    assert timings.total_seconds <= HARD_LIMIT_FACTOR * timings.budget_seconds
    search_end = timings.preparation_seconds + timings.search_seconds
    assert search_end <= timings.search_deadline_at + 0.2  # at most one round past it
    assert family.fits and all(end - started <= HARD_LIMIT_FACTOR * 10 for _, end in family.fits)
    assert any(entry["status"] in ("timeout", "skipped") for entry in result.leaderboard)
    if bagging:
        assert all(entry["baggedFolds"] in (0, 5) for entry in result.leaderboard)


class _RowCostFamily(_SlowFamily):
    """:class:`_SlowFamily` whose rounds cost 0.1 simulated seconds per 1,000 rows: a refit on all rows
    of subsampled data costs more than the search's fits, as with real boosting."""

    name = "rowcost"

    def round_seconds(self, rows: int) -> float:
        return 0.1 * rows / 1000

    def value(self, y: Labels, rounds: int, config: Config) -> float:
        return float(np.mean(y))


@pytest.mark.parametrize("as_table", [False, True])
def test_the_refit_of_subsampled_data_is_planned_inside_the_budget(
    monkeypatch: pytest.MonkeyPatch, as_table: bool
) -> None:
    clock = _SimulatedClock()
    family = _RowCostFamily(clock)
    monkeypatch.setitem(FAMILIES, family.name, family)
    monkeypatch.setattr(trials_module, "time", SimpleNamespace(monotonic=clock))  # the fits' timings
    frame, schema = synthetic_data(6_000, target_type=AttributeType.NUMERIC)
    params = AutoMLParameters(time_budget_seconds=20, algorithms=(family.name,), search_row_limit=1_000)
    data: pd.DataFrame | TrainingTable = frame
    if as_table:
        data = TrainingTable(compact_table(pa.Table.from_pandas(frame, preserve_index=False), schema))
    started = clock.time

    result = train_automl(data, schema, ModelType.REGRESSION, params, clock=clock)

    timings = result.timings
    assert timings.total_seconds <= HARD_LIMIT_FACTOR * timings.budget_seconds
    assert all(end - started <= HARD_LIMIT_FACTOR * 20 for _, end in family.fits)
    refit_rows = family.rows[-1]  # all rows (24 s of rounds) would not fit: fewer, at least the search's
    assert 1_000 <= refit_rows < 6_000
    assert any(f"The final refit used {refit_rows:,} of the 6,000" in note for note in result.warnings)
    assert timings.search_deadline_at >= 0.4 * 20  # the refit's reserve did not starve the search


class _RoundsMatterFamily(_RowCostFamily):
    """Predicts the mean shifted by the rounds it was not given: configurations of fewer rounds are
    worse, so successive halving has something to prune."""

    name = "roundsmatter"

    def value(self, y: Labels, rounds: int, config: Config) -> float:
        return super().value(y, rounds, config) + (40 - int(config["rounds"]))


@pytest.mark.parametrize("subsampled", [True, False])
def test_successive_halving_prunes_weak_tuning_trials_of_a_sampled_search(
    monkeypatch: pytest.MonkeyPatch, subsampled: bool
) -> None:
    clock = _SimulatedClock()
    family = _RoundsMatterFamily(clock)
    monkeypatch.setitem(FAMILIES, family.name, family)
    monkeypatch.setattr(trials_module, "time", SimpleNamespace(monotonic=clock))
    frame, schema = synthetic_data(1_500, target_type=AttributeType.NUMERIC)
    params = AutoMLParameters(
        time_budget_seconds=600,
        algorithms=(family.name,),
        max_trials=20,
        search_row_limit=1_000 if subsampled else 10_000,
    )

    result = train_automl(frame, schema, ModelType.REGRESSION, params, clock=clock)

    pruned = [entry for entry in result.leaderboard if entry["status"] == "pruned"]
    if not subsampled:
        assert not pruned
        return
    assert pruned and all("successive halving" in entry["message"] for entry in pruned)
    assert all(entry["origin"] == "tuning" for entry in pruned)
    folds_rows = max(family.rows[:-1])
    assert folds_rows // 3 in family.rows  # the first rung fits on a third of a fold's rows


def test_an_ensemble_with_a_stacker_predicts_through_it() -> None:
    frame, schema = synthetic_data(300, target_type=AttributeType.NUMERIC)
    result = train_automl(
        frame, schema, ModelType.REGRESSION, AutoMLParameters(time_budget_seconds=3, algorithms=("linear",))
    )
    model: Any = result.model
    scores = model.predict_scores(frame.head(10))
    stacker = Stacker(ModelType.REGRESSION, 0, _Doubling())
    model.stacker = stacker
    assert np.allclose(model.predict_scores(frame.head(10)), 2 * scores)


class _Doubling:
    def predict(self, features: FloatArray) -> FloatArray:
        return np.asarray(2 * features.sum(axis=1), dtype=np.float64)


class _EarlyStoppingFamily(_RowCostFamily):
    """:class:`_RowCostFamily` that, validated, boosts 40 rounds past the ones it keeps (as early
    stopping does) and, with ``reports_share``, says which share of its fit a refit would take."""

    name = "earlystopping"
    patience = 40

    def __init__(self, clock: _SimulatedClock, reports_share: bool) -> None:
        super().__init__(clock)
        self.reports_share = reports_share

    def portfolio(self, task: Task) -> list[Config]:
        return [{"rounds": 40}]

    def fit(
        self,
        features: Matrix,
        y: Labels,
        config: Config,
        task: Task,
        limits: FitLimits,
        validation: tuple[Matrix, Labels] | None = None,
    ) -> FittedLearner:
        kept = int(config["rounds"])
        boosted = kept + (self.patience if validation is not None else 0)
        learner: Any = super().fit(features, y, config | {"rounds": boosted}, task, limits, validation)
        done = learner.refit_config["rounds"]
        learner.refit_config = {"rounds": min(done, kept)}
        if self.reports_share:
            learner.refit_share = min(done, kept) / done
        return learner


@pytest.mark.parametrize("reports_share", [True, False])
def test_the_refit_plan_leaves_out_the_rounds_early_stopping_discarded(
    monkeypatch: pytest.MonkeyPatch, reports_share: bool
) -> None:
    clock = _SimulatedClock()
    family = _EarlyStoppingFamily(clock, reports_share)
    monkeypatch.setitem(FAMILIES, family.name, family)
    monkeypatch.setattr(trials_module, "time", SimpleNamespace(monotonic=clock))
    frame, schema = synthetic_data(6_000, target_type=AttributeType.NUMERIC)
    params = AutoMLParameters(
        time_budget_seconds=45,
        algorithms=(family.name,),
        search_row_limit=1_000,
        validation_folds=0,
        max_trials=1,
    )

    result = train_automl(frame, schema, ModelType.REGRESSION, params, clock=clock)

    # all rows: 40 rounds of 0.6 s (24 s) fit the ~40 s left; the validated fit's 80 rounds would not
    assert result.timings.total_seconds <= HARD_LIMIT_FACTOR * 45
    assert (family.rows[-1] == 6_000) == reports_share
    refit_started, refit_ended = family.fits[-1]
    assert refit_ended - refit_started >= 0.1 * family.rows[-1] / 1_000 * 40  # all its rounds


def test_a_search_on_a_sample_of_much_larger_data_leaves_the_refit_more_of_the_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert sampled_reserve_share(1.0) == sampled_reserve_share(10.0) == 0.5
    assert 0.5 < sampled_reserve_share(20.0) < sampled_reserve_share(50.0) < 0.75
    assert sampled_reserve_share(100.0) == sampled_reserve_share(1_000.0) == 0.75
    clock = _SimulatedClock()
    family = _RowCostFamily(clock)
    monkeypatch.setitem(FAMILIES, family.name, family)
    monkeypatch.setattr(trials_module, "time", SimpleNamespace(monotonic=clock))
    frame, schema = synthetic_data(100_000, target_type=AttributeType.NUMERIC)
    params = AutoMLParameters(time_budget_seconds=60, algorithms=(family.name,), search_row_limit=1_000)

    result = train_automl(frame, schema, ModelType.REGRESSION, params, clock=clock)

    timings = result.timings  # all rows would take 400 s: the reserve is capped at 3/4 of the budget
    assert 0.25 * 60 - 1 <= timings.search_deadline_at < 0.5 * 60
    assert timings.total_seconds <= HARD_LIMIT_FACTOR * 60
    assert 1_000 < family.rows[-1] < 100_000
