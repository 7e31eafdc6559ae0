"""Validation plans and the search subsample: stratified, deterministic, any class sizes."""

from __future__ import annotations

import numpy as np

from openaml.engine.automl.validation import choose_folds, plan_validation, stratified_sample
from openaml.engine.models import ModelType


def _labels() -> np.ndarray:
    return np.repeat([0, 1, 2], [70, 25, 5])


def test_cross_validation_folds_partition_the_rows_and_keep_class_shares() -> None:
    y = _labels()
    plan = plan_validation(y, ModelType.MULTICLASS, 5, seed=0)
    assert plan.is_cross_validation
    assert sorted(np.concatenate([valid for _, valid in plan.folds]).tolist()) == list(range(100))
    for train, valid in plan.folds:
        assert not set(train) & set(valid)
        assert np.bincount(y[valid], minlength=3).tolist() == [14, 5, 1]
    assert plan.validation_rows.tolist() == list(range(100))


def test_plans_are_deterministic_for_a_seed() -> None:
    y = _labels()
    first = plan_validation(y, ModelType.MULTICLASS, 3, seed=4)
    again = plan_validation(y, ModelType.MULTICLASS, 3, seed=4)
    other = plan_validation(y, ModelType.MULTICLASS, 3, seed=5)
    assert all((a[1] == b[1]).all() for a, b in zip(first.folds, again.folds, strict=True))
    assert any((a[1] != b[1]).any() for a, b in zip(first.folds, other.folds, strict=True))


def test_a_class_with_one_row_does_not_break_the_split() -> None:
    y = np.array([0] * 30 + [1] * 30 + [2])
    plan = plan_validation(y, ModelType.MULTICLASS, 5, seed=0)
    assert sum(len(valid) for _, valid in plan.folds) == 61


def test_holdout_keeps_a_fifth_of_the_rows_for_validation() -> None:
    y = np.linspace(0.0, 1.0, 1000)
    plan = plan_validation(y, ModelType.REGRESSION, 0, seed=0)
    assert not plan.is_cross_validation
    (train, valid), *_ = plan.folds
    assert len(valid) == 200 and len(train) == 800
    assert plan.validation_rows.tolist() == valid.tolist()
    assert 0.4 < y[valid].mean() < 0.6


def test_the_search_sample_is_bounded_and_stratified() -> None:
    y = np.array([0] * 9000 + [1] * 1000)
    rows = stratified_sample(y, ModelType.BINARY, 2000, seed=0)
    assert len(rows) <= 2000 and (np.diff(rows) > 0).all()
    assert abs(y[rows].mean() - 0.1) < 0.01
    assert len(stratified_sample(y, ModelType.BINARY, 20_000, seed=0)) == 10_000


def test_fold_count_depends_on_size_unless_requested() -> None:
    assert choose_folds(800, 10, None) == 5
    assert choose_folds(1500, 561, None) == 3
    assert choose_folds(6000, 10, None) == 3
    assert choose_folds(50_000, 10, None) == 0
    assert choose_folds(50_000, 10, 4) == 4
