"""Reading columns as numbers: values, category codes, text and dates.

These are the building blocks of :mod:`.features`. Every reader tolerates a column that is absent
(all missing) and values never seen in training. Columns come from a typed frame
(:class:`FrameColumns`) or, for real-time prediction, from a few typed records
(:class:`RecordColumns`, plain Python instead of pandas): both give the same values, so an encoder
turns a record into the same features either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from openaml.engine.predictors.scoring import TypedRecord, record_numbers

FloatArray: TypeAlias = npt.NDArray[np.float64]
#: A row-wise function of a column's values (as :meth:`Columns.strings` reads them): one output row
#: per value, each depending on its own value only (see :meth:`Columns.per_value`).
ValueFunction: TypeAlias = Callable[[list[str | None]], npt.NDArray[np.generic]]

MAX_CATEGORIES = 100
_MIN_CATEGORY_COUNT = 2
_MAX_FREQUENCIES = 10_000
_MAX_ORDER_POINTS = 1_000
_DATE_PATTERN = r"^\d{4}-\d{1,2}-\d{1,2}"
_DATE_SAMPLE = 1_000
_DATE_SHARE = 0.95


@dataclass(frozen=True)
class CategoryCodes:
    """What training taught about one categorical column.

    ``codes`` maps the kept values (most frequent first, at most 100, each seen at least twice) to
    0..m-1; ``frequencies`` holds training shares of frequent values; ``order_points`` are sorted
    distinct values (thinned to 1,000) that place any value, even an unseen one, in the column's
    sort order — for ordered labels such as dates or grades that order carries information.
    """

    codes: dict[str, int]
    frequencies: dict[str, float]
    order_points: tuple[str, ...]
    distinct: int

    @classmethod
    def fit(cls, values: pd.Series) -> CategoryCodes:
        counts = values.dropna().astype(str).value_counts()
        counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
        kept = [value for value, count in counts.items() if count >= _MIN_CATEGORY_COUNT][:MAX_CATEGORIES]
        total = max(int(counts.sum()), 1)
        frequent = counts[counts >= _MIN_CATEGORY_COUNT].iloc[:_MAX_FREQUENCIES]
        ordered = sorted(str(value) for value in counts.index)
        step = max(len(ordered) // _MAX_ORDER_POINTS, 1)
        return cls(
            codes={str(value): index for index, value in enumerate(kept)},
            frequencies={str(value): count / total for value, count in frequent.items()},
            order_points=tuple(ordered[::step]),
            distinct=len(counts),
        )

    @property
    def other_code(self) -> int:
        """The code shared by rare values and values never seen in training."""
        return len(self.codes)

    def transform(self, strings: Sequence[str | None]) -> npt.NDArray[np.int64]:
        """Codes per row: kept values 0..m-1, others ``other_code``, missing -1."""
        other = self.other_code
        return np.array(
            [-1 if value is None else self.codes.get(value, other) for value in strings], dtype=np.int64
        )

    def frequency(self, strings: Sequence[str | None]) -> FloatArray:
        """Training share of each row's value (0 for unseen or single values, NaN for missing ones)."""
        return np.array(
            [np.nan if value is None else self.frequencies.get(value, 0.0) for value in strings],
            dtype=np.float64,
        )

    def order(self, strings: Sequence[str | None]) -> FloatArray:
        """Each row's position in the sorted training values, from 0 to 1 (NaN for missing ones)."""
        missing = np.array([value is None for value in strings], dtype=bool)
        points = np.asarray(self.order_points, dtype=object)
        present = np.asarray([value or "" for value in strings], dtype=object)
        positions: FloatArray = np.searchsorted(points, present).astype(np.float64) / max(len(points), 1)
        positions[missing] = np.nan
        return positions


class TextColumn:
    """TF-IDF features of one text column; a column with no usable tokens yields no features."""

    def __init__(self, vectorizers: Sequence[TfidfVectorizer]) -> None:
        self._vectorizers = list(vectorizers)

    def fit(self, texts: pd.Series) -> TextColumn:
        fitted = []
        for vectorizer in self._vectorizers:
            try:
                vectorizer.fit(texts)
            except ValueError:  # empty vocabulary: every document was blank or filtered out
                continue
            fitted.append(vectorizer)
        self._vectorizers = fitted
        return self

    def transform(self, texts: Sequence[str]) -> list[sp.csr_matrix]:
        return [sp.csr_matrix(vectorizer.transform(texts)) for vectorizer in self._vectorizers]

    @property
    def width(self) -> int:
        """How many matrix columns the column's features take (all vectorizers together)."""
        return sum(len(vectorizer.vocabulary_) for vectorizer in self._vectorizers)


class Columns(Protocol):
    """Where an encoder reads its input columns from."""

    @property
    def n_rows(self) -> int: ...

    def numbers(self, names: Sequence[str]) -> FloatArray:
        """The columns ``names`` as one float64 array; missing values and infinities as NaN.
        Callers must not modify it (it may be shared)."""
        ...

    def strings(self, name: str) -> list[str | None]:
        """The column ``name``, each value as a string, None where missing."""
        ...

    def dates(self, name: str) -> FloatArray:
        """The parts of the dates in the column ``name`` (see :func:`date_parts`)."""
        ...

    def per_value(self, name: str, function: ValueFunction) -> npt.NDArray[np.generic]:
        """``function(self.strings(name))``; readers of dictionary-encoded columns call ``function``
        once per distinct value and gather the result by the codes (the same array, much faster)."""
        ...


class FrameColumns:
    """Columns of a typed frame, each read once however many encoders ask for it."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._numbers: dict[tuple[str, ...], FloatArray] = {}
        self._strings: dict[str, list[str | None]] = {}

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    def numbers(self, names: Sequence[str]) -> FloatArray:
        key = tuple(names)
        if key not in self._numbers:
            self._numbers[key] = numeric_block(self.frame, names)
        return self._numbers[key]

    def strings(self, name: str) -> list[str | None]:
        if name not in self._strings:
            self._strings[name] = _strings(column(self.frame, name))
        return self._strings[name]

    def dates(self, name: str) -> FloatArray:
        return date_parts(column(self.frame, name))

    def per_value(self, name: str, function: ValueFunction) -> npt.NDArray[np.generic]:
        return function(self.strings(name))


class RecordColumns:
    """Columns of a few typed records, read without pandas (but for dates), each read once."""

    def __init__(self, records: Sequence[TypedRecord]) -> None:
        self.records = records
        self._numbers: dict[tuple[str, ...], FloatArray] = {}
        self._strings: dict[str, list[str | None]] = {}

    @property
    def n_rows(self) -> int:
        return len(self.records)

    def numbers(self, names: Sequence[str]) -> FloatArray:
        key = tuple(names)
        if key not in self._numbers:
            if len(self.records) == 1:  # real-time: one take from a parsed record's numbers
                values = record_numbers(self.records[0], names).reshape(1, len(names))
            else:
                values = np.array(
                    [[record.get(name) for name in names] for record in self.records], dtype=np.float64
                ).reshape(len(self.records), len(names))
            values[~np.isfinite(values)] = np.nan
            self._numbers[key] = values
        return self._numbers[key]

    def strings(self, name: str) -> list[str | None]:
        if name not in self._strings:
            self._strings[name] = [_string(record.get(name)) for record in self.records]
        return self._strings[name]

    def dates(self, name: str) -> FloatArray:
        return date_parts(pd.Series(self.strings(name), dtype=object))

    def per_value(self, name: str, function: ValueFunction) -> npt.NDArray[np.generic]:
        return function(self.strings(name))


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """The column ``name``, or an all-missing one when the frame lacks it."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def text(frame: pd.DataFrame, name: str) -> pd.Series:
    """The column as strings, missing values as empty strings."""
    return pd.Series(texts(_strings(column(frame, name))), dtype=object)


def texts(strings: Sequence[str | None]) -> list[str]:
    """Text values with missing ones as empty strings."""
    return [value or "" for value in strings]


def numeric_block(frame: pd.DataFrame, names: Sequence[str]) -> FloatArray:
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


def looks_like_dates(values: pd.Series) -> bool:
    """Whether nearly all (95%) of a sample of the non-missing values are ISO dates (YYYY-MM-DD...)."""
    present = values.dropna().astype(str).head(_DATE_SAMPLE)
    if present.empty or not present.str.match(_DATE_PATTERN).mean() >= _DATE_SHARE:
        return False
    return bool(_parse_dates(present).notna().mean() >= _DATE_SHARE)


def date_parts(values: pd.Series) -> FloatArray:
    """Year, month, day, weekday, day of year, hour and days since 1970, one column each (NaN where
    a value is missing or no date)."""
    dates = _parse_dates(values.astype(object).where(values.notna(), None))
    parts = [
        dates.dt.year,
        dates.dt.month,
        dates.dt.day,
        dates.dt.day_of_week,
        dates.dt.day_of_year,
        dates.dt.hour + dates.dt.minute / 60,
        (dates - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(days=1),
    ]
    return np.column_stack([part.to_numpy(dtype=np.float64, na_value=np.nan) for part in parts])


def _parse_dates(values: pd.Series) -> pd.Series:
    """ISO dates as UTC timestamps (NaT where a value is no date)."""
    return pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)


def _strings(values: pd.Series) -> list[str | None]:
    """Each value as a string, ``None`` where missing."""
    return [None if pd.isna(value) else str(value) for value in values.to_numpy(dtype=object)]


def _string(value: object) -> str | None:
    """One typed record's value as :func:`_strings` reads it from a frame."""
    return None if value is None or value != value else str(value)
