"""Helpers for the data-engine tests: in-memory data files and small CSV builders."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from openaml.engine.data.files import DataFile


def memory_file(content: bytes | str, uri: str = "mem://data/part-0.csv") -> DataFile:
    """A :class:`DataFile` whose bytes live in memory (``str`` content is UTF-8 encoded)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return DataFile(uri=uri, size=len(data), open=lambda: io.BytesIO(data))


@pytest.fixture()
def make_file() -> Callable[..., DataFile]:
    """``make_file(content, uri=...)`` builds an in-memory data file."""
    return memory_file
