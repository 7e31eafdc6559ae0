"""Target distributions of two datasources, and the test of whether they differ.

A distribution comes from the statistics JSON (contract 3, its ``target`` block) or from the target
values themselves. A CATEGORICAL or BINARY target is a count per class. A NUMERIC target is a set
of bins ``[low, high]`` with counts, spread evenly inside each bin: exact values (a bin with
``low == high``) when the statistics list the target's distinct values or when computed from values,
else the statistics histogram.

The test (:func:`compare_target_distributions`): a NUMERIC target is cut into ten bins at the
training target's deciles (repeated deciles merged); classes are compared as they are. The two
distributions differ when

* the total-variation distance between the shares, ``½ Σ |p_training − p_evaluation|`` (the share of
  records that would have to change bin), is at least :data:`DISTANCE_THRESHOLD` (0.1), **and**
* a chi-square test of homogeneity on the counts rejects equality at :data:`P_VALUE_THRESHOLD` (0.01),

so that neither the sampling noise of a small evaluation set nor a negligible shift in a huge one
raises the alert. Statistics are partly approximate (top classes, histogram bins), so, as in
Amazon ML, the alert can occasionally fire without a real difference.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from openaml.engine.evaluation.result import FloatArray
from openaml.engine.models import ModelType

DISTANCE_THRESHOLD = 0.1
P_VALUE_THRESHOLD = 0.01
_DECILES = tuple(q / 10 for q in range(1, 10))


@dataclass(frozen=True)
class ClassDistribution:
    """How many records have each target class."""

    counts: Mapping[str, float]


@dataclass(frozen=True)
class NumericDistribution:
    """Counts of a numeric target in bins ``[lows[i], highs[i]]`` (equal ends: one exact value)."""

    lows: FloatArray
    highs: FloatArray
    counts: FloatArray

    @property
    def total(self) -> float:
        """Number of records described."""
        return float(self.counts.sum())

    def count_at_or_below(self, cuts: FloatArray) -> FloatArray:
        """Number of records with a value ≤ each cut, counting a bin's records as evenly spread."""
        width = self.highs - self.lows
        inside = np.clip(
            np.divide(
                cuts[:, np.newaxis] - self.lows,
                width,
                out=np.ones((len(cuts), len(width))),
                where=width > 0,
            ),
            0.0,
            1.0,
        )
        inside[cuts[:, np.newaxis] < self.lows] = 0.0
        return np.asarray(inside @ self.counts, dtype=np.float64)

    def quantile(self, level: float) -> float:
        """The value below which a share ``level`` of the records lies."""
        wanted = level * self.total
        cumulative = np.cumsum(self.counts)
        position = min(int(np.searchsorted(cumulative, wanted, side="left")), len(cumulative) - 1)
        before = cumulative[position] - self.counts[position]
        share = (wanted - before) / self.counts[position] if self.counts[position] else 0.0
        return float(self.lows[position] + share * (self.highs[position] - self.lows[position]))


TargetDistribution = ClassDistribution | NumericDistribution


def target_distribution_from_values(values: npt.ArrayLike, model_type: ModelType) -> TargetDistribution:
    """The distribution of a typed target column (missing values left out)."""
    array = np.asarray(values, dtype=np.float64 if model_type is ModelType.REGRESSION else object)
    present = array[~np.asarray(pd.isna(array), dtype=np.bool_)]
    if model_type is ModelType.REGRESSION:
        unique, counts = np.unique(present, return_counts=True)
        return NumericDistribution(unique, unique, counts.astype(np.float64))
    return ClassDistribution(dict(Counter(_class_name(value) for value in present)))


def target_distribution_from_statistics(statistics: Mapping[str, Any]) -> TargetDistribution | None:
    """The target distribution in a statistics JSON document, or None when it describes none."""
    target = statistics.get("target")
    if not target:
        return None
    distribution = target.get("distribution") or []
    if target.get("type") != "NUMERIC":
        counts = {str(entry["value"]): float(entry["count"]) for entry in distribution}
        return ClassDistribution(counts) if counts else None
    if distribution:
        values = np.array([float(entry["value"]) for entry in distribution])
        counts_array = np.array([float(entry["count"]) for entry in distribution])
        order = np.argsort(values)
        return NumericDistribution(values[order], values[order], counts_array[order])
    histogram = (target.get("numeric") or {}).get("histogram") or {}
    if not histogram.get("counts"):
        return None
    edges = np.asarray(histogram["edges"], dtype=np.float64)
    return NumericDistribution(edges[:-1], edges[1:], np.asarray(histogram["counts"], dtype=np.float64))


@dataclass(frozen=True)
class DistributionComparison:
    """The two distributions on common bins, with the distance and the test's p-value."""

    bins: tuple[str, ...]
    training_counts: FloatArray
    evaluation_counts: FloatArray
    distance: float
    p_value: float

    @property
    def differs(self) -> bool:
        """Whether the difference is both large and statistically significant."""
        return self.distance >= DISTANCE_THRESHOLD and self.p_value < P_VALUE_THRESHOLD

    def largest_change(self) -> tuple[str, float, float]:
        """The bin whose share changed most: its name, training share and evaluation share."""
        training = self.training_counts / self.training_counts.sum()
        evaluation = self.evaluation_counts / self.evaluation_counts.sum()
        position = int(np.argmax(np.abs(training - evaluation)))
        return self.bins[position], float(training[position]), float(evaluation[position])


def compare_target_distributions(
    training: TargetDistribution, evaluation: TargetDistribution
) -> DistributionComparison:
    """Compare two distributions of the same kind; ``ValueError`` for a class and a numeric one."""
    if isinstance(training, ClassDistribution) and isinstance(evaluation, ClassDistribution):
        bins = tuple(sorted(set(training.counts) | set(evaluation.counts)))
        training_counts = np.array([training.counts.get(name, 0.0) for name in bins], dtype=np.float64)
        evaluation_counts = np.array([evaluation.counts.get(name, 0.0) for name in bins], dtype=np.float64)
    elif isinstance(training, NumericDistribution) and isinstance(evaluation, NumericDistribution):
        bins, training_counts, evaluation_counts = _numeric_bins(training, evaluation)
    else:
        raise ValueError("cannot compare a class distribution with a numeric one")
    return _compare(bins, training_counts, evaluation_counts)


def _numeric_bins(
    training: NumericDistribution, evaluation: NumericDistribution
) -> tuple[tuple[str, ...], FloatArray, FloatArray]:
    cuts = np.unique([training.quantile(level) for level in _DECILES])

    def per_bin(distribution: NumericDistribution) -> FloatArray:
        below = distribution.count_at_or_below(cuts)
        return np.diff(np.concatenate([[0.0], below, [distribution.total]]))

    names = [f"≤ {cuts[0]:.6g}"]
    names += [f"{low:.6g} – {high:.6g}" for low, high in itertools.pairwise(cuts)]
    names.append(f"> {cuts[-1]:.6g}")
    return tuple(names), per_bin(training), per_bin(evaluation)


def _compare(bins: tuple[str, ...], training: FloatArray, evaluation: FloatArray) -> DistributionComparison:
    training = np.clip(training, 0.0, None)
    evaluation = np.clip(evaluation, 0.0, None)
    if training.sum() == 0 or evaluation.sum() == 0:
        return DistributionComparison(bins, training, evaluation, 0.0, 1.0)
    distance = 0.5 * float(np.abs(training / training.sum() - evaluation / evaluation.sum()).sum())
    occupied = (training + evaluation) > 0
    if np.count_nonzero(occupied) < 2:
        return DistributionComparison(bins, training, evaluation, distance, 1.0)
    table = np.vstack([training[occupied], evaluation[occupied]])
    p_value = float(stats.chi2_contingency(table).pvalue)
    return DistributionComparison(
        bins, training, evaluation, distance, p_value if math.isfinite(p_value) else 1.0
    )


def _class_name(value: object) -> str:
    """A class as the statistics JSON writes it: BINARY 1.0 as ``"1"``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
