"""Scoring a few records without pandas: the typed record and the models that score them directly.

A *typed record* is one row of a typed frame (CONTRACTS §2) as a plain mapping: NUMERIC and BINARY
attributes hold floats (NaN when missing), CATEGORICAL and TEXT attributes hold strings (or None when
missing); an attribute absent from the mapping is missing. Building a one-row DataFrame costs more
than a linear model's whole prediction, so models that serve real-time traffic also score typed
records directly (:class:`RecordScorer`); :class:`~openaml.engine.predictors.RecordPredictor` uses
that path when the model offers it.

A record parsed for real-time prediction is a :class:`ParsedRecord`: the same mapping, plus its NUMERIC
and BINARY values as one float64 vector in the schema's order. Wide records (hundreds of numeric
attributes) are read by name several times per prediction (each encoder, each block of recipe
features), and :func:`record_numbers` turns each of those reads into one ``take`` with an index array
prepared once per list of names, instead of hundreds of lookups and a new array.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, TypeAlias, runtime_checkable

import numpy as np
import numpy.typing as npt

TypedValue = float | str | None
TypedRecord = Mapping[str, TypedValue]
FloatArray: TypeAlias = npt.NDArray[np.float64]
IndexArray: TypeAlias = npt.NDArray[np.intp]

#: Most lists of names a :class:`NumberLayout` keeps index arrays for (callers pass long-lived lists:
#: an encoder's columns, a recipe block's attributes; a caller passing new lists is served uncached).
_MAX_CACHED_NAME_LISTS = 64


class NumberLayout:
    """Where each numeric attribute's value sits in the vector of a :class:`ParsedRecord`."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self._positions = {name: position for position, name in enumerate(self.names)}
        #: ``id(names)`` → (``names`` itself, kept alive so that its id stays its own; its index array,
        #: None when a name is not in the layout).
        self._indexes: dict[int, tuple[Sequence[str], IndexArray | None]] = {}

    def indexes(self, names: Sequence[str]) -> IndexArray | None:
        """The positions of ``names`` in the vector; None when one of them is not in the layout."""
        cached = self._indexes.get(id(names))
        if cached is not None and cached[0] is names:
            return cached[1]
        positions = [self._positions.get(name) for name in names]
        index = None if None in positions else np.array(positions, dtype=np.intp)
        if len(self._indexes) < _MAX_CACHED_NAME_LISTS:
            self._indexes[id(names)] = (names, index)
        return index


class ParsedRecord(dict[str, TypedValue]):
    """A typed record that also holds its numeric values (finite or NaN) in ``layout`` order."""

    __slots__ = ("layout", "numbers")

    layout: NumberLayout
    numbers: FloatArray


def record_numbers(record: TypedRecord, names: Sequence[str]) -> FloatArray:
    """The values of ``names`` in ``record`` as a new float64 array (NaN where missing): one ``take``
    from a :class:`ParsedRecord`'s vector when it holds them all, else one lookup per name."""
    if type(record) is ParsedRecord:
        index = record.layout.indexes(names)
        if index is not None:
            return record.numbers.take(index)
    return np.array(list(map(record.get, names)), dtype=np.float64)


@runtime_checkable
class RecordScorer(Protocol):
    """A trained model that also scores typed records without building a frame."""

    def predict_records(self, records: Sequence[TypedRecord]) -> npt.NDArray[np.float64]:
        """The scores ``predict_scores`` gives for a frame of these records, in the same layout
        (equal up to floating-point rounding)."""
        ...
