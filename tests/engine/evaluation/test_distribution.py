"""Target distributions from values and statistics, and the test of whether two differ."""

from __future__ import annotations

import numpy as np
import pytest

from openaml.engine.evaluation.distribution import (
    ClassDistribution,
    NumericDistribution,
    compare_target_distributions,
    target_distribution_from_statistics,
    target_distribution_from_values,
)
from openaml.engine.models import ModelType


def _classes(**counts: float) -> ClassDistribution:
    return ClassDistribution(counts)


def test_binary_values_are_named_like_the_statistics() -> None:
    from_values = target_distribution_from_values(np.array([0.0, 1.0, 1.0, np.nan]), ModelType.BINARY)
    from_statistics = target_distribution_from_statistics(
        {
            "target": {
                "name": "y",
                "type": "BINARY",
                "distribution": [{"value": "1", "count": 2}, {"value": "0", "count": 1}],
            }
        }
    )

    assert from_values == ClassDistribution({"0": 1, "1": 2})
    assert isinstance(from_statistics, ClassDistribution)
    assert dict(from_statistics.counts) == {"1": 2.0, "0": 1.0}


def test_numeric_distribution_from_a_statistics_histogram() -> None:
    statistics = {
        "target": {
            "name": "y",
            "type": "NUMERIC",
            "distribution": [],
            "numeric": {"histogram": {"edges": [0.0, 10.0, 20.0], "counts": [30, 10]}},
        }
    }
    distribution = target_distribution_from_statistics(statistics)

    assert isinstance(distribution, NumericDistribution)
    assert distribution.total == 40
    assert distribution.count_at_or_below(np.array([-1.0, 5.0, 10.0, 15.0, 25.0])).tolist() == [
        0,
        15,
        30,
        35,
        40,
    ]
    assert distribution.quantile(0.5) == pytest.approx(20 / 3)


def test_numeric_statistics_with_few_values_are_exact_point_masses() -> None:
    statistics = {
        "target": {
            "name": "q",
            "type": "NUMERIC",
            "distribution": [{"value": "6", "count": 3}, {"value": "5", "count": 1}],
        }
    }
    distribution = target_distribution_from_statistics(statistics)

    assert isinstance(distribution, NumericDistribution)
    assert distribution.count_at_or_below(np.array([4.9, 5.0, 5.5, 6.0])).tolist() == [0, 1, 1, 4]
    assert distribution.quantile(0.5) == 6.0


def test_statistics_without_a_target_give_none() -> None:
    assert target_distribution_from_statistics({"target": None}) is None
    assert target_distribution_from_statistics({}) is None


def test_clearly_different_class_shares_differ() -> None:
    comparison = compare_target_distributions(_classes(yes=500, no=500), _classes(yes=900, no=100))

    assert comparison.distance == pytest.approx(0.4)
    assert comparison.differs
    name, training_share, evaluation_share = comparison.largest_change()
    assert name in ("yes", "no") and abs(training_share - evaluation_share) == pytest.approx(0.4)


def test_equal_class_shares_do_not_differ() -> None:
    comparison = compare_target_distributions(_classes(yes=500, no=500), _classes(yes=51, no=49))

    assert not comparison.differs


def test_a_large_shift_in_a_tiny_sample_is_not_significant() -> None:
    comparison = compare_target_distributions(_classes(yes=500, no=500), _classes(yes=7, no=3))

    assert comparison.distance == pytest.approx(0.2)
    assert not comparison.differs


def test_a_class_missing_on_one_side_counts_as_zero() -> None:
    comparison = compare_target_distributions(_classes(a=100, b=100), _classes(a=100, b=100, c=200))

    assert comparison.bins == ("a", "b", "c")
    assert comparison.distance == pytest.approx(0.5)
    assert comparison.differs


def test_shifted_numeric_targets_differ_and_resampled_ones_do_not() -> None:
    rng = np.random.default_rng(5)
    training = target_distribution_from_values(rng.normal(0, 1, 3000), ModelType.REGRESSION)
    same = target_distribution_from_values(rng.normal(0, 1, 1000), ModelType.REGRESSION)
    shifted = target_distribution_from_values(rng.normal(1.5, 1, 1000), ModelType.REGRESSION)

    assert not compare_target_distributions(training, same).differs
    comparison = compare_target_distributions(training, shifted)
    assert comparison.differs
    assert len(comparison.bins) == 10


def test_discrete_numeric_targets_merge_repeated_deciles() -> None:
    training = target_distribution_from_values(
        np.repeat([5.0, 6.0, 7.0], [400, 400, 200]), ModelType.REGRESSION
    )
    comparison = compare_target_distributions(training, training)

    assert comparison.bins == ("≤ 5", "5 – 6", "6 – 7", "> 7")
    assert comparison.training_counts.tolist() == [400, 400, 200, 0]
    assert comparison.distance == 0.0 and not comparison.differs


def test_class_and_numeric_distributions_cannot_be_compared() -> None:
    numeric = target_distribution_from_values(np.array([1.0, 2.0]), ModelType.REGRESSION)
    with pytest.raises(ValueError, match="cannot compare"):
        compare_target_distributions(_classes(a=1), numeric)
