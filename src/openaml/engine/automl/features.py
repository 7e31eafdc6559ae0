"""Turning typed frames into model matrices, one encoding per kind of learner.

Two encodings cover every family:

* :attr:`Encoding.SCALED` (linear models, k-NN, MLP): numbers imputed with the median, with a
  missing-value indicator where training data had gaps, then standardised; categories one-hot;
  text as TF-IDF over word 1–2-grams plus character 2–5-grams (when the text is small enough).
* :attr:`Encoding.TREE` (LightGBM, forests): numbers as they are (NaN = missing), categories as
  integer codes (LightGBM treats them as categorical), a frequency column for high-cardinality
  categories, and text as a compact word 1–2-gram TF-IDF plus character and word counts.

TEXT attributes are always features, never categories. Rare categories share an "other" code and so
do categories first seen at prediction time, which bounds the width for high-cardinality columns.
Columns missing from a frame are treated as entirely missing; extra columns are ignored.
Encoders are fitted without the target (only unsupervised statistics), so fitting them once on the
search data and reusing them across validation folds leaks no label information.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from openaml.engine.data.schema import Attribute, AttributeType

FloatArray: TypeAlias = npt.NDArray[np.float64]
Matrix: TypeAlias = FloatArray | sp.csr_matrix

_MAX_CATEGORIES = 100
_MIN_CATEGORY_COUNT = 2
_HIGH_CARDINALITY = 32
_MAX_FREQUENCIES = 10_000
_TREE_TEXT_FEATURES = 1_000
_SCALED_WORD_FEATURES = 50_000
_SCALED_CHAR_FEATURES = 50_000
_CHAR_NGRAM_TEXT_LIMIT = 5_000_000
_MAX_DENSE_ONE_HOT = 1_000


class Encoding(enum.StrEnum):
    """Which matrix a model family consumes."""

    SCALED = "scaled"
    TREE = "tree"


@dataclass(frozen=True)
class _CategoryCodes:
    """The kept values of one categorical column, most frequent first."""

    codes: dict[str, int]
    frequencies: dict[str, float]
    distinct: int

    @classmethod
    def fit(cls, values: pd.Series) -> _CategoryCodes:
        counts = values.dropna().astype(str).value_counts()
        counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
        kept = [value for value, count in counts.items() if count >= _MIN_CATEGORY_COUNT][:_MAX_CATEGORIES]
        total = max(int(counts.sum()), 1)
        frequent = counts[counts >= _MIN_CATEGORY_COUNT].iloc[:_MAX_FREQUENCIES]
        return cls(
            codes={str(value): index for index, value in enumerate(kept)},
            frequencies={str(value): count / total for value, count in frequent.items()},
            distinct=len(counts),
        )

    @property
    def other_code(self) -> int:
        """The code shared by rare values and values never seen in training."""
        return len(self.codes)

    def transform(self, values: pd.Series) -> npt.NDArray[np.int64]:
        """Codes per row: kept values 0..m-1, others ``other_code``, missing -1."""
        missing = values.isna().to_numpy()
        as_text = values.astype(object).where(~missing, "").astype(str)
        codes: npt.NDArray[np.int64] = (
            as_text.map(self.codes).fillna(self.other_code).to_numpy(dtype=np.int64, copy=True)
        )
        codes[missing] = -1
        return codes

    def frequency(self, values: pd.Series) -> FloatArray:
        """Training frequency of each row's value (0 for unseen or single values, NaN for missing ones)."""
        missing = values.isna().to_numpy()
        as_text = values.astype(object).where(~missing, "").astype(str)
        result: FloatArray = as_text.map(self.frequencies).fillna(0.0).to_numpy(dtype=np.float64, copy=True)
        result[missing] = np.nan
        return result


class _TextColumn:
    """TF-IDF features of one text column; a column with no usable tokens yields no features."""

    def __init__(self, vectorizers: Sequence[TfidfVectorizer]) -> None:
        self._vectorizers = list(vectorizers)

    def fit(self, texts: pd.Series) -> _TextColumn:
        fitted = []
        for vectorizer in self._vectorizers:
            try:
                vectorizer.fit(texts)
            except ValueError:  # empty vocabulary: every document was blank or filtered out
                continue
            fitted.append(vectorizer)
        self._vectorizers = fitted
        return self

    def transform(self, texts: pd.Series) -> list[sp.csr_matrix]:
        return [sp.csr_matrix(vectorizer.transform(texts)) for vectorizer in self._vectorizers]


class FeatureEncoder:
    """Fits on a typed frame and turns frames into the matrix of one :class:`Encoding`."""

    def __init__(self, attributes: Sequence[Attribute], encoding: Encoding) -> None:
        self.encoding = encoding
        self._numeric = [
            a.name for a in attributes if a.type in (AttributeType.NUMERIC, AttributeType.BINARY)
        ]
        self._categorical = [a.name for a in attributes if a.type is AttributeType.CATEGORICAL]
        self._text = [a.name for a in attributes if a.type is AttributeType.TEXT]
        self._categories: dict[str, _CategoryCodes] = {}
        self._texts: dict[str, _TextColumn] = {}
        self._medians: FloatArray = np.empty(0)
        self._means: FloatArray = np.empty(0)
        self._scales: FloatArray = np.empty(0)
        self._indicator_columns: npt.NDArray[np.intp] = np.empty(0, dtype=np.intp)
        self.categorical_indices: list[int] = []

    def fit(self, frame: pd.DataFrame) -> FeatureEncoder:
        """Learn imputation values, scales, category codes and text vocabularies from ``frame``."""
        numbers = _numeric_block(frame, self._numeric)
        with np.errstate(all="ignore"):
            medians = np.nanmedian(numbers, axis=0) if len(numbers) else np.zeros(len(self._numeric))
        self._medians = np.nan_to_num(medians, nan=0.0)
        self._indicator_columns = np.flatnonzero(np.isnan(numbers).any(axis=0))
        imputed = np.where(np.isnan(numbers), self._medians, numbers)
        self._means = imputed.mean(axis=0) if len(imputed) else np.zeros(len(self._numeric))
        scales = imputed.std(axis=0) if len(imputed) else np.ones(len(self._numeric))
        self._scales = np.where(scales > 0, scales, 1.0)
        self._categories = {name: _CategoryCodes.fit(_column(frame, name)) for name in self._categorical}
        total_text = sum(int(_text(frame, name).str.len().sum()) for name in self._text)
        self._texts = {
            name: _TextColumn(self._text_vectorizers(total_text)).fit(_text(frame, name))
            for name in self._text
        }
        self.categorical_indices = self._tree_categorical_indices()
        return self

    def transform(self, frame: pd.DataFrame) -> Matrix:
        """The model matrix for ``frame``: dense float64, or CSR when text or wide one-hot is present."""
        if self.encoding is Encoding.TREE:
            return self._transform_tree(frame)
        return self._transform_scaled(frame)

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

    def _tree_categorical_indices(self) -> list[int]:
        start = len(self._numeric)
        return list(range(start, start + len(self._categorical)))

    def _transform_tree(self, frame: pd.DataFrame) -> Matrix:
        blocks: list[FloatArray] = [_numeric_block(frame, self._numeric)]
        for name in self._categorical:
            codes = self._categories[name].transform(_column(frame, name)).astype(np.float64)
            codes[codes < 0] = np.nan
            blocks.append(codes[:, None])
        for name in self._categorical:
            if self._categories[name].distinct > _HIGH_CARDINALITY:
                blocks.append(self._categories[name].frequency(_column(frame, name))[:, None])
        for name in self._text:
            texts = _text(frame, name)
            blocks.append(texts.str.len().to_numpy(dtype=np.float64)[:, None])
            blocks.append(texts.str.split().str.len().to_numpy(dtype=np.float64)[:, None])
        dense = np.hstack(blocks) if blocks else np.empty((len(frame), 0))
        text_blocks = [
            block for name in self._text for block in self._texts[name].transform(_text(frame, name))
        ]
        if not text_blocks:
            return dense
        return sp.hstack([sp.csr_matrix(dense), *text_blocks], format="csr")

    def _transform_scaled(self, frame: pd.DataFrame) -> Matrix:
        numbers = _numeric_block(frame, self._numeric)
        missing = np.isnan(numbers)
        imputed = np.where(missing, self._medians, numbers)
        scaled = (imputed - self._means) / self._scales
        dense = np.hstack([scaled, missing[:, self._indicator_columns].astype(np.float64)])
        one_hot = [self._one_hot(name, _column(frame, name)) for name in self._categorical]
        text_blocks = [
            block for name in self._text for block in self._texts[name].transform(_text(frame, name))
        ]
        width = sum(block.shape[1] for block in one_hot)
        if not text_blocks and width <= _MAX_DENSE_ONE_HOT:
            return np.hstack([dense, *(block.toarray() for block in one_hot)])
        return sp.hstack([sp.csr_matrix(dense), *one_hot, *text_blocks], format="csr")

    def _one_hot(self, name: str, values: pd.Series) -> sp.csr_matrix:
        """One column per kept value, one for "other" and one for missing."""
        categories = self._categories[name]
        codes = categories.transform(values)
        codes[codes < 0] = categories.other_code + 1
        rows = np.arange(len(codes))
        shape = (len(codes), categories.other_code + 2)
        return sp.csr_matrix((np.ones(len(codes)), (rows, codes)), shape=shape)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    values = _column(frame, name)
    return values.astype(object).where(values.notna(), "").astype(str)


def _numeric_block(frame: pd.DataFrame, names: Sequence[str]) -> FloatArray:
    """The numeric columns as one float64 array; unparseable values and infinities become NaN."""
    block = frame.reindex(columns=list(names))
    try:
        values = block.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        values = np.column_stack(
            [
                pd.to_numeric(block[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                for name in names
            ]
        )
    values = np.array(values, dtype=np.float64, copy=True).reshape(len(frame), len(names))
    values[~np.isfinite(values)] = np.nan
    return values
