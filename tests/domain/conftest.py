"""In-process use-case tests: a ServiceContext on a temporary data directory with SQLite, and a worker
that runs queued job bodies in this process (no server, no subprocess)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from openaml.cli.runtime import build_worker
from openaml.config import load_settings
from openaml.domain.context import ServiceContext
from openaml.entities import Caller

CALLER = Caller("test", "arn:aws:iam::123456789012:user/test")


@pytest.fixture()
def ctx(tmp_path: Path) -> Iterator[ServiceContext]:
    settings = load_settings(
        env={}, overrides={"data_dir": tmp_path / "data", "data_roots": (str(tmp_path / "io"),)}
    )
    context = ServiceContext.from_settings(settings)
    context.metadata.check_schema(initialize_empty=True)
    yield context
    context.close()


@pytest.fixture()
def io_dir(tmp_path: Path) -> Path:
    """The allowed data root the tests put their input files in."""
    folder = tmp_path / "io"
    folder.mkdir()
    return folder


def run_jobs(ctx: ServiceContext) -> None:
    """Run every queued job body in this process until the queue is empty."""
    worker = build_worker(ctx)
    while worker.run_once():
        pass


def write_table(path: Path, rows: int = 300) -> Path:
    """A small labelled table: numeric ``x``, ``z`` and a BINARY target ``y`` that follows ``x``."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"x": x, "z": rng.normal(size=rows), "y": (x > 0).astype(int)}).to_csv(path, index=False)
    return path


HINTS = json.dumps({"targetAttributeName": "y"})
