"""Scoring datasource files with a trained model into one result file per input file.

The pipeline, for all input files in order:

1. **Read** — one background thread reads and validates the records (the data engine's streaming
   reader, invalid records kept in place) and cuts them into chunks of at most ``batch_rows``.
2. **Score** — ``workers`` threads score chunks concurrently: the model inputs become a typed frame
   (CONTRACTS §2), :meth:`TrainedModel.predict_scores` scores the valid records, and the scores
   become result rows (:mod:`.layout`).
3. **Write** — the calling thread writes the chunks in input order to the current file's output
   (:mod:`.writers`), switching output when the input file changes.

Memory holds at most ``workers + 1`` chunks being scored, two validated blocks waiting, and the data
engine's CSV read-ahead (pyarrow buffers up to about 140 MB of input): it depends on ``batch_rows``,
``workers`` and the model, never on the size of the input. Chunks, and so the output bytes, do not
depend on timing or on ``workers``: a rerun writes identical files.

Why threads and not processes: threads share one model, need no pickling of the caller's file
openers and output streams, and start at once, while each spawned process first spends 2-3 s
importing the libraries and unpickling the model. The parallel gain depends on the model. LightGBM's
predict releases the GIL: two threads scored 1.9x as fast as one when the 2-core development
machine had both cores free (an ensemble with an MLP member: 1.4x). A linear model's pandas feature
encoding holds the GIL, so two threads gained only 1.1x; processes could do better there, and are
the change to make if such models dominate batch work. Arrow parsing and zlib release the GIL, so
reading and writing overlap with scoring in any case.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, closing
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from threadpoolctl import threadpool_limits

from openaml.engine.batch.compatibility import scoring_schema
from openaml.engine.batch.layout import BoolArray, FloatArray, ResultLayout
from openaml.engine.batch.writers import OutputFormat, result_writer
from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile
from openaml.engine.data.ingest import iter_typed_batches, prefetched
from openaml.engine.data.rearrangement import Rearrangement
from openaml.engine.data.schema import DataSchema
from openaml.engine.data.validation import InvalidRecord, TypedBatch, ValidationOptions
from openaml.engine.models import ModelType, TrainedModel

DEFAULT_BATCH_ROWS = 20_000
DEFAULT_MAX_LOGGED_INVALID = 1000
UNSCORABLE_REASON = "not scored: the model returned no finite score for this record"

ProgressCallback = Callable[[int, int], None]
OutputOpener = Callable[[str], AbstractContextManager[BinaryIO]]


class ScoringStopped(Exception):
    """Scoring stopped early because the caller's ``should_stop`` callback asked for it."""


@dataclass(frozen=True)
class FileResult:
    """One input file's outcome: where its results went and how many of its records were scored."""

    input_uri: str
    output_uri: str
    records: int
    invalid_records: int


@dataclass(frozen=True)
class BatchTimings:
    """Where the time went, in seconds.

    ``model_seconds`` sums, over the scoring threads, the time spent turning chunks into frames and
    scoring them; ``write_seconds`` is the writing thread's time formatting and compressing results.
    """

    total_seconds: float
    model_seconds: float
    write_seconds: float


@dataclass(frozen=True)
class BatchResult:
    """The outcome of :func:`score_files`.

    ``invalid_records`` counts the records that got a blank line (invalid data, or no finite score);
    ``first_invalid_records`` holds the first of them in input order, with their reasons, for the log.
    """

    files: tuple[FileResult, ...]
    total_records: int
    invalid_records: int
    first_invalid_records: list[InvalidRecord]
    timings: BatchTimings

    @property
    def outputs(self) -> dict[str, str]:
        """Input file URI → result file URI, in input order (the manifest's content)."""
        return {result.input_uri: result.output_uri for result in self.files}


def score_files(
    files: Sequence[DataFile],
    schema: DataSchema,
    model: TrainedModel,
    model_schema: DataSchema,
    *,
    model_type: ModelType,
    classes: Sequence[str] | None,
    score_threshold: float,
    rearrangement: Rearrangement | None = None,
    open_output: OutputOpener,
    output_name_for: Callable[[DataFile], str],
    output_format: OutputFormat | str = OutputFormat.CSV,
    workers: int = 1,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    should_stop: Callable[[], bool] | None = None,
    progress: ProgressCallback | None = None,
    max_logged_invalid: int = DEFAULT_MAX_LOGGED_INVALID,
    first_index: int = 0,
    total_records: int | None = None,
) -> BatchResult:
    """Score every selected record of ``files`` and write one result file per input file.

    ``schema`` is the batch datasource's schema (with its ``rearrangement``), ``model_schema`` the
    schema the model was trained on (see :func:`.compatibility.scoring_schema`). Each input file's
    results go to ``open_output(output_name_for(file))``, written in full before the context
    manager exits normally; on any failure it exits with the exception, so the caller can discard
    the partial file. ``progress`` is called with (input bytes done, input bytes total) after each
    chunk; ``should_stop`` is polled as often and raises :class:`ScoringStopped` when it returns
    True. Raises :class:`DataError` for data the model cannot score at all (missing attributes,
    unreadable files, headers that do not match the schema). ``first_index`` and ``total_records``
    place ``files`` in a larger input (one file scored on a Dask worker; see
    :func:`~openaml.engine.data.ingest.iter_typed_batches`).
    """
    if model.model_type is not model_type:
        raise ValueError(f"the model is a {model.model_type} model, not {model_type}")
    if model_type is ModelType.MULTICLASS and model.classes and tuple(classes or ()) != model.classes:
        raise ValueError("the class labels given differ from the model's")
    if workers < 1 or batch_rows < 1:
        raise ValueError("workers and batch_rows must be positive")
    layout = ResultLayout(
        model_type, tuple(classes) if classes else None, score_threshold, has_tag=schema.row_id is not None
    )
    output_uris = _output_uris(files, output_name_for)
    reading_schema = scoring_schema(schema, model_schema)
    input_names = [attribute.name for attribute in model_schema.input_attributes]
    scorer = _ChunkScorer(model, layout, input_names, schema.row_id)
    writing = _Writing(layout, OutputFormat(output_format), open_output, progress, files)
    started = time.perf_counter()
    # BLAS threads would only compete with the scoring threads (see openaml.engine.automl.training).
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
        chunks = _read_chunks(
            files,
            reading_schema,
            rearrangement,
            batch_rows,
            max_logged_invalid,
            first_index=first_index,
            total_records=total_records,
        )
        scored = _scored_in_order(pool, scorer, chunks, workers, should_stop)
        with closing(chunks), closing(scored):
            results = writing.write_all(output_uris, scored)
    order = {file.uri: index for index, file in enumerate(files)}
    reports = sorted(writing.reports, key=lambda report: (order[report.file_uri], report.row_number))
    return BatchResult(
        files=results,
        total_records=sum(result.records for result in results),
        invalid_records=sum(result.invalid_records for result in results),
        first_invalid_records=reports[:max_logged_invalid],
        timings=BatchTimings(
            total_seconds=time.perf_counter() - started,
            model_seconds=writing.model_seconds,
            write_seconds=writing.write_seconds,
        ),
    )


def merge_results(results: Sequence[BatchResult], max_logged_invalid: int) -> BatchResult:
    """One result from those of consecutive parts of the input (files scored on Dask workers)."""
    timings = [result.timings for result in results]
    return BatchResult(
        files=tuple(file for result in results for file in result.files),
        total_records=sum(result.total_records for result in results),
        invalid_records=sum(result.invalid_records for result in results),
        first_invalid_records=[record for result in results for record in result.first_invalid_records][
            :max_logged_invalid
        ],
        timings=BatchTimings(
            total_seconds=max((timing.total_seconds for timing in timings), default=0.0),
            model_seconds=sum(timing.model_seconds for timing in timings),
            write_seconds=sum(timing.write_seconds for timing in timings),
        ),
    )


@dataclass
class _Chunk:
    """Consecutive records of one input file, typed by the scoring schema (invalid ones as nulls)."""

    file_uri: str
    columns: pa.RecordBatch
    row_numbers: npt.NDArray[np.int64]
    valid: BoolArray
    reports: list[InvalidRecord]
    bytes_done: int


@dataclass
class _ScoredChunk:
    """A chunk's result rows, ready to write."""

    file_uri: str
    results: pa.Table
    scored: BoolArray
    reports: list[InvalidRecord]
    bytes_done: int
    model_seconds: float


def _output_uris(files: Sequence[DataFile], output_name_for: Callable[[DataFile], str]) -> list[str]:
    """Each file's result URI; two inputs may not share a URI, nor two results."""
    if not files:
        raise DataError("There are no data files to score.")
    inputs = [file.uri for file in files]
    if len(set(inputs)) < len(inputs):
        raise DataError("The batch prediction input lists the same file more than once.")
    outputs = [output_name_for(file) for file in files]
    seen: dict[str, str] = {}
    for input_uri, output_uri in zip(inputs, outputs, strict=True):
        if output_uri in seen:
            raise DataError(
                f"The input files {seen[output_uri]} and {input_uri} would both write their results to "
                f"{output_uri}: input file names must differ."
            )
        seen[output_uri] = input_uri
    return outputs


def _read_chunks(
    files: Sequence[DataFile],
    schema: DataSchema,
    rearrangement: Rearrangement | None,
    batch_rows: int,
    max_logged_invalid: int,
    *,
    first_index: int,
    total_records: int | None,
) -> Generator[_Chunk, None, None]:
    """The selected records of ``files`` in input order, read ahead on a background thread."""
    options = ValidationOptions(require_target=False, keep_invalid=True)
    batches = iter_typed_batches(
        files,
        schema,
        rearrangement,
        options,
        report_limit=max_logged_invalid,
        first_index=first_index,
        total_records=total_records,
    )
    for batch in prefetched(batches):
        yield from _cut(batch, batch_rows)


def _cut(batch: TypedBatch, batch_rows: int) -> Iterator[_Chunk]:
    """``batch`` in chunks of at most ``batch_rows`` records; an empty batch still gives one chunk,
    which carries its invalid-record reports and progress."""
    reports = batch.invalid_reports
    for start in range(0, max(batch.columns.num_rows, 1), batch_rows):
        stop = start + batch_rows
        yield _Chunk(
            file_uri=batch.file_uri,
            columns=batch.columns.slice(start, batch_rows),
            row_numbers=batch.row_numbers[start:stop],
            valid=batch.valid[start:stop],
            reports=reports,
            bytes_done=batch.bytes_done,
        )
        reports = []


def _scored_in_order(
    pool: ThreadPoolExecutor,
    scorer: Callable[[_Chunk], _ScoredChunk],
    chunks: Iterator[_Chunk],
    workers: int,
    should_stop: Callable[[], bool] | None,
) -> Generator[_ScoredChunk, None, None]:
    """``scorer`` applied to ``chunks`` on ``pool``, results in input order, ``workers + 1`` in flight."""
    pending: deque[Future[_ScoredChunk]] = deque()
    try:
        for chunk in chunks:
            if should_stop is not None and should_stop():
                raise ScoringStopped()
            pending.append(pool.submit(scorer, chunk))
            while len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


class _ChunkScorer:
    """Scores one chunk: model inputs to a frame, scores for the valid records, result rows.

    Thread-safe: it only reads the model and the layout.
    """

    def __init__(
        self, model: TrainedModel, layout: ResultLayout, input_names: list[str], row_id: str | None
    ) -> None:
        self._model = model
        self._layout = layout
        self._input_names = input_names
        self._row_id = row_id

    def __call__(self, chunk: _Chunk) -> _ScoredChunk:
        rows = chunk.columns.num_rows
        scored = chunk.valid.copy()
        scores: FloatArray = np.full(self._layout.score_shape(rows), np.nan)
        started = time.perf_counter()
        if scored.any():
            inputs = chunk.columns.select(self._input_names)
            if not scored.all():
                inputs = inputs.filter(pa.array(scored))
            values = self._predict(inputs)
            finite = np.isfinite(values) if values.ndim == 1 else np.isfinite(values).all(axis=1)
            positions = np.flatnonzero(scored)
            scores[positions] = values
            scored[positions[~finite]] = False
        seconds = time.perf_counter() - started
        reports = chunk.reports + [
            InvalidRecord(chunk.file_uri, int(chunk.row_numbers[index]), None, None, UNSCORABLE_REASON)
            for index in np.flatnonzero(chunk.valid & ~scored)
        ]
        tags = None if self._row_id is None else chunk.columns.column(self._row_id)
        return _ScoredChunk(
            file_uri=chunk.file_uri,
            results=self._layout.results(tags, scores, scored),
            scored=scored,
            reports=reports,
            bytes_done=chunk.bytes_done,
            model_seconds=seconds,
        )

    def _predict(self, inputs: pa.RecordBatch) -> FloatArray:
        frame = inputs.to_pandas()
        values = np.asarray(self._model.predict_scores(frame), dtype=np.float64)
        expected = self._layout.score_shape(len(frame))
        if values.shape != expected:
            raise ValueError(f"the model returned scores of shape {values.shape}, expected {expected}")
        return values


class _Writing:
    """The writing side of a run: one output per input file, in order, and the run's tallies."""

    def __init__(
        self,
        layout: ResultLayout,
        output_format: OutputFormat,
        open_output: OutputOpener,
        progress: ProgressCallback | None,
        files: Sequence[DataFile],
    ) -> None:
        self._layout = layout
        self._format = output_format
        self._open_output = open_output
        self._progress = progress
        self._files = files
        self._total_bytes = sum(file.size for file in files)
        self.reports: list[InvalidRecord] = []
        self.model_seconds = 0.0
        self.write_seconds = 0.0

    def write_all(self, output_uris: Sequence[str], chunks: Iterator[_ScoredChunk]) -> tuple[FileResult, ...]:
        """Write ``chunks`` (in input order) to the outputs; a file without records gets a header only."""
        results: list[FileResult] = []
        pending = next(chunks, None)
        for file, output_uri in zip(self._files, output_uris, strict=True):
            records = invalid = 0
            with (
                self._open_output(output_uri) as stream,
                result_writer(self._format, self._layout, stream) as writer,
            ):
                while pending is not None and pending.file_uri == file.uri:
                    started = time.perf_counter()
                    writer.write(pending.results, pending.scored)
                    self.write_seconds += time.perf_counter() - started
                    records += len(pending.scored)
                    invalid += int(np.count_nonzero(~pending.scored))
                    self.model_seconds += pending.model_seconds
                    self.reports.extend(pending.reports)
                    if self._progress is not None:
                        self._progress(pending.bytes_done, self._total_bytes)
                    pending = next(chunks, None)
            results.append(FileResult(file.uri, output_uri, records, invalid))
        assert pending is None, f"records of {pending.file_uri} arrived out of input order"
        return tuple(results)
