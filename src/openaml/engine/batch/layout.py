"""The columns of a batch prediction result file, per model type (Amazon ML's format).

======================  ==========================================================================
Model type              Columns
======================  ==========================================================================
BINARY                  ``bestAnswer`` (1 when ``score >= score_threshold``, else 0), ``score``
                        (the probability of class ``"1"``)
MULTICLASS              one column per class, named by its label, in the model's class order:
                        the probability of that class (each row sums to 1)
REGRESSION              ``score``, the predicted value
======================  ==========================================================================

When the datasource schema has a ``rowId``, a first column ``tag`` carries its raw value. A record
that could not be scored has null values in the score columns (a blank line in CSV output).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from openaml.engine.models import ModelType

TAG_COLUMN = "tag"
BEST_ANSWER_COLUMN = "bestAnswer"
SCORE_COLUMN = "score"

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ResultLayout:
    """What a result file holds: which columns, and how scores become their values.

    ``classes`` are the MULTICLASS labels in the model's score-column order (ignored otherwise);
    ``score_threshold`` is the BINARY cut-off for ``bestAnswer``.
    """

    model_type: ModelType
    classes: tuple[str, ...] | None
    score_threshold: float
    has_tag: bool

    def __post_init__(self) -> None:
        if self.model_type is ModelType.MULTICLASS and not self.classes:
            raise ValueError("a MULTICLASS result layout needs the model's class labels")

    @property
    def score_columns(self) -> tuple[str, ...]:
        """The columns computed from the model's scores."""
        if self.model_type is ModelType.BINARY:
            return (BEST_ANSWER_COLUMN, SCORE_COLUMN)
        if self.model_type is ModelType.MULTICLASS:
            assert self.classes is not None
            return self.classes
        return (SCORE_COLUMN,)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Every column, in file order."""
        return ((TAG_COLUMN,) if self.has_tag else ()) + self.score_columns

    @property
    def arrow_schema(self) -> pa.Schema:
        """The Arrow types of the columns: text tag, integer ``bestAnswer``, float scores."""
        fields = [pa.field(TAG_COLUMN, pa.large_string())] if self.has_tag else []
        for name in self.score_columns:
            kind = pa.int64() if self.model_type is ModelType.BINARY and name == BEST_ANSWER_COLUMN else None
            fields.append(pa.field(name, kind or pa.float64()))
        return pa.schema(fields)

    def score_shape(self, records: int) -> tuple[int, ...]:
        """The shape of the model's scores for ``records`` records: ``(n,)``, or ``(n, k)`` for MULTICLASS."""
        if self.model_type is ModelType.MULTICLASS:
            assert self.classes is not None
            return (records, len(self.classes))
        return (records,)

    def header_line(self) -> bytes:
        """The CSV header line, names quoted where CSV needs it (class labels may hold commas)."""
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerow(self.column_names)
        return text.getvalue().encode("utf-8")

    def results(self, tags: pa.Array | None, scores: FloatArray, scored: BoolArray) -> pa.Table:
        """The result rows of a chunk of records.

        ``scores`` has one row per record (shape ``(n,)``, or ``(n, k)`` for MULTICLASS); where
        ``scored`` is False the score columns are null. ``tags`` (the raw rowId values) is kept for
        every record.
        """
        missing = ~scored
        columns: list[pa.Array] = []
        if self.has_tag:
            assert tags is not None, "a layout with a tag column needs the rowId values"
            columns.append(tags.cast(pa.large_string()))
        if self.model_type is ModelType.MULTICLASS:
            columns.extend(pa.array(scores[:, index], mask=missing) for index in range(scores.shape[1]))
        else:
            if self.model_type is ModelType.BINARY:
                best = (scores >= self.score_threshold).astype(np.int64)
                columns.append(pa.array(best, mask=missing))
            columns.append(pa.array(scores, mask=missing))
        return pa.Table.from_arrays(columns, schema=self.arrow_schema)
