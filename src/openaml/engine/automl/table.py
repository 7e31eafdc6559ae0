"""Training data as a compact Arrow table: the memory-lean path from a datasource to the refit's matrix.

A training job reads its datasource as one compact typed table
(:func:`~openaml.engine.data.ingest.read_table`: Arrow columns, CATEGORICAL ones as int32 dictionary
codes, no rowId) and hands it to :func:`~.training.train_automl` inside a :class:`TrainingTable`,
which the run takes over, so that the table is released as soon as the matrices are built. No pandas
frame of all rows is ever made:

* the target column alone is read as numbers (or labels);
* the search sample (``openaml.searchRowLimit`` rows) becomes a typed frame, and the encoders are
  fitted on it as on any frame;
* above the search sample the table's numbers are cast to float32 first (column by column, so one
  column is the most ever held twice), and the matrices of all rows are encoded chunk by chunk with
  the search's encoders, reading the table's columns directly (:class:`ArrowColumns`: no pandas
  frame, category values encoded once per dictionary value): the TREE matrix (LightGBM's) as
  float32, dense, or CSR when text vocabulary columns are present (up to
  :data:`~.features.MAX_TREE_TEXT_ROWS` rows; above, text attributes are counts only).

Memory, per record of 50 columns: the table (8 bytes a number, 4 a category code, the text's bytes),
then the float32 matrix (4 bytes a column) while the table is released, then LightGBM's binned dataset
(1 byte a column) — see docs/performance.md.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from openaml.engine.automl.columns import FloatArray, ValueFunction, date_parts, numeric_block
from openaml.engine.automl.features import Encoding, FeatureEncoder, Matrix
from openaml.engine.data.ingest import table_frame

#: Rows encoded at a time when the matrix of all rows is built.
ENCODE_CHUNK_ROWS = 65_536


class TrainingTable:
    """A compact typed table handed over to one training run, which takes it (:meth:`take`) and
    releases it once it has built its matrices: callers must keep no reference of their own."""

    def __init__(self, table: pa.Table) -> None:
        self._table: pa.Table | None = table
        #: The number of records, still known after the table was taken.
        self.num_rows = table.num_rows

    def take(self) -> pa.Table:
        """The table; this holder forgets it (a second call raises ``RuntimeError``)."""
        table, self._table = self._table, None
        if table is None:
            raise RuntimeError("the training table was already taken by a training run")
        return table


def target_values(table: pa.Table, target: str) -> pd.Series | None:
    """The target column as a typed frame holds it, or None when the table has no such column."""
    if target not in table.column_names:
        return None
    return table_frame(table.select([target]))[target]


def rows_frame(table: pa.Table, rows: np.ndarray) -> pd.DataFrame:
    """The typed frame (contract 2) of the table's ``rows`` (positions, in the order given)."""
    return table_frame(table.take(pa.array(rows, type=pa.int64())))


class ArrowColumns:
    """The columns of (a chunk of) a compact table, read from Arrow without a pandas frame.

    They give exactly what :class:`~.columns.FrameColumns` gives for ``table_frame(table)``, faster:
    numbers go from Arrow to float64 arrays directly, and what an encoder computes from each value of
    a column (category codes, frequencies, text lengths, date parts: :meth:`per_value`) is computed
    once per value of the chunk's dictionary and gathered by the table's int32 codes, instead of once
    per row in Python.
    """

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self._numbers: dict[tuple[str, ...], FloatArray] = {}
        self._strings: dict[str, list[str | None]] = {}

    @property
    def n_rows(self) -> int:
        return int(self.table.num_rows)

    def numbers(self, names: Sequence[str]) -> FloatArray:
        key = tuple(names)
        if key not in self._numbers:
            block = np.empty((self.n_rows, len(names)), dtype=np.float64)
            for index, name in enumerate(names):
                block[:, index] = self._number_column(name)
            block[~np.isfinite(block)] = np.nan
            self._numbers[key] = block
        return self._numbers[key]

    def strings(self, name: str) -> list[str | None]:
        if name not in self._strings:
            if name not in self.table.column_names:
                self._strings[name] = [None] * self.n_rows
            else:
                self._strings[name] = _as_strings(self.table.column(name).to_pylist())
        return self._strings[name]

    def dates(self, name: str) -> FloatArray:
        parts = self.per_value(name, lambda values: date_parts(pd.Series(values, dtype=object)))
        return np.asarray(parts, dtype=np.float64)

    def per_value(self, name: str, function: ValueFunction) -> npt.NDArray[np.generic]:
        if name not in self.table.column_names:
            return np.repeat(function([None]), self.n_rows, axis=0)
        parts = []
        for chunk in self.table.column(name).chunks:
            if not pa.types.is_dictionary(chunk.type):
                chunk = pc.dictionary_encode(chunk)
            if len(chunk.dictionary) >= len(chunk):  # no fewer values than rows: row by row
                parts.append(function(_as_strings(chunk.to_pylist())))
                continue
            dictionary = _as_strings(chunk.dictionary.to_pylist())
            results = function([*dictionary, None])  # the last one for missing values
            codes = chunk.indices.fill_null(len(dictionary)).to_numpy(zero_copy_only=False)
            parts.append(np.take(results, codes, axis=0))
        return np.concatenate(parts) if parts else function([])

    def _number_column(self, name: str) -> FloatArray | float:
        if name not in self.table.column_names:
            return np.nan
        values = self.table.column(name)
        if pa.types.is_floating(values.type):  # nulls become NaN
            return np.asarray(values.cast(pa.float64()).to_numpy(), dtype=np.float64)
        return numeric_block(table_frame(self.table.select([name])), [name])[:, 0]


def _as_strings(values: list[object]) -> list[str | None]:
    """Values as :class:`~.columns.FrameColumns` reads them: strings, ``None`` where missing."""
    return [None if value is None else str(value) for value in values]


def table_encoding_seconds_per_row(table: pa.Table, encoders: Mapping[Encoding, FeatureEncoder]) -> float:
    """Seconds :func:`encode_table` takes per row of ``table`` with ``encoders``, timed on its first
    :data:`ENCODE_CHUNK_ROWS` rows (what plans the refit's rows: see :mod:`.scaling`)."""
    sample = table.slice(0, ENCODE_CHUNK_ROWS)
    started = time.monotonic()
    encode_table(sample, encoders)
    return (time.monotonic() - started) / max(int(sample.num_rows), 1)


def encode_table(table: pa.Table, encoders: Mapping[Encoding, FeatureEncoder]) -> dict[Encoding, Matrix]:
    """Each encoder's matrix of all rows of ``table``, built :data:`ENCODE_CHUNK_ROWS` rows at a time.

    TREE matrices are float32 (dense rows are written into one preallocated array; CSR when text
    vocabulary columns make them sparse); SCALED ones keep the encoder's float64 (they are only built
    for families refit on all rows, up to ``Family.max_refit_rows``).
    """
    rows = table.num_rows
    dense: dict[Encoding, np.ndarray] = {}
    parts: dict[Encoding, list[Matrix]] = {encoding: [] for encoding in encoders}
    for start in range(0, max(rows, 1), ENCODE_CHUNK_ROWS):
        columns = ArrowColumns(table.slice(start, ENCODE_CHUNK_ROWS))
        for encoding, encoder in encoders.items():
            block = encoder.transform_columns(columns)
            if encoding is not Encoding.TREE:
                parts[encoding].append(block)
            elif sp.issparse(block):
                parts[encoding].append(sp.csr_matrix(block, dtype=np.float32))
            else:
                if encoding not in dense:
                    dense[encoding] = np.empty((rows, block.shape[1]), dtype=np.float32)
                dense[encoding][start : start + block.shape[0]] = block
        del columns
    matrices: dict[Encoding, Matrix] = dict(dense)
    for encoding, blocks in parts.items():
        if encoding in dense or not blocks:
            continue
        if any(sp.issparse(block) for block in blocks):
            matrices[encoding] = sp.vstack([sp.csr_matrix(block) for block in blocks], format="csr")
        else:
            matrices[encoding] = np.vstack(blocks)
        blocks.clear()
    return matrices
