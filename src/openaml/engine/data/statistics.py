"""Datasource statistics, accumulated batch by batch in bounded memory during the ingest pass.

The result is the statistics JSON of the project's contract (``version`` 1). How each figure is made:

* ``count``/``missing`` cover the valid records: values present / empty. ``invalid`` counts the
  records rejected because of this attribute's value (for a required target, also a missing one).
* ``distinct``: exact up to a per-attribute capacity (10,000 values; 2,000,000 divided by the number
  of attributes when that is smaller, but at least 1,000), then a HyperLogLog estimate (about 1 %
  error) and ``distinctIsApproximate`` is true.
* NUMERIC: ``min``, ``max``, ``mean`` and ``stddev`` (sample, ``n - 1``) are exact. ``quantiles`` come
  from a uniform sample of valid records (50,000 records; 500,000 divided by the number of attributes
  when that is smaller, but at least 1,000): exact when the datasource has no more records than
  that. ``quantileEdges``: the 11 edges of 10 equal-frequency bins (the 0, 0.1, ..., 1 quantiles), from
  the same sample; drift reports bin by them (PSI). ``histogram``: at most 50 equal-width bins with
  exact counts, from the minimum to the maximum.
* CATEGORICAL and BINARY ``topValues``: the 10 most frequent values (BINARY as ``"0"``/``"1"``), exact
  while the attribute has at most the distinct capacity of values, else from a Misra–Gries summary
  (counts may fall short by at most records / capacity).
* TEXT: values are split into tokens on whitespace only (space, tab, line breaks; punctuation stays in
  tokens, letter case is kept), as Amazon ML did. ``tokens`` and ``tokensPerRecord`` count tokens,
  ``tokenLength`` is in characters, ``topTokens`` are the 20 most frequent tokens with the number of
  records containing them. ``distinct`` counts distinct token sequences: values that differ only in
  whitespace count once.
* The rowId gets ``count``, ``missing`` and ``distinct`` only.
* ``sampleRows``: how many valid records the uniform record sample above holds. The sample itself (every
  attribute but the rowId, text cut to 256 characters) is :meth:`StatisticsAccumulator.sample`, which
  the ingest job stores beside the statistics as ``sample.parquet``: the bounded reservoir drift reports
  compare (its size is fixed, so memory stays flat however many records are read).
* ``correlationToTarget`` is the mutual information, in bits, between the attribute and the target,
  estimated on the record sample above. Both sides are discretised: NUMERIC into 10 equal-frequency
  bins, CATEGORICAL into its 20 most frequent sample values plus "other", BINARY as 0/1, a missing
  value is a category of its own; for a TEXT attribute it is the largest mutual information between
  the target and the presence of one of the attribute's 100 most frequent tokens. A CATEGORICAL target
  keeps its 100 most frequent classes. Records whose target is missing are left out. It is null for the
  target, the rowId, and when there is no target.
* Statistics computed per file on Dask workers are merged (:meth:`StatisticsAccumulator.merge`): every
  figure keeps its guarantee, the record sample is drawn from all files alike (row keys hash the
  file's number and the record's position in it), and histogram bins may differ from a one-pass
  run by the values within 1/1024 of the range of a bin edge (see :mod:`.sketches`).
* ``target.distribution``: the target's value counts (BINARY as ``"0"``/``"1"``); for a NUMERIC target
  the counts of its values when it has at most 100 distinct values, else empty (see ``numeric``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from openaml.engine.data.schema import AttributeRole, AttributeType, DataSchema
from openaml.engine.data.sketches import (
    DistinctCounter,
    GrowingHistogram,
    HeavyHitters,
    Moments,
    RowSample,
    hash_floats,
    hash_strings,
    mix64,
    sorted_unique,
)
from openaml.engine.data.validation import TypedBatch

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
_EDGE_QUANTILES = np.linspace(0.0, 1.0, 11)
TOP_VALUES = 10
TOP_TOKENS = 20
MAX_TARGET_CLASSES = 100
_HISTOGRAM_BINS = 50
_MI_NUMERIC_BINS = 10
_MI_CATEGORIES = 20
_MI_TEXT_TOKENS = 100
_SAMPLE_TEXT_CHARS = 256
_SEQUENCE_BASE = np.uint64(0x100000001B3)
#: Record positions of part ``p`` start at ``p << 40`` (a part may hold up to 2**40 records).
_PART_POSITION_BITS = 40

IntArray = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class StatisticsLimits:
    """Memory bounds of the accumulators; :meth:`for_schema` scales them to the number of attributes."""

    sample_rows: int = 50_000
    distinct_capacity: int = 10_000

    @classmethod
    def for_schema(cls, schema: DataSchema) -> StatisticsLimits:
        attributes = len(schema.attributes)
        return cls(
            sample_rows=max(1_000, min(50_000, 500_000 // attributes)),
            distinct_capacity=max(1_000, min(10_000, 2_000_000 // attributes)),
        )


class _AttributeStats:
    """What every attribute reports: counts of present, missing and invalid values, distinct values."""

    def __init__(self, name: str, kind: AttributeType, role: AttributeRole, capacity: int) -> None:
        self.name = name
        self.kind = kind
        self.role = role
        self.count = 0
        self.missing = 0
        self.invalid = 0
        self.distinct = DistinctCounter(capacity)
        self._start(capacity)

    def _start(self, capacity: int) -> None:
        """Create the type-specific accumulators (bounded by ``capacity`` values where they count)."""

    def add(self, column: pa.Array) -> None:
        present = column.drop_null()
        self.missing += len(column) - len(present)
        self.count += len(present)
        if len(present):
            self._add_present(present)

    def _add_present(self, present: pa.Array) -> None:
        self.distinct.add(hash_strings(pc.unique(present) if self.distinct.is_exact else present))

    def merge(self, other: _AttributeStats) -> None:
        """Take in ``other``, the same attribute's statistics over other records."""
        self.count += other.count
        self.missing += other.missing
        self.invalid += other.invalid
        self.distinct.merge(other.distinct)
        self._merge_more(other)

    def _merge_more(self, other: Any) -> None:
        """Merge the type-specific accumulators (``other`` is of this class)."""

    def result(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.kind.value,
            "role": self.role.value,
            "count": self.count,
            "missing": self.missing,
            "invalid": self.invalid,
            "distinct": self.distinct.count,
            "distinctIsApproximate": not self.distinct.is_exact,
        }


class _NumericStats(_AttributeStats):
    def _start(self, capacity: int) -> None:
        self.moments = Moments()
        self.histogram = GrowingHistogram()
        # The target's value counts, for its distribution while it has few distinct values.
        self.values: dict[float, int] | None = {} if self.role is AttributeRole.TARGET else None

    def _add_present(self, present: pa.Array) -> None:
        values = present.to_numpy()
        self.moments.add(values)
        self.histogram.add(values)
        self.distinct.add(hash_floats(pc.unique(present).to_numpy() if self.distinct.is_exact else values))
        if self.values is not None:
            counts = pc.value_counts(present)
            for value, count in zip(
                counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
            ):
                self.values[value] = self.values.get(value, 0) + count
            if len(self.values) > MAX_TARGET_CLASSES:
                self.values = None

    def _merge_more(self, other: _NumericStats) -> None:
        self.moments.merge(other.moments)
        self.histogram.merge(other.histogram)
        if self.values is None or other.values is None:
            self.values = None
            return
        for value, count in other.values.items():
            self.values[value] = self.values.get(value, 0) + count
        if len(self.values) > MAX_TARGET_CLASSES:
            self.values = None

    def numeric(self, sample: Float64Array | None) -> dict[str, Any]:
        moments = self.moments
        if moments.count == 0:
            return {
                "min": None,
                "max": None,
                "mean": None,
                "stddev": None,
                "quantiles": None,
                "quantileEdges": None,
                "histogram": None,
            }
        quantiles = edges = None
        if sample is not None and len(sample):
            quantiles = {
                str(q): float(v) for q, v in zip(QUANTILES, np.quantile(sample, QUANTILES), strict=True)
            }
            edges = [float(v) for v in np.quantile(sample, _EDGE_QUANTILES)]
        return {
            "min": moments.minimum,
            "max": moments.maximum,
            "mean": moments.mean,
            "stddev": moments.stddev,
            "quantiles": quantiles,
            "quantileEdges": edges,
            "histogram": self.histogram.result(moments.minimum, moments.maximum, _HISTOGRAM_BINS),
        }

    def distribution(self) -> list[dict[str, Any]]:
        if self.values is None:
            return []
        ranked = sorted(self.values.items(), key=lambda item: (-item[1], item[0]))
        return [{"value": _format_number(value), "count": count} for value, count in ranked]


class _BinaryStats(_AttributeStats):
    def _start(self, capacity: int) -> None:
        self.ones = 0

    def _add_present(self, present: pa.Array) -> None:
        self.ones += int(np.count_nonzero(present.to_numpy() == 1.0))

    def _merge_more(self, other: _BinaryStats) -> None:
        self.ones += other.ones

    def top_values(self) -> list[dict[str, Any]]:
        counts = [("1", self.ones), ("0", self.count - self.ones)]
        return [{"value": v, "count": c} for v, c in sorted(counts, key=lambda item: -item[1]) if c]

    def result(self) -> dict[str, Any]:
        result = super().result()
        result["distinct"] = int(self.ones > 0) + int(self.count > self.ones)
        result["distinctIsApproximate"] = False
        return result


class _CategoricalStats(_AttributeStats):
    def _start(self, capacity: int) -> None:
        self.values = HeavyHitters(capacity)

    def _add_present(self, present: pa.Array) -> None:
        counts = pc.value_counts(present)
        values = counts.field("values")
        self.values.add(values.to_pylist(), counts.field("counts").to_pylist())
        self.distinct.add(hash_strings(values))

    def _merge_more(self, other: _CategoricalStats) -> None:
        self.values.merge(other.values)

    def top_values(self, limit: int = TOP_VALUES) -> list[dict[str, Any]]:
        return [{"value": value, "count": count} for value, count in self.values.most_common(limit)]


class _TextStats(_AttributeStats):
    def _start(self, capacity: int) -> None:
        self.token_counts = HeavyHitters(capacity)
        self.token_records = HeavyHitters(capacity)
        self.distinct_tokens = DistinctCounter(capacity)
        self.tokens = 0
        self.per_record = Moments()
        self.shortest_token: int | None = None
        self.longest_token = 0

    def _add_present(self, present: pa.Array) -> None:
        split = pc.ascii_split_whitespace(present)
        encoded = pc.dictionary_encode(pc.list_flatten(split))
        words, codes = encoded.dictionary, encoded.indices.to_numpy().astype(np.intp)
        parents = pc.list_parent_indices(split).to_numpy().astype(np.intp)
        # Leading or trailing whitespace yields one empty "token": drop it by its code.
        empty = pc.index(words, "").as_py()
        if empty >= 0:
            kept = codes != empty
            codes, parents = codes[kept], parents[kept]
        per_record = np.bincount(parents, minlength=len(present))
        self.per_record.add(per_record.astype(np.float64))
        word_hashes = hash_strings(words)
        self.distinct.add(_token_sequence_hashes(word_hashes[codes], parents, per_record))
        self.tokens += len(codes)
        if not len(codes):
            return
        word_list = words.to_pylist()
        token_counts = np.bincount(codes, minlength=len(words))
        pairs = parents.astype(np.uint64) * np.uint64(len(words)) + codes.astype(np.uint64)
        record_counts = np.bincount(sorted_unique(pairs) % np.uint64(len(words)), minlength=len(words))
        if empty >= 0:
            del word_list[empty]
            token_counts, record_counts = np.delete(token_counts, empty), np.delete(record_counts, empty)
            word_hashes = np.delete(word_hashes, empty)
            words = pa.array(word_list, type=pa.string())
        self.token_counts.add(word_list, token_counts.tolist())
        self.token_records.add(word_list, record_counts.tolist())
        self.distinct_tokens.add(word_hashes)
        lengths = pc.min_max(pc.utf8_length(words)).as_py()
        shortest = lengths["min"] if self.shortest_token is None else min(self.shortest_token, lengths["min"])
        self.shortest_token = shortest
        self.longest_token = max(self.longest_token, lengths["max"])

    def _merge_more(self, other: _TextStats) -> None:
        self.token_counts.merge(other.token_counts)
        self.token_records.merge(other.token_records)
        self.distinct_tokens.merge(other.distinct_tokens)
        self.tokens += other.tokens
        self.per_record.merge(other.per_record)
        if other.shortest_token is not None:
            self.shortest_token = (
                other.shortest_token
                if self.shortest_token is None
                else min(self.shortest_token, other.shortest_token)
            )
        self.longest_token = max(self.longest_token, other.longest_token)

    def text(self) -> dict[str, Any]:
        records = dict(self.token_records.most_common(len(self.token_records)))
        return {
            "tokens": self.tokens,
            "distinctTokens": self.distinct_tokens.count,
            "tokensPerRecord": _int_range(self.per_record) | {"mean": self.per_record.mean},
            "tokenLength": {"min": self.shortest_token or 0, "max": self.longest_token},
            "topTokens": [
                {"token": token, "count": count, "records": records.get(token, 0)}
                for token, count in self.token_counts.most_common(TOP_TOKENS)
            ],
        }


class StatisticsAccumulator:
    """Collects the statistics of a datasource from its typed batches, in bounded memory."""

    def __init__(self, schema: DataSchema, limits: StatisticsLimits | None = None, *, part: int = 0) -> None:
        """``part`` numbers the accumulators whose results will be merged (one per file on a cluster)."""
        self._schema = schema
        self._first_position = part << _PART_POSITION_BITS
        limits = limits or StatisticsLimits.for_schema(schema)
        self._stats = {a.name: self._new_stats(a.name, a.type, limits) for a in schema.attributes}
        self._records = 0
        self._invalid = 0
        self._valid = 0
        # Every attribute but the rowId: mutual information and drift reports both read the sample.
        self._sampled = [a.name for a in schema.attributes if a.name != schema.row_id]
        self._sample = RowSample(limits.sample_rows, prepare=_shorten_strings)

    def _new_stats(self, name: str, kind: AttributeType, limits: StatisticsLimits) -> _AttributeStats:
        role = self._schema.role(name)
        kinds: dict[AttributeType, type[_AttributeStats]] = {
            AttributeType.NUMERIC: _NumericStats,
            AttributeType.BINARY: _BinaryStats,
            AttributeType.CATEGORICAL: _CategoricalStats,
            AttributeType.TEXT: _TextStats,
        }
        stats_type = _AttributeStats if role is AttributeRole.ROW_ID else kinds[kind]
        return stats_type(name, kind, role, limits.distinct_capacity)

    def add(self, batch: TypedBatch) -> None:
        """Take in one validated batch (its invalid counts and its valid records)."""
        self._records += batch.records
        self._invalid += batch.invalid_records
        for name, count in batch.invalid_by_attribute.items():
            self._stats[name].invalid += count
        valid = batch.valid_columns()
        for name, stats in self._stats.items():
            stats.add(valid.column(name))
        if self._sampled and valid.num_rows:
            first = self._first_position + self._valid
            positions = np.arange(first, first + valid.num_rows, dtype=np.int64)
            self._sample.add(valid.select(self._sampled), positions)
        self._valid += valid.num_rows

    def sample(self) -> pa.Table | None:
        """The uniform sample of valid records (every attribute but the rowId), None when none was valid."""
        return self._sample.rows()

    def merge(self, other: StatisticsAccumulator) -> None:
        """Take in ``other``: the same schema's statistics over other records (another ``part``)."""
        self._records += other._records
        self._invalid += other._invalid
        self._valid += other._valid
        for name, stats in self._stats.items():
            stats.merge(other._stats[name])
        self._sample.merge(other._sample)

    def result(self) -> dict[str, Any]:
        """The statistics JSON document (a dict ready for ``json.dumps``)."""
        schema = self._schema
        sample = self._sample.rows()
        target_name = schema.target_attribute_name
        target_codes = None
        if target_name is not None and sample is not None:
            target_codes = _target_codes(sample.column(target_name), schema.attribute(target_name).type)
        attributes = []
        for name, stats in self._stats.items():
            entry = stats.result()
            sampled = sample.column(name) if sample is not None and name in self._sampled else None
            entry.update(_type_block(stats, sampled))
            correlation = None
            if target_codes is not None and sampled is not None and stats.role is not AttributeRole.TARGET:
                value = _correlation(stats, sampled, target_codes)
                correlation = {"measure": "mutualInformation", "value": value}
            entry["correlationToTarget"] = correlation
            attributes.append(entry)
        return {
            "version": 1,
            "recordsRead": self._records,
            "validRecords": self._valid,
            "invalidRecords": self._invalid,
            "sampleRows": sample.num_rows if sample is not None else 0,
            "targetAttributeName": target_name,
            "attributes": attributes,
            "target": self._target(sample),
        }

    def _target(self, sample: pa.Table | None) -> dict[str, Any] | None:
        name = self._schema.target_attribute_name
        if name is None:
            return None
        stats = self._stats[name]
        target: dict[str, Any] = {"name": name, "type": stats.kind.value}
        if isinstance(stats, _NumericStats):
            target["distribution"] = stats.distribution()
            target["numeric"] = stats.numeric(_present_numbers(sample.column(name)) if sample else None)
        elif isinstance(stats, _CategoricalStats):
            target["distribution"] = stats.top_values(MAX_TARGET_CLASSES)
        elif isinstance(stats, _BinaryStats):
            target["distribution"] = stats.top_values()
        else:
            target["distribution"] = []
        return target


def _token_sequence_hashes(
    token_hashes: npt.NDArray[np.uint64], parents: npt.NDArray[np.intp], per_record: npt.NDArray[np.intp]
) -> npt.NDArray[np.uint64]:
    """One hash per record from its tokens' hashes in order (a polynomial in an odd constant)."""
    starts = np.cumsum(per_record) - per_record
    positions = np.arange(len(token_hashes)) - starts[parents]
    terms = token_hashes * np.power(_SEQUENCE_BASE, positions.astype(np.uint64), dtype=np.uint64)
    sums = np.zeros(len(per_record), dtype=np.uint64)
    filled = per_record > 0
    if filled.any():
        sums[filled] = np.add.reduceat(terms, starts[filled])
    return mix64(sums ^ per_record.astype(np.uint64))


def _shorten_strings(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with long strings cut (the sample only needs their beginning)."""
    columns = [
        pc.utf8_slice_codeunits(column, 0, _SAMPLE_TEXT_CHARS) if pa.types.is_string(column.type) else column
        for column in batch.columns
    ]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _type_block(stats: _AttributeStats, sampled: pa.ChunkedArray | None) -> dict[str, Any]:
    if isinstance(stats, _NumericStats):
        return {"numeric": stats.numeric(_present_numbers(sampled) if sampled is not None else None)}
    if isinstance(stats, _BinaryStats | _CategoricalStats):
        return {"topValues": stats.top_values()}
    if isinstance(stats, _TextStats):
        return {"text": stats.text()}
    return {}


def _present_numbers(column: pa.ChunkedArray) -> Float64Array:
    return np.asarray(column.drop_null().to_numpy(), dtype=np.float64)


def _int_range(moments: Moments) -> dict[str, int]:
    if moments.count == 0:
        return {"min": 0, "max": 0}
    return {"min": int(moments.minimum), "max": int(moments.maximum)}


def _format_number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


# --- mutual information ----------------------------------------------------------------------------


def _target_codes(column: pa.ChunkedArray, kind: AttributeType) -> IntArray:
    """Target classes as codes 0..k-1, -1 where the target is missing."""
    if kind is AttributeType.NUMERIC:
        codes = _quantile_codes(column)
    elif kind is AttributeType.BINARY:
        codes = _binary_codes(column)
    else:
        codes = _category_codes(column, MAX_TARGET_CLASSES)
    codes[_is_missing(column)] = -1
    return codes


def _correlation(stats: _AttributeStats, column: pa.ChunkedArray, target: IntArray) -> float:
    known = target >= 0
    if isinstance(stats, _TextStats):
        tokens = [token for token, _ in stats.token_counts.most_common(_MI_TEXT_TOKENS)]
        presence = _token_presence(column, tokens)[known]
        return max(
            (_mutual_information(presence[:, i], target[known]) for i in range(len(tokens))), default=0.0
        )
    if stats.kind is AttributeType.NUMERIC:
        codes = _quantile_codes(column)
    elif stats.kind is AttributeType.BINARY:
        codes = _binary_codes(column)
    else:
        codes = _category_codes(column, _MI_CATEGORIES)
    return _mutual_information(codes[known], target[known])


def _mutual_information(x: npt.NDArray[Any], y: IntArray) -> float:
    """Mutual information in bits of two discrete variables given as integer codes."""
    if len(x) == 0:
        return 0.0
    _, x_codes = np.unique(x, return_inverse=True)
    _, y_codes = np.unique(y, return_inverse=True)
    nx, ny = int(x_codes.max()) + 1, int(y_codes.max()) + 1
    joint = np.bincount(x_codes * ny + y_codes, minlength=nx * ny).reshape(nx, ny) / len(x)
    expected = np.outer(joint.sum(axis=1), joint.sum(axis=0))
    present = joint > 0
    value = float(np.sum(joint[present] * np.log2(joint[present] / expected[present])))
    return max(value, 0.0)


def _is_missing(column: pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    return np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def _quantile_codes(column: pa.ChunkedArray) -> IntArray:
    values = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
    missing = np.isnan(values)
    codes = np.full(len(values), _MI_NUMERIC_BINS + 1, dtype=np.int64)
    if (~missing).any():
        inner = np.linspace(0, 1, _MI_NUMERIC_BINS + 1)[1:-1]
        edges = np.unique(np.quantile(values[~missing], inner))
        codes[~missing] = np.searchsorted(edges, values[~missing], side="right")
    return codes


def _binary_codes(column: pa.ChunkedArray) -> IntArray:
    values = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
    return np.where(np.isnan(values), 2, values).astype(np.int64)


def _category_codes(column: pa.ChunkedArray, keep: int) -> IntArray:
    counts = pc.value_counts(column.drop_null())
    order = np.argsort(-counts.field("counts").to_numpy(), kind="stable")[:keep]
    top = counts.field("values").take(pa.array(order))
    index = pc.index_in(column, value_set=top)
    codes = np.asarray(pc.fill_null(index, keep).to_numpy(zero_copy_only=False), dtype=np.int64)
    codes[_is_missing(column)] = keep + 1
    return codes


def _token_presence(column: pa.ChunkedArray, tokens: list[str]) -> npt.NDArray[np.bool_]:
    """A (records × tokens) matrix: whether each record's text contains each token."""
    presence = np.zeros((len(column), len(tokens)), dtype=bool)
    if not tokens:
        return presence
    split = pc.ascii_split_whitespace(column.combine_chunks())
    flat = pc.list_flatten(split)
    parents = pc.list_parent_indices(split).to_numpy()
    index = pc.index_in(flat, value_set=pa.array(tokens))
    known = np.asarray(pc.is_valid(index).to_numpy(zero_copy_only=False), dtype=bool)
    presence[parents[known], index.drop_null().to_numpy()] = True
    return presence
