"""Bounded-memory summaries that are updated batch by batch and never hold the whole data.

* :class:`Moments` — count, min, max, mean and variance (Chan's parallel update).
* :class:`GrowingHistogram` — exact bin counts on a fixed number of equal-width bins whose range
  doubles (merging neighbouring bins) whenever a value falls outside it.
* :class:`DistinctCounter` — exact distinct count up to a capacity, then a HyperLogLog estimate.
* :class:`HeavyHitters` — value counts, exact up to a capacity, then a Misra–Gries summary.
* :class:`RowSample` — a uniform sample of rows of fixed size (bottom-k of a hash of the row position).

Every summary can :meth:`merge` another of its kind built from other rows (another file, on another
Dask worker): the result summarises both inputs with the same guarantees, except that a merged
:class:`GrowingHistogram` places the other side's fine bins by their centres (the 50 bins reported are
then exact up to one fine bin, 1/1024 of the range, at their edges).

Values are identified by 64-bit hashes (:func:`hash_floats`, :func:`hash_strings`); two distinct
values colliding is astronomically unlikely at the capacities used here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

Float64Array = npt.NDArray[np.float64]
UInt64Array = npt.NDArray[np.uint64]

_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)


def mix64(values: UInt64Array) -> UInt64Array:
    """The SplitMix64 finaliser: a fast, well-spread bijection on 64-bit integers."""
    state = values ^ (values >> np.uint64(30))
    state = state * _MIX_1
    state = (state ^ (state >> np.uint64(27))) * _MIX_2
    return np.asarray(state ^ (state >> np.uint64(31)), dtype=np.uint64)


def hash_floats(values: Float64Array) -> UInt64Array:
    """64-bit hashes of floats (``-0.0`` and ``0.0`` hash alike)."""
    normalized = np.where(values == 0.0, 0.0, values).astype(np.float64)
    return mix64(normalized.view(np.uint64))


def hash_strings(values: pa.Array) -> UInt64Array:
    """64-bit hashes of the strings in an Arrow array (without nulls)."""
    objects = np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)
    return np.asarray(pd.util.hash_array(objects, categorize=False), dtype=np.uint64)


def hash_positions(positions: npt.NDArray[np.int64]) -> UInt64Array:
    """64-bit pseudo-random keys of row positions (used to sample rows reproducibly)."""
    return mix64(positions.astype(np.uint64) * _GOLDEN_GAMMA)


class Moments:
    """Count, extremes, mean and variance of a stream of numbers, merged batch by batch."""

    def __init__(self) -> None:
        self.count = 0
        self.mean = 0.0
        self._m2 = 0.0
        self.minimum = math.inf
        self.maximum = -math.inf

    def add(self, values: Float64Array) -> None:
        """Add the (finite) ``values`` of one batch."""
        n = len(values)
        if n == 0:
            return
        batch_mean = float(values.mean())
        batch_m2 = float(((values - batch_mean) ** 2).sum())
        total = self.count + n
        delta = batch_mean - self.mean
        self.mean += delta * n / total
        self._m2 += batch_m2 + delta * delta * self.count * n / total
        self.count = total
        self.minimum = min(self.minimum, float(values.min()))
        self.maximum = max(self.maximum, float(values.max()))

    def merge(self, other: Moments) -> None:
        """Take in the values ``other`` summarised (Chan's parallel formula)."""
        if other.count == 0:
            return
        total = self.count + other.count
        delta = other.mean - self.mean
        self.mean += delta * other.count / total
        self._m2 += other._m2 + delta * delta * self.count * other.count / total
        self.count = total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)

    @property
    def stddev(self) -> float:
        """Sample standard deviation (``n - 1`` denominator); 0 for fewer than two values."""
        return math.sqrt(self._m2 / (self.count - 1)) if self.count > 1 else 0.0


class GrowingHistogram:
    """Exact counts on ``bins`` equal-width bins whose range doubles to take in new values.

    The range starts at the first batch's [min, max]; a value outside it doubles the range (towards
    that value) by merging pairs of neighbouring bins, as often as needed. Counts stay exact; bin
    edges are those of the final grid.
    """

    def __init__(self, bins: int = 1024) -> None:
        if bins < 2 or bins & (bins - 1):
            raise ValueError("bins must be a power of two")
        self._bins = bins
        self._counts = np.zeros(bins, dtype=np.int64)
        self._low = 0.0
        self._width = 0.0

    def add(self, values: Float64Array) -> None:
        """Count the (finite) ``values`` of one batch."""
        if len(values) == 0:
            return
        low, high = float(values.min()), float(values.max())
        if self._width == 0.0:
            span = high - low
            self._low = low
            self._width = (span if span > 0 else max(abs(low), 1.0)) / self._bins
        while low < self._low:
            self._double(extend_down=True)
        while high > self._low + self._width * self._bins:
            self._double(extend_down=False)
        index = np.floor((values - self._low) / self._width).astype(np.int64)
        np.clip(index, 0, self._bins - 1, out=index)
        self._counts += np.bincount(index, minlength=self._bins)

    def merge(self, other: GrowingHistogram) -> None:
        """Take in ``other``'s counts; each of its bins is counted where its centre falls here."""
        occupied = np.flatnonzero(other._counts)
        if len(occupied) == 0:
            return
        centres = other._low + other._width * (occupied.astype(np.float64) + 0.5)
        counts = other._counts[occupied]
        if self._width == 0.0:
            self._low, self._width = other._low, other._width
            self._counts = other._counts.copy()
            return
        low = other._low + other._width * float(occupied[0])
        high = other._low + other._width * float(occupied[-1] + 1)
        while low < self._low:
            self._double(extend_down=True)
        while high > self._low + self._width * self._bins:
            self._double(extend_down=False)
        index = np.floor((centres - self._low) / self._width).astype(np.int64)
        np.clip(index, 0, self._bins - 1, out=index)
        self._counts += np.bincount(index, weights=counts, minlength=self._bins).astype(np.int64)

    def _double(self, *, extend_down: bool) -> None:
        merged = self._counts.reshape(-1, 2).sum(axis=1)
        half = self._bins // 2
        self._counts = np.zeros(self._bins, dtype=np.int64)
        if extend_down:
            self._counts[half:] = merged
            self._low -= self._width * self._bins
        else:
            self._counts[:half] = merged
        self._width *= 2

    def result(
        self, minimum: float, maximum: float, max_bins: int = 50
    ) -> dict[str, list[float] | list[int]]:
        """At most ``max_bins`` bins over the occupied range; the outer edges are the exact min and max."""
        occupied = np.flatnonzero(self._counts)
        if len(occupied) == 0:
            return {"edges": [], "counts": []}
        if minimum == maximum:
            return {"edges": [minimum, maximum], "counts": [int(self._counts.sum())]}
        first, last = int(occupied[0]), int(occupied[-1])
        factor = math.ceil((last - first + 1) / max_bins)
        groups = math.ceil((last - first + 1) / factor)
        padded = np.zeros(groups * factor, dtype=np.int64)
        padded[: last - first + 1] = self._counts[first : last + 1]
        counts = padded.reshape(groups, factor).sum(axis=1)
        edges = [self._low + self._width * (first + factor * g) for g in range(groups + 1)]
        edges[0], edges[-1] = minimum, maximum
        return {"edges": edges, "counts": [int(c) for c in counts]}


class HyperLogLog:
    """The HyperLogLog distinct-count estimate (2**precision one-byte registers)."""

    def __init__(self, precision: int = 14) -> None:
        self._precision = precision
        self._registers = np.zeros(1 << precision, dtype=np.uint8)

    def add(self, hashes: UInt64Array) -> None:
        """Add 64-bit hashes."""
        if len(hashes) == 0:
            return
        p = np.uint64(self._precision)
        index = (hashes >> (np.uint64(64) - p)).astype(np.intp)
        rest = (hashes << p) | (np.uint64(1) << (p - np.uint64(1)))
        np.maximum.at(self._registers, index, _leading_zeros(rest) + 1)

    def merge(self, other: HyperLogLog) -> None:
        """Take in the hashes ``other`` saw (registers keep their maximum)."""
        np.maximum(self._registers, other._registers, out=self._registers)

    def estimate(self) -> int:
        """The estimated number of distinct hashes added (relative error about 1 %)."""
        m = float(len(self._registers))
        alpha = 0.7213 / (1 + 1.079 / m)
        raw = alpha * m * m / float(np.sum(np.exp2(-self._registers.astype(np.float64))))
        zeros = int(np.count_nonzero(self._registers == 0))
        if raw <= 2.5 * m and zeros:
            return round(m * math.log(m / zeros))
        return round(raw)


def _leading_zeros(values: UInt64Array) -> npt.NDArray[np.uint8]:
    """Leading zero bits of non-zero 64-bit integers, from the binary exponent of their float value.

    Rounding to a double can only matter when the top 53 bits are all ones (probability 2**-53).
    """
    _, exponent = np.frexp(values.astype(np.float64))
    return np.asarray(64 - exponent, dtype=np.uint8)


def sorted_unique(values: UInt64Array) -> UInt64Array:
    """The distinct values, sorted (a plain sort is much faster than ``np.unique`` on large arrays)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


class DistinctCounter:
    """Distinct values, counted exactly up to ``capacity`` and estimated by HyperLogLog beyond."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._exact: UInt64Array | None = np.empty(0, dtype=np.uint64)
        self._sketch = HyperLogLog()

    def add(self, hashes: UInt64Array) -> None:
        """Add the hashes of one batch's values (duplicates are fine)."""
        if self._exact is None:
            self._sketch.add(hashes)
            return
        self._exact = sorted_unique(np.concatenate([self._exact, hashes]))
        if len(self._exact) > self._capacity:
            self._sketch.add(self._exact)
            self._exact = None

    def merge(self, other: DistinctCounter) -> None:
        """Take in the values ``other`` counted."""
        if other._exact is not None:
            self.add(other._exact)
            return
        if self._exact is not None:
            self._sketch.add(self._exact)
            self._exact = None
        self._sketch.merge(other._sketch)

    @property
    def is_exact(self) -> bool:
        """Whether :attr:`count` is exact."""
        return self._exact is not None

    @property
    def count(self) -> int:
        """The number of distinct values (exact or estimated, see :attr:`is_exact`)."""
        return len(self._exact) if self._exact is not None else self._sketch.estimate()


class HeavyHitters:
    """Counts of the most frequent values, exact while at most ``capacity`` values are tracked.

    Beyond that it is a Misra–Gries summary: every value more frequent than ``total / capacity`` is
    kept, and its count is short by at most that much.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._counts: dict[str, int] = {}
        self.is_exact = True

    def add(self, values: Iterable[str], counts: Iterable[int]) -> None:
        """Add ``counts[i]`` occurrences of ``values[i]``."""
        tracked = self._counts
        for value, count in zip(values, counts, strict=True):
            tracked[value] = tracked.get(value, 0) + int(count)
        if len(tracked) > 2 * self._capacity:
            self._shrink()

    def merge(self, other: HeavyHitters) -> None:
        """Take in ``other``'s counts (merged Misra–Gries summaries keep the same error bound)."""
        self.is_exact = self.is_exact and other.is_exact
        self.add(list(other._counts), list(other._counts.values()))

    def _shrink(self) -> None:
        ordered = sorted(self._counts.values(), reverse=True)
        cut = ordered[self._capacity]
        self._counts = {value: count - cut for value, count in self._counts.items() if count > cut}
        self.is_exact = False

    def most_common(self, limit: int) -> list[tuple[str, int]]:
        """The ``limit`` most frequent values, by count then value."""
        if len(self._counts) > self._capacity:
            self._shrink()
        ranked = sorted(self._counts.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:limit]

    def __len__(self) -> int:
        return len(self._counts)


class RowSample:
    """A uniform random sample of at most ``size`` rows, reproducible for the same input order.

    Each row gets a key from a hash of its position; the rows with the smallest keys are kept.
    ``prepare`` transforms the rows that are kept (e.g. to shorten long strings).
    """

    def __init__(self, size: int, prepare: Callable[[pa.RecordBatch], pa.RecordBatch] | None = None) -> None:
        self._size = size
        self._prepare = prepare
        self._batches: list[pa.RecordBatch] = []
        self._keys: list[UInt64Array] = []
        self._held = 0
        self._threshold: np.uint64 | None = None

    def add(self, rows: pa.RecordBatch, positions: npt.NDArray[np.int64]) -> None:
        """Offer ``rows``, whose positions among all offered rows are ``positions``."""
        if len(positions) == 0:
            return
        keys = hash_positions(positions)
        if self._threshold is not None:
            chosen = keys < self._threshold
            if not chosen.any():
                return
            rows, keys = rows.filter(pa.array(chosen)), keys[chosen]
        self._batches.append(self._prepare(rows) if self._prepare else rows)
        self._keys.append(keys)
        self._held += len(keys)
        if self._held > 2 * self._size:
            self._compact()

    def merge(self, other: RowSample) -> None:
        """Take in ``other``'s rows; its positions must differ from this sample's (another range)."""
        for rows, keys in zip(other._batches, other._keys, strict=True):
            self._batches.append(rows)
            self._keys.append(keys)
            self._held += len(keys)
        if self._held > self._size:
            self._compact()

    def _compact(self) -> None:
        keys = np.concatenate(self._keys)
        table = pa.Table.from_batches(self._batches)
        if len(keys) > self._size:
            keep = np.argpartition(keys, self._size - 1)[: self._size]
            keys = keys[keep]
            table = table.take(pa.array(keep))
            self._threshold = np.uint64(keys.max())
        self._batches = table.combine_chunks().to_batches()
        self._keys = [keys]
        self._held = len(keys)

    def rows(self) -> pa.Table | None:
        """The sampled rows (in no particular order), or None when no row was offered."""
        if not self._batches:
            return None
        self._compact()
        return pa.Table.from_batches(self._batches)
