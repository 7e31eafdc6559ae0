"""Typing and validating raw records against a data schema.

Rules, per attribute type (Amazon ML's, made explicit):

* A field is **missing** when it is empty. Missing values never make a record invalid, except a
  missing target when the datasource is for training or evaluation (``require_target``).
* ``NUMERIC``: a decimal number such as ``42``, ``-1.5``, ``.5``, ``1e-3``; whitespace around it is
  ignored (a field of spaces is missing). ``nan``, ``inf`` and numbers too large for a double are
  invalid, as is anything else (``1,000``, ``NA``, ``#N/A``). In Parquet files, numeric columns are
  taken as they are and a floating-point NaN is missing.
* ``BINARY``: ``1, y, yes, t, true`` are 1 and ``0, n, no, f, false`` are 0, in any letter case and
  with surrounding whitespace ignored; anything else is invalid. Parquet booleans and the integers
  0/1 are accepted.
* ``CATEGORICAL`` and ``TEXT``: any value, kept exactly as written.
* The ``rowId`` attribute is never validated and is always kept as text, whatever its declared type,
  so that it passes through to batch predictions unchanged.
* A record is too large when its fields, as UTF-8 text plus separators, exceed ``max_record_bytes``
  (Amazon ML's limit: 100 KB); non-text Parquet fields count 8 bytes each.

A record is invalid when it has the wrong number of fields, is too large, has an invalid value in any
attribute (the rowId excepted) or lacks a required target. One reason is reported per record: its
size if it is too large, else its first invalid value in column order, else the missing target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from openaml.engine.data.batches import MalformedRow, RawBatch
from openaml.engine.data.schema import AttributeType, DataSchema

DEFAULT_MAX_RECORD_BYTES = 100 * 1024
#: How much of an invalid value is kept in an invalid-record report.
MAX_REPORTED_VALUE = 200

BINARY_TRUE = ("1", "y", "yes", "t", "true")
BINARY_FALSE = ("0", "n", "no", "f", "false")
_BINARY_SPELLINGS = pa.array(
    [
        spelling
        for literal in BINARY_TRUE + BINARY_FALSE
        for spelling in dict.fromkeys((literal, literal.upper(), literal.title()))
    ]
)
_BINARY_VALUES = pa.array(
    [1.0 if value.lower() in BINARY_TRUE else 0.0 for value in _BINARY_SPELLINGS.to_pylist()]
)
_NUMBER_PATTERN = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_NUMERIC_REASON = "not a finite number"
_BINARY_REASON = "not a BINARY value (1, y, yes, t, true, 0, n, no, f, false)"

BoolArray = npt.NDArray[np.bool_]
#: Maps records' positions in the whole input (0-based, across files) to whether they are selected.
RecordSelector = Callable[[npt.NDArray[np.int64]], BoolArray]


@dataclass(frozen=True)
class InvalidRecord:
    """Why one record was rejected; ``attribute``/``value`` are None when the record could not be split."""

    file_uri: str
    row_number: int
    attribute: str | None
    value: str | None
    reason: str

    def describe(self) -> str:
        """One line for logs and messages."""
        where = f"{self.file_uri} row {self.row_number}"
        if self.attribute is None:
            return f"{where}: {self.reason}"
        return f"{where}, attribute {self.attribute!r}: {self.value!r} is {self.reason}"


@dataclass
class TypedBatch:
    """Selected records of one file, typed by the schema.

    ``columns`` holds one column per schema attribute: float64 for NUMERIC and BINARY, string for
    CATEGORICAL, TEXT and the rowId; invalid values are null. When invalid records are kept
    (``keep_invalid``), they stay in place with ``valid`` False; otherwise ``columns`` holds only valid
    records. ``invalid_reports`` holds at most the requested number of reports.
    """

    file_uri: str
    columns: pa.RecordBatch
    row_numbers: npt.NDArray[np.int64]
    valid: BoolArray
    records: int
    invalid_records: int
    invalid_by_attribute: dict[str, int]
    invalid_reports: list[InvalidRecord] = field(default_factory=list)
    bytes_done: int = 0

    def valid_columns(self) -> pa.RecordBatch:
        """Only the valid records (the statistics' input)."""
        if bool(self.valid.all()):
            return self.columns
        return self.columns.filter(pa.array(self.valid))


@dataclass(frozen=True)
class ValidationOptions:
    """What makes a record invalid, and what to do with invalid records."""

    require_target: bool = False
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    keep_invalid: bool = False


def output_type(schema: DataSchema, name: str) -> pa.DataType:
    """The Arrow type of attribute ``name`` in typed batches."""
    if name == schema.row_id:
        return pa.string()
    kind = schema.attribute(name).type
    return pa.float64() if kind in (AttributeType.NUMERIC, AttributeType.BINARY) else pa.string()


def validate_batch(
    raw: RawBatch,
    schema: DataSchema,
    options: ValidationOptions,
    *,
    first_index: int,
    select: RecordSelector | None = None,
    report_limit: int = 0,
) -> TypedBatch:
    """Type and validate ``raw``; ``first_index`` is the input position of the file's first data record."""
    columns, numbers, malformed = _selected(raw, first_index, select)
    typed: list[pa.Array] = []
    problems: list[_Problem] = []
    for attribute in schema.attributes:
        values, invalid, reason = _convert(columns.column(attribute.name), schema, attribute.name)
        typed.append(values)
        if invalid is not None:
            problems.append(_Problem(attribute.name, invalid, reason))
    target = schema.target_attribute_name
    if options.require_target and target is not None:
        missing = _mask(pc.is_null(typed[schema.names.index(target)]))
        for problem in problems:
            if problem.attribute == target:
                missing &= ~problem.rows
        problems.append(_Problem(target, missing, "missing; the target is required"))
    sizes = _record_sizes(columns)
    oversize = sizes > options.max_record_bytes

    invalid_by_attribute: dict[str, int] = {}
    row_invalid = oversize.copy()
    for problem in problems:
        row_invalid |= problem.rows
        count = int(problem.rows.sum())
        if count:
            invalid_by_attribute[problem.attribute] = invalid_by_attribute.get(problem.attribute, 0) + count
    reports: list[InvalidRecord] = []
    if report_limit > 0:
        reports = [
            InvalidRecord(raw.file_uri, row.row_number, None, row.text, row.reason) for row in malformed
        ]
        for index in np.flatnonzero(row_invalid)[:report_limit]:
            reports.append(_report(raw.file_uri, int(index), numbers, columns, problems, sizes, options))
        reports = sorted(reports, key=lambda report: report.row_number)[:report_limit]

    batch = pa.RecordBatch.from_arrays(typed, names=schema.names)
    valid = ~row_invalid
    if options.keep_invalid:
        batch = _null_out(batch, row_invalid)
        if malformed:
            batch, numbers, valid = _insert_malformed(batch, numbers, valid, malformed)
    elif not bool(valid.all()):
        batch = batch.filter(pa.array(valid))
        numbers = numbers[valid]
        valid = valid[valid]
    return TypedBatch(
        file_uri=raw.file_uri,
        columns=batch,
        row_numbers=numbers,
        valid=valid,
        records=columns.num_rows + len(malformed),
        invalid_records=int(row_invalid.sum()) + len(malformed),
        invalid_by_attribute=invalid_by_attribute,
        invalid_reports=reports,
        bytes_done=raw.bytes_done,
    )


@dataclass(frozen=True)
class _Problem:
    """The rows of a batch where ``attribute`` makes the record invalid, and why."""

    attribute: str
    rows: BoolArray
    reason: str


def _selected(
    raw: RawBatch, first_index: int, select: RecordSelector | None
) -> tuple[pa.RecordBatch, npt.NDArray[np.int64], list[MalformedRow]]:
    """The records of ``raw`` (and its malformed ones) that ``select`` keeps."""
    if select is None:
        return raw.columns, raw.row_numbers, raw.malformed
    columns, numbers, malformed = raw.columns, raw.row_numbers, raw.malformed
    keep = select(first_index + numbers - raw.first_record_number)
    if not bool(keep.all()):
        columns, numbers = columns.filter(pa.array(keep)), numbers[keep]
    if malformed:
        positions = np.array([row.row_number for row in malformed], dtype=np.int64)
        chosen = select(first_index + positions - raw.first_record_number)
        malformed = [row for row, kept in zip(malformed, chosen, strict=True) if kept]
    return columns, numbers, malformed


# --- conversion kernels ----------------------------------------------------------------------------


def _convert(column: pa.Array, schema: DataSchema, name: str) -> tuple[pa.Array, BoolArray | None, str]:
    """The typed column, the mask of invalid values (None when nothing can be invalid) and the reason."""
    if name == schema.row_id:
        return _as_text(column), None, ""
    kind = schema.attribute(name).type
    if kind is AttributeType.NUMERIC:
        values, invalid = parse_numeric(column)
        return values, invalid, _NUMERIC_REASON
    if kind is AttributeType.BINARY:
        values, invalid = parse_binary(column)
        return values, invalid, _BINARY_REASON
    return _as_text(column), None, ""


def parse_numeric(column: pa.Array) -> tuple[pa.Array, BoolArray]:
    """NUMERIC values as float64 (null when missing or invalid) and the mask of invalid values."""
    if not pa.types.is_string(column.type):
        values = column.cast(pa.float64())
        values = pc.if_else(pc.is_nan(values), None, values)
        dirty = None
    else:
        try:
            values = column.cast(pa.float64())
            dirty = None
        except pa.ArrowInvalid:
            values, dirty = _parse_dirty_numbers(column)
    invalid = _mask(pc.invert(pc.is_finite(values)))
    if dirty is not None:
        invalid |= dirty
    if invalid.any():
        values = pc.if_else(pa.array(invalid), None, values)
    return values, invalid


def _parse_dirty_numbers(column: pa.Array) -> tuple[pa.Array, BoolArray]:
    """The slow path for a column with some non-numbers: the values, and where the non-numbers are."""
    trimmed = pc.utf8_trim_whitespace(column)
    numeric = pc.match_substring_regex(trimmed, _NUMBER_PATTERN)
    values = pc.if_else(numeric, trimmed, None).cast(pa.float64())
    dirty = _mask(pc.not_equal(trimmed, "")) & ~_mask(numeric)
    return values, dirty


def parse_binary(column: pa.Array) -> tuple[pa.Array, BoolArray]:
    """BINARY values as float64 0.0/1.0 (null when missing or invalid) and the mask of invalid values."""
    if pa.types.is_boolean(column.type):
        return column.cast(pa.float64()), np.zeros(len(column), dtype=bool)
    if not pa.types.is_string(column.type):
        numbers = column.cast(pa.float64())
        known = pc.or_(pc.equal(numbers, 1.0), pc.equal(numbers, 0.0))
        values = pc.if_else(known, numbers, pa.scalar(None, pa.float64()))
        return values, _mask(pc.invert(pc.is_nan(numbers))) & ~_mask(known)
    # Fast path: look the raw text up among the literals' usual spellings; normalise the rest.
    position = pc.index_in(column, value_set=_BINARY_SPELLINGS)
    unmatched = _mask(pc.and_(pc.is_null(position), pc.is_valid(column)))
    if unmatched.any():
        normalized = pc.utf8_lower(pc.utf8_trim_whitespace(column))
        position = pc.coalesce(position, pc.index_in(normalized, value_set=_BINARY_SPELLINGS))
        unmatched &= _mask(pc.is_null(position)) & _mask(pc.not_equal(normalized, ""))
    values = pc.take(_BINARY_VALUES, position)
    return values, unmatched


def _as_text(column: pa.Array) -> pa.Array:
    return column if pa.types.is_string(column.type) else column.cast(pa.string())


def _mask(values: pa.Array) -> BoolArray:
    """A boolean Arrow array as numpy, nulls as False."""
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


# --- record-level checks ---------------------------------------------------------------------------


def _record_sizes(columns: pa.RecordBatch) -> npt.NDArray[np.int64]:
    """Each record's size as text: its fields' UTF-8 bytes plus separators (8 bytes per non-text field)."""
    sizes = np.full(columns.num_rows, max(columns.num_columns - 1, 0), dtype=np.int64)
    for column in columns.columns:
        if pa.types.is_string(column.type):
            sizes += _byte_lengths(column)
        else:
            sizes += 8
    return sizes


def _byte_lengths(column: pa.Array) -> npt.NDArray[np.int32]:
    """UTF-8 byte length of every value (0 for nulls), read straight from the offsets buffer."""
    offsets = np.frombuffer(
        column.buffers()[1], dtype=np.int32, count=len(column) + 1, offset=4 * column.offset
    )
    return np.diff(offsets)


def _report(
    file_uri: str,
    index: int,
    numbers: npt.NDArray[np.int64],
    columns: pa.RecordBatch,
    problems: list[_Problem],
    sizes: npt.NDArray[np.int64],
    options: ValidationOptions,
) -> InvalidRecord:
    """The first reason, in column order, why the record at ``index`` of the batch is invalid."""
    number = int(numbers[index])
    if sizes[index] > options.max_record_bytes:
        reason = f"too large: {sizes[index]:,} bytes where at most {options.max_record_bytes:,} are allowed"
        return InvalidRecord(file_uri, number, None, None, reason)
    problem = next(problem for problem in problems if problem.rows[index])
    value = columns.column(problem.attribute)[index].as_py()
    text = None if value is None else str(value)[:MAX_REPORTED_VALUE]
    return InvalidRecord(file_uri, number, problem.attribute, text, problem.reason)


def _null_out(batch: pa.RecordBatch, rows: BoolArray) -> pa.RecordBatch:
    if not rows.any():
        return batch
    mask = pa.array(rows)
    columns = [pc.if_else(mask, pa.scalar(None, column.type), column) for column in batch.columns]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _insert_malformed(
    batch: pa.RecordBatch, numbers: npt.NDArray[np.int64], valid: BoolArray, malformed: list[MalformedRow]
) -> tuple[pa.RecordBatch, npt.NDArray[np.int64], BoolArray]:
    """Put all-null rows for the malformed records at their place in record order."""
    blanks = pa.RecordBatch.from_arrays(
        [pa.nulls(len(malformed), type=column.type) for column in batch.columns], names=batch.schema.names
    )
    all_numbers = np.concatenate([numbers, [row.row_number for row in malformed]]).astype(np.int64)
    order = np.argsort(all_numbers, kind="stable")
    combined = pa.Table.from_batches([batch, blanks]).combine_chunks().to_batches()
    merged = combined[0] if combined else batch
    all_valid = np.concatenate([valid, np.zeros(len(malformed), dtype=bool)])
    return merged.take(pa.array(order)), all_numbers[order], all_valid[order]
