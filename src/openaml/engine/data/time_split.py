"""A time split by a column: the newest ``percent`` % of the records by a date or number, materialised.

A retrain's ``time`` holdout with an ``attribute`` (see :mod:`openaml.domain.retrains`) cannot be a
``DataRearrangement``, which slices by position only. Instead the holdout's and the training set's
ingest jobs each call :func:`write_time_split`: it reads the input once to find the *cut* — the value
such that the newest ``round(percent % × records)`` records are at or after it — and once more to write
that part's records as one Parquet file (every column as text, the values exactly as read, so the
datasource's schema types them as it would the original files).

Values: a ``NUMERIC`` attribute is read as numbers; any other attribute as dates (ISO 8601 and the
formats pandas recognises, time zones converted to UTC). Records whose value is missing or does not
parse go to the training set, never to the holdout. Records with the cut value itself all go to the
holdout, so ties can make it a little larger than asked. Both jobs compute the same cut from the same
files, so the two parts never overlap and together hold every well-formed record.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import BinaryIO, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile
from openaml.engine.data.reading import iter_raw_batches
from openaml.engine.data.schema import AttributeType, DataSchema

Part = Literal["training", "holdout"]


def _keys(values: pa.Array | pa.ChunkedArray, numeric: bool) -> npt.NDArray[np.float64]:
    """Sortable keys of ``values`` (NaN where missing or unparseable): numbers, or dates as seconds."""
    series = pd.Series(values.to_pandas())
    if numeric:
        return np.asarray(pd.to_numeric(series, errors="coerce"), dtype=np.float64)
    text = series.astype("string").str.strip().replace("", pd.NA)
    dates = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
    keys = dates.astype("int64").to_numpy(dtype=np.float64) / 1e9
    keys[dates.isna().to_numpy()] = math.nan
    return np.asarray(keys, dtype=np.float64)


def _batches(files: Sequence[DataFile], schema: DataSchema) -> Iterator[pa.RecordBatch]:
    for file in files:
        for batch in iter_raw_batches(file, schema.names, has_header=schema.data_file_contains_header):
            yield batch.columns


def find_cut(files: Sequence[DataFile], schema: DataSchema, attribute: str, percent: float) -> float:
    """The key (number, or date in epoch seconds) at or after which the holdout's records lie.

    Raises :class:`DataError` when no value of the attribute parses.
    """
    numeric = _attribute_type(schema, attribute) is AttributeType.NUMERIC
    chunks = [_keys(batch.column(attribute), numeric) for batch in _batches(files, schema)]
    keys = np.concatenate(chunks) if chunks else np.empty(0)
    valued = np.sort(keys[~np.isnan(keys)])
    if valued.size == 0:
        kind = "number" if numeric else "date"
        raise DataError(
            f"No record has a {kind} in the column {attribute!r}, so the newest records cannot be found; "
            "give another holdout attribute, or none to hold out the newest records in file order."
        )
    wanted = min(valued.size, max(1, round(keys.size * percent / 100.0)))
    return float(valued[valued.size - wanted])


def write_time_split(
    files: Sequence[DataFile],
    schema: DataSchema,
    attribute: str,
    percent: float,
    part: Part,
    sink: BinaryIO,
) -> int:
    """Write ``part`` of the split (records at or after the cut, or the others) to ``sink`` as Parquet;
    returns how many records it holds."""
    cut = find_cut(files, schema, attribute, percent)
    numeric = _attribute_type(schema, attribute) is AttributeType.NUMERIC
    arrow_schema = pa.schema([pa.field(name, pa.string()) for name in schema.names])
    written = 0
    with pq.ParquetWriter(sink, arrow_schema) as writer:
        for batch in _batches(files, schema):
            keys = _keys(batch.column(attribute), numeric)
            newest = np.greater_equal(keys, cut, where=~np.isnan(keys), out=np.zeros(len(keys), dtype=bool))
            selected = batch.filter(pa.array(newest if part == "holdout" else ~newest))
            columns = [pc.cast(selected.column(name), pa.string()) for name in schema.names]
            writer.write_table(pa.Table.from_arrays(columns, schema=arrow_schema))
            written += selected.num_rows
    return written


def _attribute_type(schema: DataSchema, attribute: str) -> AttributeType:
    for candidate in schema.attributes:
        if candidate.name == attribute:
            return candidate.type
    raise DataError(f"The holdout attribute {attribute!r} is not a column of the data.")
