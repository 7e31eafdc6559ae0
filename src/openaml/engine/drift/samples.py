"""The record samples drift reports compare: stored as Parquet, made again from the data when missing.

A datasource ingested with ``ComputeStatistics`` keeps the uniform record sample of its statistics
(:meth:`openaml.engine.data.statistics.StatisticsAccumulator.sample`) as ``sample.parquet``. A
datasource ingested before samples were kept, or without statistics, gets one made by
:func:`recompute_sample`: one more pass over its data with the same bounded accumulator.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from openaml.engine.data.files import DataFile
from openaml.engine.data.ingest import ingest
from openaml.engine.data.rearrangement import Rearrangement
from openaml.engine.data.schema import DataSchema


def sample_to_parquet(sample: pa.Table) -> bytes:
    """The sample as the bytes of one Parquet file."""
    sink = io.BytesIO()
    pq.write_table(sample, sink, compression="zstd")
    return sink.getvalue()


def sample_frame(data: bytes) -> pd.DataFrame:
    """A stored sample as a typed frame (numbers as float64, text as strings)."""
    return pq.read_table(io.BytesIO(data)).to_pandas()


def recompute_sample(
    files: Sequence[DataFile],
    schema: DataSchema,
    rearrangement: Rearrangement | None,
    *,
    should_stop: Callable[[], bool] | None = None,
) -> pa.Table:
    """The statistics' record sample of a datasource, from one more pass over its files."""
    report = ingest(
        files,
        schema,
        rearrangement,
        compute_statistics=True,
        require_target=False,
        max_invalid_records=2**62,
        should_stop=should_stop,
    )
    if report.sample is None:  # pragma: no cover - ingest fails without a valid record
        raise ValueError("the datasource has no valid record to sample")
    return report.sample
