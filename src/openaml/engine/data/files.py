"""How the caller hands data files to the engine, and how the engine opens them.

The engine never lists object stores itself: the domain layer builds one :class:`DataFile` per object
(local file, S3 object, SQL snapshot) and the engine only calls ``open``. A file is read as Parquet when
its name ends in ``.parquet``/``.parq`` or its content starts with ``PAR1``; otherwise as CSV,
gzip-decompressed when its name ends in ``.gz`` or its content starts with the gzip magic bytes.
"""

from __future__ import annotations

import enum
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
_PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")


class FileFormat(enum.Enum):
    """The physical layout of one data file."""

    CSV = "CSV"
    CSV_GZIP = "CSV_GZIP"
    PARQUET = "PARQUET"


@dataclass(frozen=True)
class DataFile:
    """One input file: its URI (used in messages and batch outputs), size in bytes and an opener.

    ``open`` returns a new binary stream positioned at the start each time it is called; the engine
    closes what it opens.
    """

    uri: str
    size: int
    open: Callable[[], BinaryIO]

    @classmethod
    def from_path(cls, path: str | Path) -> DataFile:
        """A local file (used by tests, benchmarks and the CLI)."""
        resolved = Path(path).resolve()
        return cls(uri=resolved.as_uri(), size=resolved.stat().st_size, open=lambda: resolved.open("rb"))


def detect_format(file: DataFile, head: bytes) -> FileFormat:
    """The format of ``file`` from its name first, then from its first bytes ``head``."""
    name = file.uri.lower().rstrip("/")
    if name.endswith(_PARQUET_SUFFIXES) or head.startswith(PARQUET_MAGIC):
        return FileFormat.PARQUET
    if name.endswith(".gz") or head.startswith(GZIP_MAGIC):
        return FileFormat.CSV_GZIP
    return FileFormat.CSV


def open_with_head(file: DataFile, head_size: int = 4) -> tuple[BinaryIO, bytes]:
    """Open ``file`` and return the stream positioned at the start together with its first bytes."""
    stream = file.open()
    head = stream.read(head_size)
    if stream.seekable():
        stream.seek(0)
    else:
        stream.close()
        stream = file.open()
    return stream, head


def seekable(stream: BinaryIO) -> BinaryIO:
    """``stream`` itself if it can seek, else a temporary-file copy (Parquet needs random access)."""
    if stream.seekable():
        return stream
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - returned to the caller, who closes it
    with stream:
        shutil.copyfileobj(stream, spool, length=1 << 20)
    spool.seek(0)
    return spool
