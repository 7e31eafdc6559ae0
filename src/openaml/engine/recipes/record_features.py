"""Recipe features of single typed records: the real-time twin of ``RecipeFeaturizer.transform``.

``transform`` evaluates a recipe column by column with numpy, which is fast for many rows; for one
record each numpy call costs far more than its work. :class:`RecordFeaturizer` therefore compiles a
fitted featurizer once into plain functions of a typed record (:mod:`openaml.engine.predictors.scoring`),
one per output variable, each appending the variable's non-zero features. Wide recipes — hundreds of
numeric attributes, each quantile-binned or used as is, as suggested recipes do — are the exception:
those variables are computed together, one numpy pass per kind (:class:`_BinBlock`,
:class:`_NumberBlock`), since one pass over hundreds of values costs less than hundreds of calls.

Every path computes exactly what ``transform`` computes for the record's row: the same parsing of
values, bins, vocabularies and missing-value handling (the tests compare them on real datasets).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from openaml.engine.predictors.scoring import TypedRecord, TypedValue, record_numbers
from openaml.engine.recipes import text
from openaml.engine.recipes.expressions import AttributeInput, Expression, Function, Transform, ValueKind
from openaml.engine.recipes.features import (
    MISSING_BIN,
    DiscreteEncoder,
    FittedStates,
    NumericEncoder,
    RecipeFeaturizer,
)

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]
#: Appends the column indexes and values of one record's non-zero features of one output variable.
_Emitter = Callable[[TypedRecord, list[int], list[float]], None]
#: From this many variables of one kind on, one numpy pass beats a Python call per variable.
MIN_BLOCK_VARIABLES = 16


class RecordFeaturizer:
    """A fitted :class:`~openaml.engine.recipes.RecipeFeaturizer`, compiled for one record at a time."""

    def __init__(self, featurizer: RecipeFeaturizer) -> None:
        one_by_one: list[tuple[Expression, NumericEncoder | DiscreteEncoder, int]] = []
        binned: list[tuple[Transform, DiscreteEncoder, int]] = []
        numbers: list[tuple[AttributeInput, NumericEncoder, int]] = []
        offset = 0
        for variable, encoder in zip(featurizer.recipe.outputs, featurizer.encoders_, strict=True):
            expression = variable.expression
            if isinstance(encoder, DiscreteEncoder) and _is_binned_attribute(expression):
                assert isinstance(expression, Transform)
                binned.append((expression, encoder, offset))
            elif isinstance(encoder, NumericEncoder) and isinstance(expression, AttributeInput):
                numbers.append((expression, encoder, offset))
            else:
                one_by_one.append((expression, encoder, offset))
            offset += encoder.width
        self._blocks: list[_Block] = []
        if len(binned) >= MIN_BLOCK_VARIABLES:
            self._blocks.append(_BinBlock(binned, featurizer.states_))
        else:
            one_by_one += binned
        if len(numbers) >= MIN_BLOCK_VARIABLES:
            self._blocks.append(_NumberBlock(numbers))
        else:
            one_by_one += numbers
        compiler = _Compiler(featurizer.states_)
        self._emitters = [
            _emitter(compiler, encoder, expression, start) for expression, encoder, start in one_by_one
        ]

    def features(self, record: TypedRecord) -> tuple[IntArray, FloatArray]:
        """The column indexes and values of the record's non-zero features (the same as its row of
        ``RecipeFeaturizer.transform``, in no particular order)."""
        indexes: list[int] = []
        values: list[float] = []
        for emit in self._emitters:
            emit(record, indexes, values)
        index_parts = [np.array(indexes, dtype=np.intp)]
        value_parts = [np.array(values, dtype=np.float64)]
        for block in self._blocks:
            block_indexes, block_values = block.features(record)
            index_parts.append(block_indexes)
            value_parts.append(block_values)
        if len(index_parts) == 1:
            return index_parts[0], value_parts[0]
        return np.concatenate(index_parts), np.concatenate(value_parts)


# --- One variable at a time -------------------------------------------------------------------------


def _emitter(
    compiler: _Compiler, encoder: NumericEncoder | DiscreteEncoder, expression: Expression, offset: int
) -> _Emitter:
    """The emitter of one output variable, whose columns start at ``offset``."""
    if isinstance(encoder, NumericEncoder):
        return _numeric_emitter(compiler.number(expression), encoder, offset)
    vocabulary = encoder.vocabulary

    def column(value: str) -> int:
        index = vocabulary.get(value)
        return -1 if index is None else offset + index

    if isinstance(expression, Transform) and expression.function is Function.QUANTILE_BIN:
        # The bin number indexes a table of columns: no label string, no dictionary lookup.
        number = compiler.number(expression.arguments[0])
        edges = compiler.states.quantile_bins[expression].edges.tolist()
        bin_columns = [column(str(bin_number)) for bin_number in range(len(edges) + 1)]
        missing_column = column(MISSING_BIN)

        def emit_bin(record: TypedRecord, indexes: list[int], values: list[float]) -> None:
            value = number(record)
            index = missing_column if math.isnan(value) else bin_columns[bisect_right(edges, value)]
            if index >= 0:
                indexes.append(index)
                values.append(1.0)

        return emit_bin
    if expression.kind is ValueKind.CATEGORICAL:
        category = compiler.string(expression)

        def emit_category(record: TypedRecord, indexes: list[int], values: list[float]) -> None:
            value = category(record)
            index = -1 if value is None else column(value)
            if index >= 0:
                indexes.append(index)
                values.append(1.0)

        return emit_category
    value_set = compiler.value_set(expression)

    def emit_values(record: TypedRecord, indexes: list[int], values: list[float]) -> None:
        present = {index for index in map(column, value_set(record)) if index >= 0}
        indexes.extend(present)
        values.extend([1.0] * len(present))

    return emit_values


def _numeric_emitter(
    number: Callable[[TypedRecord], float], encoder: NumericEncoder, offset: int
) -> _Emitter:
    """The value (the training mean when missing), and the missing indicator if the encoder has one."""
    fill_value, has_missing_indicator = encoder.fill_value, encoder.has_missing_indicator

    def emit(record: TypedRecord, indexes: list[int], values: list[float]) -> None:
        value = number(record)
        missing = math.isnan(value)
        if missing:
            value = fill_value
        if value != 0.0:
            indexes.append(offset)
            values.append(value)
        if missing and has_missing_indicator:
            indexes.append(offset + 1)
            values.append(1.0)

    return emit


class _Compiler:
    """Compiles expressions into functions of one typed record: the scalar twin of the featurizer's
    evaluator, with the states ``fit`` learned. Shared sub-expressions are simply computed again."""

    def __init__(self, states: FittedStates) -> None:
        self.states = states

    def number(self, expression: Expression) -> Callable[[TypedRecord], float]:
        """NUMERIC and BINARY values: a float, NaN when missing."""
        if isinstance(expression, AttributeInput):
            name = expression.name
            return lambda record: _number(record.get(name))
        argument = self.number(expression.arguments[0])
        standardization = self.states.standardizations[expression]
        mean, scale = standardization.mean, standardization.scale
        return lambda record: (argument(record) - mean) / scale

    def string(self, expression: Expression) -> Callable[[TypedRecord], str | None]:
        """CATEGORICAL and TEXT values: a string, None when missing."""
        if isinstance(expression, AttributeInput):
            name = expression.name
            return lambda record: _string(record.get(name))
        function, argument = expression.function, expression.arguments[0]
        if function is Function.QUANTILE_BIN:
            number = self.number(argument)
            edges = self.states.quantile_bins[expression].edges.tolist()

            def bin_label(record: TypedRecord) -> str:
                value = number(record)
                return MISSING_BIN if math.isnan(value) else str(bisect_right(edges, value))

            return bin_label
        if function is Function.CARTESIAN:
            crossed = self.tokens(expression)
            return lambda record: next(iter(crossed(record)), None)
        operation = text.lowercase if function is Function.LOWERCASE else text.no_punct
        inner = self.string(argument)

        def transformed(record: TypedRecord) -> str | None:
            value = inner(record)
            return None if value is None else operation(value)

        return transformed

    def value_set(self, expression: Expression) -> Callable[[TypedRecord], list[str]]:
        """The discrete values of the record: a category (BINARY as ``0``/``1``), or tokens."""
        kind = expression.kind
        if kind is ValueKind.BINARY:
            number = self.number(expression)

            def binary(record: TypedRecord) -> list[str]:
                value = number(record)
                return [] if math.isnan(value) else [str(int(value))]

            return binary
        if kind in (ValueKind.CATEGORICAL, ValueKind.TEXT):
            string = self.string(expression)
            split = kind is ValueKind.TEXT

            def strings(record: TypedRecord) -> list[str]:
                value = string(record)
                if value is None:
                    return []
                return text.whitespace_tokens(value) if split else [value]

            return strings
        return self.tokens(expression)

    def tokens(self, expression: Expression) -> Callable[[TypedRecord], list[str]]:
        """TOKENS values: the crosses of ``cartesian`` and the tokens of ``ngram`` and ``osb``."""
        assert isinstance(expression, Transform)
        if expression.function is Function.CARTESIAN:
            left, right = (self.value_set(argument) for argument in expression.arguments)

            def crossed(record: TypedRecord) -> list[str]:
                seconds = right(record)
                return [f"{first}_{second}" for first in left(record) for second in seconds]

            return crossed
        assert expression.parameter is not None
        size = expression.parameter
        make = text.ngrams if expression.function is Function.NGRAM else text.orthogonal_sparse_bigrams
        string = self.string(expression.arguments[0])

        def grams(record: TypedRecord) -> list[str]:
            value = string(record)
            return [] if value is None else make(text.whitespace_tokens(value), size)

        return grams


def _number(value: TypedValue) -> float:
    return math.nan if value is None else float(value)


def _string(value: TypedValue) -> str | None:
    return None if value is None or value != value else str(value)


# --- Many variables at once -------------------------------------------------------------------------


class _Block(Protocol):
    def features(self, record: TypedRecord) -> tuple[IntArray, FloatArray]: ...


def _is_binned_attribute(expression: Expression) -> bool:
    return (
        isinstance(expression, Transform)
        and expression.function is Function.QUANTILE_BIN
        and isinstance(expression.arguments[0], AttributeInput)
    )


def _values(record: TypedRecord, names: Sequence[str]) -> FloatArray:
    """The attributes ``names`` of ``record`` as floats, NaN where missing."""
    return record_numbers(record, names)


class _BinBlock:
    """``quantile_bin(attribute)`` variables, binned together.

    The edges of all variables form one matrix, padded with NaN (no value is >= NaN), so that a
    value's bin — the number of its edges <= it — is one comparison and one row sum.
    """

    def __init__(
        self, variables: Sequence[tuple[Transform, DiscreteEncoder, int]], states: FittedStates
    ) -> None:
        edges = [states.quantile_bins[expression].edges for expression, _, _ in variables]
        width = max(len(row) for row in edges)
        self._names = [_attribute_name(expression) for expression, _, _ in variables]
        self._edges = np.full((len(variables), width), np.nan)
        self._columns = np.full((len(variables), width + 1), -1, dtype=np.intp)
        self._missing_columns = np.full(len(variables), -1, dtype=np.intp)
        for row, ((_, encoder, offset), variable_edges) in enumerate(zip(variables, edges, strict=True)):
            self._edges[row, : len(variable_edges)] = variable_edges
            for bin_number in range(len(variable_edges) + 1):
                index = encoder.vocabulary.get(str(bin_number))
                self._columns[row, bin_number] = -1 if index is None else offset + index
            index = encoder.vocabulary.get(MISSING_BIN)
            self._missing_columns[row] = -1 if index is None else offset + index
        self._rows = np.arange(len(variables))

    def features(self, record: TypedRecord) -> tuple[IntArray, FloatArray]:
        values = _values(record, self._names)
        bins = (self._edges <= values[:, None]).sum(axis=1)
        columns = np.where(np.isnan(values), self._missing_columns, self._columns[self._rows, bins])
        present = columns[columns >= 0]
        return present, np.ones(len(present))


class _NumberBlock:
    """Numeric attributes used as they are, each with its missing indicator if it has one."""

    def __init__(self, variables: Sequence[tuple[AttributeInput, NumericEncoder, int]]) -> None:
        self._names = [expression.name for expression, _, _ in variables]
        self._columns = np.array([offset for _, _, offset in variables], dtype=np.intp)
        self._fill_values = np.array([encoder.fill_value for _, encoder, _ in variables], dtype=np.float64)
        self._has_indicator = np.array([encoder.has_missing_indicator for _, encoder, _ in variables])

    def features(self, record: TypedRecord) -> tuple[IntArray, FloatArray]:
        values = _values(record, self._names)
        missing = np.isnan(values)
        filled = np.where(missing, self._fill_values, values)
        nonzero = filled != 0.0
        indicated = missing & self._has_indicator
        indexes = np.concatenate([self._columns[nonzero], self._columns[indicated] + 1])
        return indexes, np.concatenate([filled[nonzero], np.ones(int(indicated.sum()))])


def _attribute_name(expression: Transform) -> str:
    argument = expression.arguments[0]
    assert isinstance(argument, AttributeInput)
    return argument.name
