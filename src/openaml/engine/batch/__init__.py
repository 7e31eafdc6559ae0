"""Batch prediction: scoring a datasource's files with a trained model, in Amazon ML's output format.

The engine half of ``CreateBatchPrediction``: it reads files and writes streams it is handed, and
knows nothing of HTTP, the metadata database or object stores.

Modules:

* :mod:`.compatibility` — whether a batch datasource has what the model needs; the reading schema.
* :mod:`.layout` — the result columns per model type (``bestAnswer,score``, one per class, ``score``,
  and ``tag`` for the rowId).
* :mod:`.writers` — gzip-compressed CSV (blank line per unscorable record) or Parquet result files.
* :mod:`.scoring` — :func:`score_files`: the streaming, parallel, deterministic scoring pipeline.
* :mod:`.manifest` — :func:`manifest_json`, the input → result mapping file.
"""

from openaml.engine.batch.compatibility import scoring_schema
from openaml.engine.batch.manifest import manifest_json
from openaml.engine.batch.scoring import (
    DEFAULT_BATCH_ROWS,
    BatchResult,
    BatchTimings,
    FileResult,
    ScoringStopped,
    score_files,
)
from openaml.engine.batch.writers import OutputFormat

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "BatchResult",
    "BatchTimings",
    "FileResult",
    "OutputFormat",
    "ScoringStopped",
    "manifest_json",
    "score_files",
    "scoring_schema",
]
