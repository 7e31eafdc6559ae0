"""Prediction capture: a sample of real-time records and their predictions, kept as Parquet files.

A model's capture rate (0–1, ``openaml.captureRate`` in ``CreateMLModel`` ``Parameters``, changed by
``PUT /openaml/v1/mlmodels/{id}/capture``; 0 — off — by default) is the share of its real-time
records that are captured. On the request path capturing is one random draw per record and, for a
captured one, an append to an in-memory list; :class:`CaptureWriter`'s thread writes the list every
``OPENAML_CAPTURE_FLUSH_SECONDS`` as one Parquet file per model:

    <data dir>/captures/<MLModelId>/date=YYYY-MM-DD/part-<ms>-<pid>-<n>.parquet

(layout of :mod:`openaml.engine.drift.captures`). At most ``OPENAML_CAPTURE_BUFFER_ROWS`` captures wait
in memory; more are dropped and counted in the log, so a slow disk never slows Predict down. After
each write the model's capture files are kept under ``OPENAML_CAPTURE_MAX_BYTES_PER_MODEL`` by deleting
the oldest (by date partition, then file name). The files lie in the sealed data directory: only the
server reads them (drift reports over captured predictions).
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from openaml.domain.context import ServiceContext
from openaml.domain.resources import get_resource
from openaml.engine.drift.captures import (
    CAPTURE_RATE_PARAMETER,
    CapturedPrediction,
    capture_table,
    parse_capture_rate,
    table_to_parquet,
)
from openaml.entities import ResourceKind
from openaml.errors import InvalidInputException
from openaml.store.targets import ObjectInfo

log = logging.getLogger(__name__)
#: Where a model's capture rate set by the extension endpoint lives in its details.
CAPTURE_RATE_DETAIL = "CaptureRate"
CAPTURES_FOLDER = "captures"


def parse_rate(value: Any) -> float:
    """The ``CaptureRate`` of the extension endpoint, checked like ``openaml.captureRate``."""
    return parse_capture_rate(value, "CaptureRate")


def capture_rate_of(parameters: Mapping[str, str], details: Mapping[str, Any]) -> float:
    """A model's capture rate: the endpoint's setting, else its creation parameter, else 0."""
    if details.get(CAPTURE_RATE_DETAIL) is not None:
        return float(details[CAPTURE_RATE_DETAIL])
    text = parameters.get(CAPTURE_RATE_PARAMETER)
    return parse_capture_rate(text) if text is not None else 0.0


def set_capture_rate(ctx: ServiceContext, ml_model_id: str, rate: float) -> float:
    """Store a model's capture rate; every serving process applies it at its next endpoint refresh."""
    get_resource(ctx, ResourceKind.ML_MODEL, ml_model_id)
    ctx.resources.update(ResourceKind.ML_MODEL, ml_model_id, {"details": {CAPTURE_RATE_DETAIL: rate}})
    return rate


def captures_uri(ctx: ServiceContext, ml_model_id: str) -> str:
    return ctx.objects.data_uri(CAPTURES_FOLDER, ml_model_id)


def list_capture_files(ctx: ServiceContext, ml_model_id: str) -> list[ObjectInfo]:
    """A model's capture files, oldest first (by date partition, then name); [] when there are none."""
    files = ctx.objects.server_files
    folder = captures_uri(ctx, ml_model_id)
    if not files.exists(folder):
        return []
    try:
        found = files.list_files(folder)
    except InvalidInputException:  # an empty folder
        return []
    return sorted((f for f in found if f.uri.endswith(".parquet")), key=lambda f: f.uri)


class CaptureWriter:
    """The captures of one serving process: sampled on the request path, written by a background thread."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._pending: list[tuple[str, CapturedPrediction]] = []
        self._lock = threading.Lock()
        self._random = random.Random()
        self._sequence = 0
        self.dropped = 0

    def offer(
        self,
        ml_model_id: str,
        rate: float,
        records: Sequence[Mapping[str, str]],
        predictions: Sequence[Mapping[str, Any]],
    ) -> None:
        """Capture each record with probability ``rate`` (cheap: called on the request path)."""
        if rate <= 0.0:
            return
        now = time.time()
        for record, prediction in zip(records, predictions, strict=True):
            if rate < 1.0 and self._random.random() >= rate:
                continue
            if len(self._pending) >= self.ctx.settings.capture_buffer_rows:
                self.dropped += 1
                continue
            self._pending.append((ml_model_id, CapturedPrediction.capture(now, record, prediction)))

    def flush(self) -> int:
        """Write what was captured since the last flush, one file per model; returns the rows written."""
        with self._lock:
            pending, self._pending = self._pending, []
            if self.dropped:
                log.warning("prediction capture: %d captures dropped (buffer full)", self.dropped)
                self.dropped = 0
            by_model: dict[str, list[CapturedPrediction]] = {}
            for model_id, one in pending:
                by_model.setdefault(model_id, []).append(one)
            for model_id, rows in by_model.items():
                try:
                    self._write(model_id, rows)
                    self.rotate(model_id)
                except Exception:
                    log.exception("writing the captured predictions of %s failed", model_id)
            return len(pending)

    def _write(self, ml_model_id: str, captured: list[CapturedPrediction]) -> None:
        self._sequence += 1
        day = time.strftime("%Y-%m-%d", time.gmtime(captured[0].captured_at))
        name = f"part-{round(time.time() * 1000):013d}-{os.getpid()}-{self._sequence}.parquet"
        uri = self.ctx.objects.data_uri(CAPTURES_FOLDER, ml_model_id, f"date={day}", name)
        self.ctx.objects.server_files.write_bytes(uri, table_to_parquet(capture_table(captured)))

    def rotate(self, ml_model_id: str) -> int:
        """Delete a model's oldest capture files while they hold more than the limit; returns how many."""
        files = list_capture_files(self.ctx, ml_model_id)
        total = sum(f.size for f in files)
        limit = self.ctx.settings.capture_max_bytes_per_model
        removed = 0
        for file in files:
            if total <= limit:
                break
            self.ctx.objects.server_files.delete(file.uri)
            total -= file.size
            removed += 1
        return removed

    def run(self, stop: threading.Event) -> None:
        """Flush every ``OPENAML_CAPTURE_FLUSH_SECONDS`` until ``stop``, then once more."""
        interval = self.ctx.settings.capture_flush_seconds
        while not stop.wait(interval):
            self.flush()
        self.flush()
