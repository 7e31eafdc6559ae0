"""The distances a drift report uses: PSI, normalised Wasserstein and Jensen–Shannon.

All three are distances between two distributions, not test statistics: at hundreds of thousands of
records every tiny difference is "significant" as a p-value, while these stay near 0 for samples of
the same distribution and grow with the size of the change.

* :func:`population_stability_index` — PSI over the baseline's quantile bins:
  ``sum((c - b) * ln(c / b))`` over bins, with both shares clipped to at least ``1e-4`` so an empty
  bin gives a large, finite value. Values outside the baseline's range fall into the outer bins
  (clipping). Rules of thumb: below 0.1 stable, 0.1–0.25 a moderate shift, above 0.25 a major one.
* :func:`normalised_wasserstein` — the earth mover's distance between the two samples
  (``scipy.stats.wasserstein_distance``) divided by the baseline's standard deviation, so it reads
  "how many baseline standard deviations the mass moved on average".
* :func:`jensen_shannon` — the Jensen–Shannon distance (``scipy.spatial.distance.jensenshannon``,
  base 2: between 0 and 1) of two category distributions on the union of their categories.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

Float64Array = npt.NDArray[np.float64]

#: The number of quantile bins PSI compares.
PSI_BINS = 10
#: The smallest share a PSI bin counts with (an empty bin would make the index infinite).
PSI_FLOOR = 1e-4


def quantile_edges(values: Float64Array, bins: int = PSI_BINS) -> list[float]:
    """The ``bins + 1`` edges at the 0, 1/bins, ..., 1 quantiles of ``values`` (finite, not empty)."""
    return [float(v) for v in np.quantile(values, np.linspace(0.0, 1.0, bins + 1))]


def bin_shares(values: Float64Array, edges: list[float]) -> Float64Array:
    """The share of ``values`` in each bin between the distinct inner ``edges``, outer bins open-ended.

    Repeated edges (a value that fills several quantiles) merge their bins, so a discrete attribute has
    as many bins as it has distinct quantiles.
    """
    inner = np.unique(np.asarray(edges[1:-1], dtype=np.float64))
    index = np.searchsorted(inner, values, side="right")
    counts = np.bincount(index, minlength=len(inner) + 1).astype(np.float64)
    total = counts.sum()
    return counts / total if total else counts


def population_stability_index(baseline: Float64Array, current: Float64Array, edges: list[float]) -> float:
    """PSI of ``current`` against ``baseline`` on the bins of ``edges`` (see the module docstring)."""
    expected = np.clip(bin_shares(baseline, edges), PSI_FLOOR, None)
    actual = np.clip(bin_shares(current, edges), PSI_FLOOR, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def normalised_wasserstein(baseline: Float64Array, current: Float64Array) -> float:
    """Wasserstein-1 distance between the samples over the baseline's standard deviation."""
    scale = float(np.std(baseline))
    distance = float(wasserstein_distance(baseline, current))
    if scale <= 0.0:
        return 0.0 if distance == 0.0 else float("inf")
    return distance / scale


def jensen_shannon(baseline: Mapping[str, float], current: Mapping[str, float]) -> float:
    """Jensen–Shannon distance (base 2, in [0, 1]) of two category counts; 0 when either is empty."""
    categories = sorted(set(baseline) | set(current))
    p = np.array([baseline.get(c, 0.0) for c in categories], dtype=np.float64)
    q = np.array([current.get(c, 0.0) for c in categories], dtype=np.float64)
    if p.sum() <= 0 or q.sum() <= 0:
        return 0.0
    return float(jensenshannon(p, q, base=2.0))
