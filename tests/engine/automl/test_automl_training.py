"""train_automl end to end on small samples with budgets of a few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from openaml.engine.automl import (
    AutoMLParameters,
    TrainingCancelled,
    TrainingProgress,
    parse_automl_parameters,
    train_automl,
)
from openaml.engine.automl.budget import HARD_LIMIT_FACTOR, REFIT_DEADLINE_FACTOR
from openaml.engine.data.schema import AttributeType
from openaml.engine.models import ModelType
from openaml.errors import InvalidInputException

from .conftest import TypedData

LEADERBOARD_KEYS = {
    "rank",
    "family",
    "parameters",
    "validationScore",
    "fitSeconds",
    "predictSeconds",
    "ensembleWeight",
    "baggedFolds",
    "status",
    "message",
    "origin",
}


def _split(frame: pd.DataFrame, train_rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    return frame.iloc[:train_rows].reset_index(drop=True), frame.iloc[train_rows:].reset_index(drop=True)


def test_binary_with_categoricals_and_missing_values(load_dataset: Callable[..., TypedData]) -> None:
    frame, schema = load_dataset("titanic.csv", "survived", types={"survived": AttributeType.BINARY})
    train, test = _split(frame, 600)
    result = train_automl(train, schema, ModelType.BINARY, AutoMLParameters(time_budget_seconds=3))
    scores = result.model.predict_scores(test)
    assert result.model.classes == ("0", "1")
    assert scores.shape == (len(test),) and ((scores >= 0) & (scores <= 1)).all()
    assert roc_auc_score(test["survived"], scores) > 0.8
    assert result.metric_name == "auc" and 0.5 < result.validation_score <= 1.0


def test_text_attribute_is_a_feature(load_dataset: Callable[..., TypedData]) -> None:
    frame, schema = load_dataset(
        "sentiment_sentences.csv",
        "sentiment",
        types={"text": AttributeType.TEXT, "sentiment": AttributeType.BINARY},
        rows=1500,
    )
    train, test = _split(frame, len(frame) * 11 // 15)  # 1,100 of 1,500 rows
    params = parse_automl_parameters(
        {"openaml.timeBudgetSeconds": "4", "openaml.algorithms": "linear,lightgbm"}
    )
    result = train_automl(train, schema, ModelType.BINARY, params)
    assert roc_auc_score(test["sentiment"], result.model.predict_scores(test)) > 0.8


def test_multiclass_on_wide_sensor_data(load_dataset: Callable[..., TypedData]) -> None:
    frame, schema = load_dataset("har_train_sample.csv", "activity", rows=500)
    train, test = _split(frame, len(frame) * 7 // 10)  # 350 of 500 rows
    params = AutoMLParameters(time_budget_seconds=4, algorithms=("linear", "extra_trees"))
    result = train_automl(train, schema, ModelType.MULTICLASS, params)
    scores = result.model.predict_scores(test)
    assert result.model.classes is not None and len(result.model.classes) == 6
    assert scores.shape == (len(test), 6)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0)
    predicted = np.asarray(result.model.classes)[scores.argmax(axis=1)]
    assert f1_score(test["activity"], predicted, average="macro") > 0.75


def test_regression_beats_predicting_the_mean(load_dataset: Callable[..., TypedData]) -> None:
    frame, schema = load_dataset("wine_quality.csv", "quality", rows=900)
    train, test = _split(frame, len(frame) * 7 // 9)  # 700 of 900 rows
    result = train_automl(train, schema, ModelType.REGRESSION, AutoMLParameters(time_budget_seconds=3))
    predictions = result.model.predict_scores(test)
    assert result.model.classes is None and predictions.shape == (len(test),)
    rmse = float(np.sqrt(np.mean((test["quality"] - predictions) ** 2)))
    assert rmse < float(test["quality"].std())
    assert result.metric_name == "rmse"


def test_same_seed_same_model(synthetic: Callable[..., TypedData]) -> None:
    frame, schema = synthetic(rows=300)
    params = AutoMLParameters(
        time_budget_seconds=120, max_trials=4, algorithms=("linear", "lightgbm", "extra_trees", "knn")
    )
    first = train_automl(frame, schema, ModelType.BINARY, params)
    again = train_automl(frame, schema, ModelType.BINARY, params)

    def trials(leaderboard: list[dict[str, object]]) -> list[tuple[object, ...]]:
        return [
            (e["family"], e["parameters"], e["validationScore"], e["ensembleWeight"]) for e in leaderboard
        ]

    assert trials(first.leaderboard) == trials(again.leaderboard)
    np.testing.assert_array_equal(first.model.predict_scores(frame), again.model.predict_scores(frame))


def test_leaderboard_lists_every_candidate_best_first(synthetic: Callable[..., TypedData]) -> None:
    frame, schema = synthetic(target_type=AttributeType.CATEGORICAL)
    result = train_automl(frame, schema, ModelType.MULTICLASS, AutoMLParameters(time_budget_seconds=3))
    board = result.leaderboard
    assert board and all(set(entry) == LEADERBOARD_KEYS for entry in board)
    validated = [entry for entry in board if entry["status"] == "ok"]
    assert [entry["rank"] for entry in validated] == list(range(1, len(validated) + 1))
    scores = [entry["validationScore"] for entry in validated]
    assert scores == sorted(scores, reverse=True)
    assert sum(entry["ensembleWeight"] for entry in board) == pytest.approx(1.0, abs=1e-3)
    assert {entry["family"] for entry in board} >= {"linear", "lightgbm"}


def test_progress_is_reported_through_every_phase(synthetic: Callable[..., TypedData]) -> None:
    frame, schema = synthetic()
    reports: list[TrainingProgress] = []
    params = AutoMLParameters(time_budget_seconds=3, algorithms=("linear", "lightgbm"))
    train_automl(frame, schema, ModelType.BINARY, params, progress=reports.append)
    phases = list(dict.fromkeys(report.phase for report in reports))
    assert phases == ["preparing", "search", "ensemble", "refit"]
    searched = [report for report in reports if report.phase == "search"]
    assert [report.trials_done for report in searched] == sorted(report.trials_done for report in searched)
    assert all(report.best_score is not None for report in searched)
    assert "best auc" in searched[-1].describe()


def test_should_stop_cancels_promptly(synthetic: Callable[..., TypedData]) -> None:
    frame, schema = synthetic()
    reports: list[TrainingProgress] = []
    started = time.monotonic()
    with pytest.raises(TrainingCancelled):
        train_automl(
            frame,
            schema,
            ModelType.BINARY,
            AutoMLParameters(time_budget_seconds=600),
            progress=reports.append,
            should_stop=lambda: any(report.trials_done >= 2 for report in reports),
        )
    assert max(report.trials_done for report in reports) == 2
    assert time.monotonic() - started < 300  # far from the 600 s budget


def test_budget_bookkeeping_leaves_room_for_the_refit(synthetic: Callable[..., TypedData]) -> None:
    frame, schema = synthetic(target_type=AttributeType.NUMERIC)
    result = train_automl(frame, schema, ModelType.REGRESSION, AutoMLParameters(time_budget_seconds=3))
    timings = result.timings
    assert timings.budget_seconds == 3
    assert timings.search_deadline_at <= timings.budget_seconds - timings.reserved_refit_seconds + 1e-9
    assert timings.refit_deadline_at == pytest.approx(3 * REFIT_DEADLINE_FACTOR)
    assert timings.estimated_refit_seconds <= timings.reserved_refit_seconds
    assert set(timings.to_dict()) >= {"budgetSeconds", "totalSeconds", "searchDeadlineAt"}


@pytest.mark.slow
def test_the_whole_run_ends_within_the_budget_promise(load_dataset: Callable[..., TypedData]) -> None:
    frame, schema = load_dataset("har_train_sample.csv", "activity")
    budget = 20.0
    started = time.monotonic()
    train_automl(frame, schema, ModelType.MULTICLASS, AutoMLParameters(time_budget_seconds=budget))
    assert time.monotonic() - started <= HARD_LIMIT_FACTOR * budget + 1.0


def test_large_data_is_subsampled_for_the_search_and_refit_on_all_rows(
    synthetic: Callable[..., TypedData],
) -> None:
    frame, schema = synthetic(rows=2500)
    params = AutoMLParameters(time_budget_seconds=3, search_row_limit=1000, algorithms=("linear", "lightgbm"))
    result = train_automl(frame, schema, ModelType.BINARY, params)
    assert (result.search_rows, result.training_rows) == (1000, 2500)
    assert result.validation.startswith("5-fold")


def test_prediction_tolerates_missing_and_extra_columns(synthetic: Callable[..., TypedData]) -> None:
    frame, schema = synthetic()
    result = train_automl(frame, schema, ModelType.BINARY, AutoMLParameters(time_budget_seconds=2))
    scores = result.model.predict_scores(pd.DataFrame({"x": [0.5, np.nan], "surprise": ["a", "b"]}))
    assert scores.shape == (2,) and np.isfinite(scores).all()


@pytest.mark.parametrize(
    ("model_type", "change", "message"),
    [
        (ModelType.BINARY, {"y": [0.0, 1.0, 2.0] * 100}, "needs a 0/1 target"),
        (ModelType.MULTICLASS, {"y": ["same"] * 300}, "single value"),
        (ModelType.REGRESSION, {"y": [np.nan] * 295 + [1.0] * 5}, "at least 10"),
    ],
)
def test_targets_that_do_not_fit_the_model_type_are_rejected(
    synthetic: Callable[..., TypedData], model_type: ModelType, change: dict[str, list[object]], message: str
) -> None:
    frame, schema = synthetic(rows=300)
    frame = frame.assign(**change)
    with pytest.raises(InvalidInputException, match=message):
        train_automl(frame, schema, model_type, AutoMLParameters(time_budget_seconds=2))


def test_a_metric_for_another_model_type_is_rejected(synthetic: Callable[..., TypedData]) -> None:
    frame, schema = synthetic()
    with pytest.raises(InvalidInputException, match="does not apply to BINARY"):
        train_automl(frame, schema, ModelType.BINARY, AutoMLParameters(time_budget_seconds=2, metric="rmse"))


def test_families_that_cannot_scale_are_left_out_with_a_note(
    synthetic: Callable[..., TypedData], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forest refit on more records than it can hold is not tried; the leaderboard says why."""
    from openaml.engine.automl.families import FAMILIES

    frame, schema = synthetic(rows=300)
    monkeypatch.setattr(FAMILIES["extra_trees"], "max_training_rows", 200)
    params = AutoMLParameters(time_budget_seconds=3, max_trials=3, algorithms=("linear", "extra_trees"))
    result = train_automl(frame, schema, ModelType.BINARY, params)
    assert {entry["family"] for entry in result.leaderboard} == {"linear"}
    assert any("extra_trees was not tried: 300 training records" in note for note in result.warnings)


@pytest.mark.parametrize("family_name", ["lightgbm", "catboost"])
def test_a_boosted_fit_says_which_share_of_it_a_refit_would_take(
    synthetic: Callable[..., TypedData], family_name: str
) -> None:
    from openaml.engine.automl.budget import Budget
    from openaml.engine.automl.families import FAMILIES, Task
    from openaml.engine.automl.features import Encoding, FeatureEncoder

    frame, schema = synthetic(600)
    encoder = FeatureEncoder(schema.input_attributes, Encoding.TREE, text_vocabulary=False).fit(frame)
    x, y = np.asarray(encoder.transform(frame)), frame["y"].to_numpy().astype(np.int64)
    task = Task.describe(ModelType.BINARY, y, 2, x.shape[1], 0, tuple(encoder.categorical_indices))
    family, budget = FAMILIES[family_name], Budget(60)
    config = family.portfolio(task)[0] | {"rounds": 1_000}

    validated = family.fit(
        x[:450], y[:450], config, task, budget.limits(budget.end), validation=(x[450:], y[450:])
    )
    refit = family.fit(x, y, config | validated.refit_config, task, budget.limits(budget.end))

    # early stopping boosted rounds past the kept ones (and validated them): a refit does less
    assert validated.refit_config["rounds"] < 1_000
    assert 0.0 < validated.refit_share < 1.0  # type: ignore[attr-defined]
    assert refit.refit_share == pytest.approx(1.0)  # type: ignore[attr-defined]
