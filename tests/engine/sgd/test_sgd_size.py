"""Model size accounting and trimming the least useful patterns."""

from __future__ import annotations

import numpy as np

from openaml.engine.sgd.size import BASE_MODEL_BYTES, model_size_in_bytes, pattern_bytes, patterns_that_fit


def test_a_pattern_costs_its_name_and_eight_bytes_per_weight() -> None:
    sizes = pattern_bytes(["a", "héllo"], n_outputs=3)

    assert sizes.tolist() == [1 + 24, 6 + 24]
    assert model_size_in_bytes(sizes, np.array([True, False])) == BASE_MODEL_BYTES + 25


def test_zero_weights_are_not_patterns_and_everything_else_is_kept_when_it_fits() -> None:
    weights = np.array([[0.5], [0.0], [-2.0]])

    kept = patterns_that_fit(weights, np.array([10, 10, 10]), max_bytes=10_000)

    assert kept.tolist() == [True, False, True]


def test_trimming_keeps_the_largest_weights_and_breaks_ties_by_feature_order() -> None:
    weights = np.array([[0.1, 0.0], [3.0, 4.0], [0.0, 1.0], [1.0, 0.0], [-2.0, 0.0]])
    budget = BASE_MODEL_BYTES + 3 * 10

    kept = patterns_that_fit(weights, np.full(5, 10), max_bytes=budget)

    assert kept.tolist() == [False, True, True, False, True]
