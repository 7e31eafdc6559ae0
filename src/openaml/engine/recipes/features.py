"""Turn typed frames into the sparse feature matrix a parsed recipe describes.

:class:`RecipeFeaturizer` follows the scikit-learn estimator contract: ``fit`` learns from training
data what the transformations and encodings need (quantile bin edges, normalisation statistics,
vocabularies) and ``transform`` applies them to any frame of the same schema. How each output
variable becomes columns:

* NUMERIC and BINARY variables give one column with the value. A variable that had missing values in
  the training data also gets Amazon ML's missing indicator, a column ``<label>:missing`` set to 1
  where the value is missing; the value column then holds the training mean. (A variable never missing
  in training gets no indicator: its weight could not be learned, so a missing value just gets the mean.)
* CATEGORICAL variables (also the bins of ``quantile_bin`` and the crosses of ``cartesian``) are
  one-hot encoded as ``<label>=<value>``; a missing value activates no column. ``quantile_bin`` puts
  missing numbers in a bin of their own called ``missing``, its bins are numbered from 0.
* TEXT variables are split on whitespace, TOKENS variables (``ngram``, ``osb``) already are tokens;
  each distinct token of a record sets ``<label>=<token>`` to 1 (presence, not counts).

Values and tokens not seen in training activate nothing. A vocabulary keeps at most
:data:`MAX_VOCABULARY_SIZE` values per variable (the most frequent, ties broken alphabetically), and
columns are ordered by output variable and then alphabetically, so equal data give equal features.

Frames are transformed column by column with numpy; :mod:`.record_features` computes the same
features for single typed records (real-time prediction) from a fitted featurizer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Self, TypeVar

import numpy as np
import pandas as pd
import scipy.sparse

from openaml.engine.recipes import text
from openaml.engine.recipes.expressions import (
    AttributeInput,
    Expression,
    Function,
    Recipe,
    Transform,
    ValueKind,
)

#: The most values (categories or tokens) one output variable keeps in its vocabulary.
MAX_VOCABULARY_SIZE = 200_000
MISSING_INDICATOR_SUFFIX = ":missing"
MISSING_BIN = "missing"

_NUMERIC_KINDS = frozenset({ValueKind.NUMERIC, ValueKind.BINARY})


@dataclass(frozen=True)
class _Categories:
    """One category (or None) per record: the values of a CATEGORICAL output variable."""

    values: list[str | None]


# What an output variable's encoder consumes: numbers (NUMERIC, BINARY; NaN for missing), categories
# (CATEGORICAL), or the tokens of each record (TEXT, TOKENS).
_Column = np.ndarray | _Categories | list[list[str]]
_Triplets = tuple[np.ndarray, np.ndarray, np.ndarray]
_State = TypeVar("_State")


@dataclass(frozen=True)
class QuantileBins:
    """What ``quantile_bin`` learned: the inner bin edges; a value's bin is the number of edges <= it."""

    edges: np.ndarray

    def bin(self, values: np.ndarray) -> list[str | None]:
        labels = np.searchsorted(self.edges, values, side="right").astype(str).astype(object)
        labels[np.isnan(values)] = MISSING_BIN
        return list(labels.tolist())


@dataclass(frozen=True)
class Standardization:
    """What ``normalize`` learned: values become ``(value - mean) / scale``."""

    mean: float
    scale: float


@dataclass(frozen=True)
class NumericEncoder:
    """One column with the value, plus the missing indicator if training saw missing values."""

    label: str
    fill_value: float
    has_missing_indicator: bool

    @classmethod
    def fit(cls, label: str, numbers: np.ndarray) -> NumericEncoder:
        missing = np.isnan(numbers)
        fill_value = 0.0 if missing.all() else float(numbers[~missing].mean())
        return cls(label, fill_value, bool(missing.any()))

    @property
    def width(self) -> int:
        """How many columns the variable takes."""
        return 2 if self.has_missing_indicator else 1

    @property
    def feature_names(self) -> list[str]:
        names = [self.label]
        if self.has_missing_indicator:
            names.append(self.label + MISSING_INDICATOR_SUFFIX)
        return names

    def encode(self, column: _Column) -> _Triplets:
        """Row indexes, column indexes (from 0) and values of the non-zero entries."""
        assert isinstance(column, np.ndarray)
        missing = np.isnan(column)
        filled = np.where(missing, self.fill_value, column)
        nonzero = np.flatnonzero(filled)
        rows, indexes, data = [nonzero], [np.zeros(nonzero.size, np.int64)], [filled[nonzero]]
        if self.has_missing_indicator:
            missing_rows = np.flatnonzero(missing)
            rows.append(missing_rows)
            indexes.append(np.ones(missing_rows.size, np.int64))
            data.append(np.ones(missing_rows.size))
        return np.concatenate(rows), np.concatenate(indexes), np.concatenate(data)


@dataclass(frozen=True)
class DiscreteEncoder:
    """One presence column per value of the training vocabulary."""

    label: str
    vocabulary: dict[str, int]

    @classmethod
    def fit(cls, label: str, column: _Categories | list[list[str]]) -> DiscreteEncoder:
        """Keep each value (at most the ``MAX_VOCABULARY_SIZE`` most frequent), columns alphabetically."""
        if isinstance(column, _Categories):
            counts = Counter(value for value in column.values if value is not None)
        else:
            counts = Counter(value for values in column for value in set(values))
        kept = sorted(counts, key=lambda value: (-counts[value], value))[:MAX_VOCABULARY_SIZE]
        return cls(label, {value: index for index, value in enumerate(sorted(kept))})

    @property
    def width(self) -> int:
        """How many columns the variable takes."""
        return len(self.vocabulary)

    @property
    def feature_names(self) -> list[str]:
        return [f"{self.label}={value}" for value in self.vocabulary]

    def encode(self, column: _Column) -> _Triplets:
        """Row indexes, column indexes (from 0) and values of the non-zero entries."""
        if isinstance(column, _Categories):
            lookup = self.vocabulary.get
            codes = np.fromiter(
                (-1 if value is None else lookup(value, -1) for value in column.values),
                np.int64,
                len(column.values),
            )
            present = np.flatnonzero(codes >= 0)
            return present, codes[present], np.ones(present.size)
        assert isinstance(column, list)
        rows: list[int] = []
        indexes: list[int] = []
        vocabulary = self.vocabulary
        for row, values in enumerate(column):
            for index in {vocabulary[value] for value in values if value in vocabulary}:
                rows.append(row)
                indexes.append(index)
        return np.asarray(rows, np.int64), np.asarray(indexes, np.int64), np.ones(len(rows))


class RecipeFeaturizer:
    """Computes a recipe's features: ``fit`` on training data, then ``transform`` any frame to CSR.

    Fitted attributes: ``feature_names_`` (one name per column), ``encoders_`` (how each output
    variable becomes columns), ``states_`` (what the stateful transformations learned) and, after
    :meth:`fit_transform`, ``feature_means_``.
    """

    def __init__(self, recipe: Recipe) -> None:
        self.recipe = recipe

    def fit(self, frame: pd.DataFrame) -> Self:
        """Learn bin edges, normalisation statistics and vocabularies from ``frame``."""
        self._fit_columns(frame)
        return self

    def fit_transform(self, frame: pd.DataFrame) -> scipy.sparse.csr_matrix:
        """``fit(frame)`` followed by ``transform(frame)``, evaluating the expressions only once.

        Also keeps ``feature_means_``, each column's mean over ``frame`` (the reference of the model's
        explanations).
        """
        matrix = self._encode(self._fit_columns(frame), len(frame))
        if len(frame):
            self.feature_means_ = np.asarray(matrix.mean(axis=0), dtype=np.float64).ravel()
        return matrix

    def transform(self, frame: pd.DataFrame) -> scipy.sparse.csr_matrix:
        """The feature matrix of ``frame`` (rows in frame order, columns as in ``feature_names_``).

        Columns of the schema that ``frame`` lacks are treated as missing values.
        """
        evaluator = _Evaluator(frame, self.recipe, self.states_, fitting=False)
        return self._encode([evaluator.column(v.expression) for v in self.recipe.outputs], len(frame))

    def _fit_columns(self, frame: pd.DataFrame) -> list[_Column]:
        self.states_ = FittedStates()
        evaluator = _Evaluator(frame, self.recipe, self.states_, fitting=True)
        columns = [evaluator.column(variable.expression) for variable in self.recipe.outputs]
        self.encoders_: list[NumericEncoder | DiscreteEncoder] = [
            NumericEncoder.fit(variable.label, column)
            if isinstance(column, np.ndarray)
            else DiscreteEncoder.fit(variable.label, column)
            for variable, column in zip(self.recipe.outputs, columns, strict=True)
        ]
        self.feature_names_: list[str] = [
            name for encoder in self.encoders_ for name in encoder.feature_names
        ]
        return columns

    def _encode(self, columns: list[_Column], n_rows: int) -> scipy.sparse.csr_matrix:
        rows: list[np.ndarray] = [np.zeros(0, np.int64)]
        indexes: list[np.ndarray] = [np.zeros(0, np.int64)]
        data: list[np.ndarray] = [np.zeros(0)]
        offset = 0
        for encoder, column in zip(self.encoders_, columns, strict=True):
            block_rows, block_indexes, block_data = encoder.encode(column)
            rows.append(block_rows)
            indexes.append(block_indexes + offset)
            data.append(block_data)
            offset += encoder.width
        matrix = scipy.sparse.csr_matrix(
            (np.concatenate(data), (np.concatenate(rows), np.concatenate(indexes))),
            shape=(n_rows, offset),
            dtype=np.float64,
        )
        matrix.sort_indices()
        return matrix


# --- Evaluating expressions ------------------------------------------------------------------------


@dataclass
class FittedStates:
    """What ``fit`` learned for the stateful transformations, by expression."""

    quantile_bins: dict[Transform, QuantileBins] = field(default_factory=dict)
    standardizations: dict[Transform, Standardization] = field(default_factory=dict)


class _Evaluator:
    """Evaluates expressions over one frame, each sub-expression once; fits transformation states if asked.

    Values are represented by kind: NUMERIC and BINARY as float arrays with NaN for missing values,
    CATEGORICAL and TEXT as one string (or None) per record, TOKENS as one token list per record.
    """

    def __init__(self, frame: pd.DataFrame, recipe: Recipe, states: FittedStates, *, fitting: bool) -> None:
        self._frame = frame
        self._states = states
        self._fitting = fitting
        self._numeric_inputs = _numeric_columns(frame, _numeric_attribute_names(recipe))
        self._numbers: dict[Expression, np.ndarray] = {}
        self._strings: dict[Expression, list[str | None]] = {}
        self._token_lists: dict[Expression, list[list[str]]] = {}

    def column(self, expression: Expression) -> _Column:
        """What an output variable's encoder consumes: numbers, or the discrete values of each record."""
        if expression.kind in _NUMERIC_KINDS:
            return self.numbers(expression)
        if expression.kind is ValueKind.CATEGORICAL:
            return _Categories(self.strings(expression))
        return self.value_sets(expression)

    def numbers(self, expression: Expression) -> np.ndarray:
        if expression not in self._numbers:
            if isinstance(expression, AttributeInput):
                self._numbers[expression] = self._numeric_inputs[expression.name]
            else:
                argument = self.numbers(expression.arguments[0])
                standardization = _fitted(
                    self._states.standardizations, expression, self._fitting, _fit_standardization, argument
                )
                self._numbers[expression] = (argument - standardization.mean) / standardization.scale
        return self._numbers[expression]

    def strings(self, expression: Expression) -> list[str | None]:
        if expression not in self._strings:
            self._strings[expression] = self._compute_strings(expression)
        return self._strings[expression]

    def token_lists(self, expression: Expression) -> list[list[str]]:
        if expression not in self._token_lists:
            self._token_lists[expression] = self._compute_token_lists(expression)
        return self._token_lists[expression]

    def value_sets(self, expression: Expression) -> list[list[str]]:
        """The discrete values of each record: a category (BINARY as ``0``/``1``), or tokens."""
        kind = expression.kind
        if kind is ValueKind.BINARY:
            return [[] if np.isnan(value) else [str(int(value))] for value in self.numbers(expression)]
        if kind is ValueKind.CATEGORICAL:
            return [[] if value is None else [value] for value in self.strings(expression)]
        if kind is ValueKind.TEXT:
            return [
                [] if value is None else text.whitespace_tokens(value) for value in self.strings(expression)
            ]
        return self.token_lists(expression)

    def _compute_strings(self, expression: Expression) -> list[str | None]:
        if isinstance(expression, AttributeInput):
            if expression.name not in self._frame.columns:
                return [None] * len(self._frame)
            column = self._frame[expression.name]
            return [
                None if missing else str(value)
                for value, missing in zip(column.tolist(), column.isna().tolist(), strict=True)
            ]
        function, argument = expression.function, expression.arguments[0]
        if function is Function.QUANTILE_BIN:
            numbers = self.numbers(argument)
            fit = partial(_fit_quantile_bins, n_bins=expression.parameter)
            return _fitted(self._states.quantile_bins, expression, self._fitting, fit, numbers).bin(numbers)
        if function is Function.CARTESIAN:
            return [values[0] if values else None for values in self._crossed(expression)]
        operation = text.lowercase if function is Function.LOWERCASE else text.no_punct
        return [None if value is None else operation(value) for value in self.strings(argument)]

    def _compute_token_lists(self, expression: Expression) -> list[list[str]]:
        assert isinstance(expression, Transform)
        if expression.function is Function.CARTESIAN:
            return self._crossed(expression)
        assert expression.parameter is not None
        size = expression.parameter
        make = text.ngrams if expression.function is Function.NGRAM else text.orthogonal_sparse_bigrams
        return [
            [] if value is None else make(text.whitespace_tokens(value), size)
            for value in self.strings(expression.arguments[0])
        ]

    def _crossed(self, expression: Transform) -> list[list[str]]:
        left, right = (self.value_sets(argument) for argument in expression.arguments)
        return [
            [f"{a}_{b}" for a in firsts for b in seconds] for firsts, seconds in zip(left, right, strict=True)
        ]


def _numeric_attribute_names(recipe: Recipe) -> list[str]:
    """The NUMERIC and BINARY attributes the recipe's outputs read, each once."""
    names: dict[str, None] = {}
    pending: list[Expression] = [variable.expression for variable in recipe.outputs]
    while pending:
        expression = pending.pop()
        if isinstance(expression, Transform):
            pending.extend(expression.arguments)
        elif expression.kind in _NUMERIC_KINDS:
            names[expression.name] = None
    return list(names)


def _numeric_columns(frame: pd.DataFrame, names: list[str]) -> dict[str, np.ndarray]:
    """The values of attributes ``names`` as floats (NaN where missing or absent), read in one block."""
    block = frame.reindex(columns=names)
    try:
        matrix = block.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):  # a column holds text: convert column by column, bad values → NaN
        matrix = np.column_stack(
            [
                pd.to_numeric(block[name], errors="coerce").to_numpy(np.float64, na_value=np.nan)
                for name in names
            ]
        )
    columns = np.ascontiguousarray(matrix.T)
    return {name: columns[index] for index, name in enumerate(names)}


def _fitted(
    states: dict[Transform, _State],
    node: Transform,
    fitting: bool,
    fit: Callable[[np.ndarray], _State],
    values: np.ndarray,
) -> _State:
    """The state of ``node``, learned from ``values`` first when fitting."""
    if fitting and node not in states:
        states[node] = fit(values)
    return states[node]


def _fit_quantile_bins(values: np.ndarray, n_bins: int | None) -> QuantileBins:
    assert n_bins is not None
    present = values[~np.isnan(values)]
    if present.size == 0:
        return QuantileBins(np.zeros(0))
    return QuantileBins(np.unique(np.quantile(present, np.arange(1, n_bins) / n_bins)))


def _fit_standardization(values: np.ndarray) -> Standardization:
    present = values[~np.isnan(values)]
    if present.size == 0:
        return Standardization(0.0, 1.0)
    scale = float(present.std())
    return Standardization(float(present.mean()), scale if scale > 0 else 1.0)
