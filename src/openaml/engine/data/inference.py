"""Inferring a data schema from the data, with rules a person can predict.

**Sample.** The first 10,000 records (``sample_rows``) of the files, in the order given; malformed
records are ignored. Parquet values are looked at in their text form, so the same rules apply.

**Header (CSV).** Unless the caller says whether there is one, the first line is a header when its
fields are all non-empty, all different, and none of them is a number. Otherwise the first line is
data and the columns are named ``Var01``, ``Var02``, … (zero-padded to the width of the column
count). So a headerless file whose first line is all words (``red,small,yes``) is read as having a
header: pass ``data_file_contains_header=False`` or give a schema for such files. Parquet files
always carry their column names.

**Types**, decided per column from its non-empty sample values, in this order:

1. No value at all → ``CATEGORICAL``.
2. Every value is a BINARY literal (``0, 1, y, n, yes, no, t, f, true, false``, any case, surrounding
   whitespace ignored) → ``BINARY``. A numeric column holding only 0 and 1 is therefore BINARY.
3. Every value is a number (the NUMERIC rule of :mod:`.validation`) → ``NUMERIC``, unless some value
   has a leading zero followed by a digit (``02134``, ``007``), which marks codes such as ZIP codes:
   those columns are ``CATEGORICAL``. Integer-coded identifiers, months or classes without leading
   zeros (``17``, ``3``) stay NUMERIC, as in the Amazon ML console: edit the schema to make them
   CATEGORICAL.
4. Values average at least 3 whitespace-separated tokens (sentences, descriptions) → ``TEXT``.
5. Anything else (words, names such as ``New York``, codes, dates) → ``CATEGORICAL``.

**Roles.** The target is never guessed: it is ``target_attribute_name`` when given (a TEXT target
becomes CATEGORICAL, since a model cannot predict free text), else the schema has none. ``row_id`` is
used as given. Names that are not columns of the data raise :class:`DataError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile
from openaml.engine.data.names import unknown_column_message
from openaml.engine.data.reading import inspect_file, iter_raw_batches
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.data.validation import parse_binary, parse_numeric

DEFAULT_SAMPLE_ROWS = 10_000
#: Sampling reads small blocks: 10,000 records rarely need more.
SAMPLE_BLOCK_SIZE = 1 << 20
TEXT_MIN_MEAN_TOKENS = 3.0
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_LEADING_ZERO_PATTERN = r"^\s*[+-]?0[0-9]"


def infer_schema(
    files: Sequence[DataFile],
    *,
    target_attribute_name: str | None = None,
    row_id: str | None = None,
    data_file_contains_header: bool | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    block_size: int = SAMPLE_BLOCK_SIZE,
) -> DataSchema:
    """A schema for ``files`` by the rules of this module; :class:`DataError` if the data cannot tell."""
    if not files:
        raise DataError("There is no data file to infer a schema from.")
    layout = inspect_file(files[0])
    if layout.reader.stores_column_names:
        has_header, names = True, layout.first_record
    else:
        has_header = (
            looks_like_header(layout.first_record)
            if data_file_contains_header is None
            else data_file_contains_header
        )
        names = layout.first_record if has_header else generated_names(len(layout.first_record))
    for role, name in (("target", target_attribute_name), ("rowId", row_id)):
        if name is not None and name not in names:
            raise DataError(unknown_column_message(role, name, names, f"a column of {files[0].uri}"))

    columns = _sample(files, names, has_header, sample_rows, block_size)
    attributes = []
    for name, values in zip(names, columns, strict=True):
        kind = infer_type(values)
        if name == target_attribute_name and kind is AttributeType.TEXT:
            kind = AttributeType.CATEGORICAL
        attributes.append(Attribute(name, kind))
    return DataSchema(
        attributes=tuple(attributes),
        target_attribute_name=target_attribute_name,
        row_id=row_id,
        data_file_contains_header=has_header,
        data_format=layout.reader.data_format,
    )


def looks_like_header(fields: Sequence[str]) -> bool:
    """Whether a first CSV record is a header: non-empty, distinct fields of which none is a number."""
    return (
        all(field.strip() for field in fields)
        and len(set(fields)) == len(fields)
        and not any(_NUMBER.match(field.strip()) for field in fields)
    )


def generated_names(count: int) -> list[str]:
    """Column names for a file without header: ``Var01`` … (at least two digits)."""
    width = max(2, len(str(count)))
    return [f"Var{index:0{width}d}" for index in range(1, count + 1)]


def infer_type(values: pa.Array) -> AttributeType:
    """The type of one column from its sample values (text; nulls and blank values are missing)."""
    present = values.filter(pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(values), ""), False))
    if len(present) == 0:
        return AttributeType.CATEGORICAL
    if not parse_binary(present)[1].any():
        return AttributeType.BINARY
    if not parse_numeric(present)[1].any():
        if pc.any(pc.match_substring_regex(present, _LEADING_ZERO_PATTERN)).as_py():
            return AttributeType.CATEGORICAL
        return AttributeType.NUMERIC
    tokens = pc.list_value_length(pc.utf8_split_whitespace(pc.utf8_trim_whitespace(present)))
    if pc.mean(tokens).as_py() >= TEXT_MIN_MEAN_TOKENS:
        return AttributeType.TEXT
    return AttributeType.CATEGORICAL


def _sample(
    files: Sequence[DataFile], names: list[str], has_header: bool, sample_rows: int, block_size: int
) -> list[pa.Array]:
    """Up to ``sample_rows`` records of the files, as one text column per name."""
    chunks: list[list[pa.Array]] = [[] for _ in names]
    remaining = sample_rows
    for file in files:
        for raw in iter_raw_batches(file, names, has_header=has_header, block_size=block_size):
            rows = raw.columns.slice(0, remaining)
            for chunk, column in zip(chunks, rows.columns, strict=True):
                chunk.append(_as_text(column))
            remaining -= rows.num_rows
            if remaining <= 0:
                break
        if remaining <= 0:
            break
    return [pa.chunked_array(chunk, type=pa.string()).combine_chunks() for chunk in chunks]


def _as_text(column: pa.Array) -> pa.Array:
    """A column as text; a floating-point NaN (how Parquet writers often store missing) becomes null."""
    if pa.types.is_floating(column.type):
        column = pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column)
    return column if pa.types.is_string(column.type) else column.cast(pa.string())
