"""Explanations of a batch prediction, written beside its Amazon ML result files.

For each result file ``<id>-<file>.gz`` the sidecar ``<id>-<file>.explanations.jsonl.gz`` (gzip,
UTF-8) holds one JSON line per input record, in input order — line *i* explains the record on line
*i + 1* of the result file (after its header): the object Predict puts in
``details["openaml.explanation"]`` (``{"base", "space", "top"}``), or ``null`` for a record the result
file leaves blank (invalid data). Result files and the manifest are unchanged. The data is read a
second time, in frames of ``batch_rows`` records, so memory stays flat.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import pandas as pd

from openaml.engine.batch import ScoringStopped
from openaml.engine.data.files import DataFile
from openaml.engine.data.ingest import iter_frames
from openaml.engine.data.rearrangement import Rearrangement
from openaml.engine.data.schema import DataSchema
from openaml.engine.explain.explainer import ModelExplainer

SIDECAR_SUFFIX = ".explanations.jsonl.gz"
_BATCH_ROWS = 2_000
_GZIP_LEVEL = 1


def sidecar_uri(result_uri: str) -> str:
    """The sidecar of a result file (``....gz`` → ``....explanations.jsonl.gz``)."""
    return result_uri.removesuffix(".gz") + SIDECAR_SUFFIX


def write_sidecars(
    explainer: ModelExplainer,
    files: Sequence[DataFile],
    schema: DataSchema,
    rearrangement: Rearrangement | None,
    *,
    top: int,
    outputs: dict[str, str],
    open_output: Callable[[str], AbstractContextManager[BinaryIO]],
    should_stop: Callable[[], bool] = lambda: False,
) -> list[str]:
    """Write the sidecar of every result file (``outputs``: input URI → result URI); their URIs."""
    written = []
    for file in files:
        uri = sidecar_uri(outputs[file.uri])
        with (
            open_output(uri) as stream,
            gzip.GzipFile(fileobj=stream, mode="wb", compresslevel=_GZIP_LEVEL, mtime=0) as out,
        ):
            for batch in iter_frames(
                [file], schema, rearrangement, require_target=False, keep_invalid=True, batch_rows=_BATCH_ROWS
            ):
                if should_stop():
                    raise ScoringStopped("stopped while writing explanations")
                out.write(_lines(explainer, batch.frame, batch.valid, top))
        written.append(uri)
    return written


def _lines(explainer: ModelExplainer, frame: pd.DataFrame, valid: npt.NDArray[np.bool_], top: int) -> bytes:
    """The sidecar lines of one frame: explanations of the valid records, ``null`` for the others."""
    lines = [b"null"] * len(frame)
    rows = np.flatnonzero(valid)
    if rows.size:
        explanations = explainer.explain_frame(frame.iloc[rows].reset_index(drop=True))
        for position, row in enumerate(rows):
            lines[row] = explanations.to_json(position, top).encode("utf-8")
    return b"\n".join(lines) + b"\n" if lines else b""
