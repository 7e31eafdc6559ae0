"""Turning typed frames into model matrices, one encoding per kind of learner.

Two encodings cover every family:

* :attr:`Encoding.SCALED` (linear models, k-NN, MLP): numbers imputed with the median, with a
  missing-value indicator where training data had gaps, then standardised; categories one-hot;
  text as TF-IDF over word 1–2-grams plus character 2–5-grams (when the text is small enough).
* :attr:`Encoding.TREE` (LightGBM, forests): numbers as they are (NaN = missing), categories as
  integer codes (LightGBM treats them as categorical) plus, for high-cardinality ones, the value's
  training frequency and its position in sorted order; text as a compact word 1–2-gram TF-IDF plus
  character and word counts.

Categorical columns whose values are ISO dates (``2012-03-31``, optionally with a time) become
numbers instead: year, month, day, weekday, day of year, hour and days since 1970.
TEXT attributes are always features, never categories. Rare categories share an "other" code and so
do categories first seen at prediction time, which bounds the width for high-cardinality columns.
Columns missing from a frame are treated as entirely missing; extra columns are ignored.
Encoders are fitted without the target (only unsupervised statistics), so fitting them once on the
search data and reusing them across validation folds leaks no label information.

Frames, typed records (real-time prediction) and compact Arrow tables (the refit's rows of large
data) go through the same transformation code, read by :class:`~.columns.FrameColumns`,
:class:`~.columns.RecordColumns` or :class:`~.table.ArrowColumns`, so all give the same matrix.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from openaml.engine.automl.columns import (
    CategoryCodes,
    Columns,
    FrameColumns,
    RecordColumns,
    TextColumn,
    column,
    looks_like_dates,
    text,
    texts,
)
from openaml.engine.data.schema import Attribute, AttributeType
from openaml.engine.predictors.scoring import TypedRecord

FloatArray: TypeAlias = npt.NDArray[np.float64]
Matrix: TypeAlias = FloatArray | sp.csr_matrix

_HIGH_CARDINALITY = 32
#: Above this many training records the TREE encoding keeps no TF-IDF columns of TEXT attributes
#: (their character and word counts only): the refit's matrix of all rows stays dense float32 and
#: bounded in width (a leaderboard note says so).
MAX_TREE_TEXT_ROWS = 1_000_000
_TREE_TEXT_FEATURES = 1_000
_SCALED_WORD_FEATURES = 50_000
_SCALED_CHAR_FEATURES = 50_000
_CHAR_NGRAM_TEXT_LIMIT = 5_000_000
_MAX_DENSE_ONE_HOT = 1_000
#: The rows of the fitting frame whose encoded column means are kept (the reference of linear
#: explanations, see :attr:`FeatureEncoder.column_means`).
_MEAN_SAMPLE_ROWS = 2_000
_DATE_PART_COUNT = 7


class Encoding(enum.StrEnum):
    """Which matrix a model family consumes."""

    SCALED = "scaled"
    TREE = "tree"


class FeatureEncoder:
    """Fits on a typed frame and turns frames into the matrix of one :class:`Encoding`."""

    def __init__(
        self, attributes: Sequence[Attribute], encoding: Encoding, *, text_vocabulary: bool = True
    ) -> None:
        """``text_vocabulary`` False: TEXT attributes of the TREE encoding become their lengths in
        characters and words only, without TF-IDF columns (which bounds the width of a model matrix
        of millions of rows; see :data:`MAX_TREE_TEXT_ROWS`)."""
        self.encoding = encoding
        self._text_vocabulary = text_vocabulary or encoding is Encoding.SCALED
        self._numeric = [
            a.name for a in attributes if a.type in (AttributeType.NUMERIC, AttributeType.BINARY)
        ]
        self._category_attributes = [a.name for a in attributes if a.type is AttributeType.CATEGORICAL]
        self._text = [a.name for a in attributes if a.type is AttributeType.TEXT]
        self._categorical: list[str] = []
        self._dates: list[str] = []
        self._categories: dict[str, CategoryCodes] = {}
        self._texts: dict[str, TextColumn] = {}
        self._medians: FloatArray = np.empty(0)
        self._means: FloatArray = np.empty(0)
        self._scales: FloatArray = np.empty(0)
        self._indicator_columns: npt.NDArray[np.intp] = np.empty(0, dtype=np.intp)
        self.categorical_indices: list[int] = []
        #: Each matrix column's mean over (a sample of) the fitting frame; ``None`` in encoders
        #: pickled before it existed.
        self.column_means: FloatArray | None = None

    def fit(self, frame: pd.DataFrame) -> FeatureEncoder:
        """Learn imputation values, scales, category codes and text vocabularies from ``frame``."""
        self._dates = [name for name in self._category_attributes if looks_like_dates(column(frame, name))]
        self._categorical = [name for name in self._category_attributes if name not in self._dates]
        numbers = self._numbers(FrameColumns(frame))
        with np.errstate(all="ignore"):
            medians = np.nanmedian(numbers, axis=0) if len(numbers) else np.zeros(numbers.shape[1])
        self._medians = np.nan_to_num(medians, nan=0.0)
        self._indicator_columns = np.flatnonzero(np.isnan(numbers).any(axis=0))
        imputed = np.where(np.isnan(numbers), self._medians, numbers)
        self._means = imputed.mean(axis=0) if len(imputed) else np.zeros(numbers.shape[1])
        scales = imputed.std(axis=0) if len(imputed) else np.ones(numbers.shape[1])
        self._scales = np.where(scales > 0, scales, 1.0)
        self._categories = {name: CategoryCodes.fit(column(frame, name)) for name in self._categorical}
        total_text = sum(int(text(frame, name).str.len().sum()) for name in self._text)
        self._texts = {
            name: TextColumn(self._text_vectorizers(total_text) if self._text_vocabulary else []).fit(
                text(frame, name)
            )
            for name in self._text
        }
        start = numbers.shape[1]
        self.categorical_indices = list(range(start, start + len(self._categorical)))
        if self.encoding is Encoding.SCALED and len(frame):  # the matrix has no missing values
            sample = frame.iloc[:: max(len(frame) // _MEAN_SAMPLE_ROWS, 1)].iloc[:_MEAN_SAMPLE_ROWS]
            self.column_means = np.asarray(self.transform(sample).mean(axis=0), dtype=np.float64).ravel()
        return self

    def column_sources(self) -> list[str]:
        """The input attribute each matrix column is computed from, in column order.

        Explanations fold the columns' contributions back into these attributes (one-hot columns,
        date parts, text n-grams and counts, missing-value indicators all into their attribute).
        """
        numbers = [*self._numeric, *(name for name in self._dates for _ in range(_DATE_PART_COUNT))]
        texts_ = [name for name in self._text for _ in range(self._texts[name].width)]
        if self.encoding is Encoding.TREE:
            wide = [name for name in self._categorical if self._categories[name].distinct > _HIGH_CARDINALITY]
            return [
                *numbers,
                *self._categorical,
                *(name for name in wide for _ in range(2)),
                *(name for name in self._text for _ in range(2)),
                *texts_,
            ]
        indicators = [numbers[index] for index in self._indicator_columns]
        one_hot = [name for name in self._categorical for _ in range(self._categories[name].other_code + 2)]
        return [*numbers, *indicators, *one_hot, *texts_]

    def transform(self, frame: pd.DataFrame) -> Matrix:
        """The model matrix for ``frame``: dense float64, or CSR when text or wide one-hot is present."""
        return self.transform_columns(FrameColumns(frame))

    def transform_records(self, records: Sequence[TypedRecord]) -> Matrix:
        """:meth:`transform` for typed records (see :mod:`openaml.engine.predictors.scoring`)."""
        return self.transform_columns(RecordColumns(records))

    def transform_columns(self, columns: Columns) -> Matrix:
        """The model matrix of the rows ``columns`` holds (one ``columns`` may serve several encoders)."""
        if self.encoding is Encoding.TREE:
            return self._transform_tree(columns)
        return self._transform_scaled(columns)

    def _numbers(self, columns: Columns) -> FloatArray:
        """Numeric and binary columns, then the parts of each date column."""
        blocks = [columns.numbers(self._numeric)]
        blocks += [columns.dates(name) for name in self._dates]
        return np.hstack(blocks) if self._dates else blocks[0]

    def _text_vectorizers(self, total_text_chars: int) -> list[TfidfVectorizer]:
        if self.encoding is Encoding.TREE:
            return [
                TfidfVectorizer(
                    ngram_range=(1, 2),
                    min_df=2,
                    max_features=_TREE_TEXT_FEATURES,
                    sublinear_tf=True,
                    dtype=np.float64,
                )
            ]
        vectorizers = [
            TfidfVectorizer(
                ngram_range=(1, 2), max_features=_SCALED_WORD_FEATURES, sublinear_tf=True, dtype=np.float64
            )
        ]
        if total_text_chars <= _CHAR_NGRAM_TEXT_LIMIT:
            vectorizers.append(
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    min_df=2,
                    max_features=_SCALED_CHAR_FEATURES,
                    sublinear_tf=True,
                    dtype=np.float64,
                )
            )
        return vectorizers

    def _transform_tree(self, columns: Columns) -> Matrix:
        blocks: list[FloatArray] = [self._numbers(columns)]
        for name in self._categorical:
            codes = columns.per_value(name, self._categories[name].transform).astype(np.float64)
            codes[codes < 0] = np.nan
            blocks.append(codes[:, None])
        for name in self._categorical:
            categories = self._categories[name]
            if categories.distinct > _HIGH_CARDINALITY:
                frequency = columns.per_value(name, categories.frequency).astype(np.float64)
                order = columns.per_value(name, categories.order).astype(np.float64)
                blocks += [frequency[:, None], order[:, None]]
        blocks += [columns.per_value(name, _text_counts).astype(np.float64) for name in self._text]
        dense = np.hstack(blocks)
        text_blocks = [
            block
            for name in self._text
            if self._texts[name].width
            for block in self._texts[name].transform(texts(columns.strings(name)))
        ]
        if not text_blocks:
            return dense
        return sp.hstack([sp.csr_matrix(dense), *text_blocks], format="csr")

    def _transform_scaled(self, columns: Columns) -> Matrix:
        numbers = self._numbers(columns)
        missing = np.isnan(numbers)
        imputed = np.where(missing, self._medians, numbers)
        scaled = (imputed - self._means) / self._scales
        dense = np.hstack([scaled, missing[:, self._indicator_columns].astype(np.float64)])
        codes = [self._one_hot_codes(name, columns) for name in self._categorical]
        text_blocks = [
            block
            for name in self._text
            for block in self._texts[name].transform(texts(columns.strings(name)))
        ]
        widths = [self._categories[name].other_code + 2 for name in self._categorical]
        rows = np.arange(columns.n_rows)
        if not text_blocks and sum(widths) <= _MAX_DENSE_ONE_HOT:
            one_hot = [np.zeros((columns.n_rows, width)) for width in widths]
            for block, block_codes in zip(one_hot, codes, strict=True):
                block[rows, block_codes] = 1.0
            return np.hstack([dense, *one_hot])
        sparse_one_hot = [
            sp.csr_matrix((np.ones(len(block_codes)), (rows, block_codes)), shape=(columns.n_rows, width))
            for block_codes, width in zip(codes, widths, strict=True)
        ]
        return sp.hstack([sp.csr_matrix(dense), *sparse_one_hot, *text_blocks], format="csr")

    def _one_hot_codes(self, name: str, columns: Columns) -> npt.NDArray[np.int64]:
        """The one-hot column of each value: one per kept value, one for "other" and one for missing."""
        categories = self._categories[name]
        codes = np.asarray(columns.per_value(name, categories.transform), dtype=np.int64)
        codes[codes < 0] = categories.other_code + 1
        return codes


def _text_counts(strings: list[str | None]) -> FloatArray:
    """:func:`_characters_and_words` of text values (missing ones as empty texts)."""
    return _characters_and_words(texts(strings))


def _characters_and_words(documents: Sequence[str]) -> FloatArray:
    """Each document's length in characters and in (whitespace-separated) words, one column each."""
    return np.array(
        [(len(document), len(document.split())) for document in documents], dtype=np.float64
    ).reshape(len(documents), 2)
