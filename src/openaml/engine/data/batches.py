"""What a file reader yields: blocks of raw (untyped) columns, and the malformed records it skipped.

Shared by every :mod:`file-format reader <openaml.engine.data.reading>`; typing and validation against
a schema happen in :mod:`.validation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile


@dataclass(frozen=True)
class MalformedRow:
    """A CSV record that does not have the expected number of fields."""

    row_number: int
    text: str
    reason: str


@dataclass
class RawBatch:
    """Consecutive records of one file, split into columns but not yet typed.

    ``columns`` has one column per expected name: ``string`` for CSV, the stored type for Parquet.
    ``malformed`` lists the malformed records numbered before the end of this batch (they are not in
    ``columns``); ``first_record_number`` is the number of the file's first data record, so a record's
    position among the data records of its file is ``row_number - first_record_number``.
    """

    file_uri: str
    columns: pa.RecordBatch
    row_numbers: npt.NDArray[np.int64]
    first_record_number: int
    bytes_done: int
    malformed: list[MalformedRow] = field(default_factory=list)


def check_columns(file: DataFile, found: Sequence[str], expected: Sequence[str]) -> None:
    """Raise :class:`DataError` naming ``file`` and the first difference unless ``found == expected``."""
    if list(found) == list(expected):
        return
    for index, (got, wanted) in enumerate(zip(found, expected, strict=False)):
        if got != wanted:
            raise DataError(
                f"The header of {file.uri} does not match the expected columns: column {index + 1} is "
                f"{got!r} where {wanted!r} was expected. All files of a datasource must have the same "
                "columns, in the order of the schema's attributes."
            )
    raise DataError(
        f"The header of {file.uri} has {len(found)} columns where {len(expected)} were expected. All files "
        "of a datasource must have the same columns, in the order of the schema's attributes."
    )


def empty_batch(names: Sequence[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([], type=pa.string()) for _ in names], names=list(names))
