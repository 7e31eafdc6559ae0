"""Amazon ML's SGD model (:class:`~openaml.engine.sgd.SGDModel`) as ONNX nodes.

Each output variable of the recipe adds its part of the linear score directly, without building the
(possibly 200,000-column) feature matrix:

* a NUMERIC or BINARY variable (an attribute, or ``normalize`` of one): ``value × w`` with the
  training mean for a missing value, plus ``w_missing`` where it is missing;
* a CATEGORICAL variable (an attribute, or ``quantile_bin`` of a number): the weight of its value,
  looked up (``LabelEncoder`` → ``Gather``; values not seen in training weigh 0);
* a TEXT variable (an attribute, ``lowercase`` or ``no_punct`` of one) and ``ngram`` of one: token
  n-gram presence (``Tokenizer`` as ``str.split()`` and ``no_punct`` cut tokens, ``TfIdfVectorizer``
  counts capped at 1) times the weights of the n-grams the model kept.

Then the logistic function (BINARY), the softmax (MULTICLASS) or nothing (REGRESSION).
``osb`` and ``cartesian`` variables are refused (:func:`sgd_refusals`).
"""

from __future__ import annotations

import string
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
from onnx import TensorProto

from openaml.engine.export.features import _PAD, _WHITESPACE, _WORDS, STRING_LOCALE
from openaml.engine.export.graph import GraphBuilder
from openaml.engine.models import ModelType
from openaml.engine.recipes.expressions import AttributeInput, Expression, Function, Transform, ValueKind
from openaml.engine.recipes.features import DiscreteEncoder, NumericEncoder
from openaml.engine.sgd import SGDModel

_PUNCTUATION = r"\p{P}" + "".join(f"\\x{{{ord(c):02x}}}" for c in string.punctuation)
#: A token of ``no_punct``: a whitespace-separated word without the punctuation at its edges.
_STRIPPED_WORDS = f"[^{_WHITESPACE}{_PUNCTUATION}](?:[^{_WHITESPACE}]*[^{_WHITESPACE}{_PUNCTUATION}])?"
_TEXT_STEPS = (Function.LOWERCASE, Function.NO_PUNCT)


def sgd_refusals(model: SGDModel) -> list[str]:
    """Why the recipe of ``model`` cannot be exported exactly (empty when it can)."""
    return [
        f"recipe output {variable.label!r} uses {reason}, which has no ONNX conversion"
        for variable in model.featurizer.recipe.outputs
        if (reason := _unsupported(variable.expression)) is not None
    ]


def _unsupported(expression: Expression) -> str | None:
    if isinstance(expression, AttributeInput):
        return None
    function, argument = expression.function, expression.arguments[0]
    if function in (Function.OSB, Function.CARTESIAN):
        return function.value
    if function in (Function.QUANTILE_BIN, Function.NORMALIZE):
        return None if isinstance(argument, AttributeInput) else f"{function.value} of a transformation"
    if _text_chain(expression if function in _TEXT_STEPS else argument) is None:
        return f"{function.value} of a {argument.kind.value} value"
    return None


def _text_chain(expression: Expression) -> tuple[str, set[Function]] | None:
    """The TEXT attribute under a chain of ``lowercase``/``no_punct``, and the steps; else None."""
    steps: set[Function] = set()
    while isinstance(expression, Transform):
        if expression.function not in _TEXT_STEPS:
            return None
        steps.add(expression.function)
        expression = expression.arguments[0]
    if expression.kind is not ValueKind.TEXT:
        return None
    return expression.name, steps


def recipe_attributes(model: SGDModel) -> dict[str, ValueKind]:
    """The attributes the recipe reads, with their kinds."""
    found: dict[str, ValueKind] = {}
    pending: list[Expression] = [variable.expression for variable in model.featurizer.recipe.outputs]
    while pending:
        expression = pending.pop()
        if isinstance(expression, Transform):
            pending.extend(expression.arguments)
        else:
            found[expression.name] = expression.kind
    return found


def sgd_scores(b: GraphBuilder, model: SGDModel, inputs: Mapping[str, str]) -> str:
    """The model's scores: (rows,) for BINARY and REGRESSION, (rows × classes) for MULTICLASS."""
    coefficients = sp.csr_matrix(model.coefficients)
    featurizer = model.featurizer
    intercepts = np.asarray(model.intercepts, dtype=np.float64).reshape(1, -1)
    first_input = next(iter(inputs.values()))
    total = b.node("Add", [_zeros_column(b, first_input), b.constant(intercepts)])  # (rows, outputs)
    offset = 0
    for variable, encoder in zip(featurizer.recipe.outputs, featurizer.encoders_, strict=True):
        weights = coefficients[offset : offset + encoder.width].toarray()
        offset += encoder.width
        part: str | None
        if isinstance(encoder, NumericEncoder):
            part = _numeric(b, model, variable.expression, encoder, weights, inputs)
        elif variable.expression.kind is ValueKind.CATEGORICAL:
            part = _categorical(b, model, variable.expression, encoder, weights, inputs)
        else:
            part = _tokens(b, variable.expression, encoder, weights, inputs)
        if part is not None:
            total = b.node("Add", [total, part])
    if model.model_type is ModelType.MULTICLASS:
        return b.node("Softmax", [total], axis=1)
    first = b.node("Reshape", [total, b.constant([-1])])
    return b.node("Sigmoid", [first]) if model.model_type is ModelType.BINARY else first


def _zeros_column(b: GraphBuilder, tensor: str) -> str:
    """A (rows, 1) double column of zeros shaped like the (rows, 1) input ``tensor``."""
    return b.node("ConstantOfShape", [b.node("Shape", [tensor])], value=_double_value(0.0))


def _double_value(value: float) -> object:
    from onnx import numpy_helper

    return numpy_helper.from_array(np.array([value], dtype=np.float64))


def _numbers(b: GraphBuilder, model: SGDModel, expression: Expression, inputs: Mapping[str, str]) -> str:
    if isinstance(expression, AttributeInput):
        return inputs[expression.name]
    argument = _numbers(b, model, expression.arguments[0], inputs)
    standardization = model.featurizer.states_.standardizations[expression]
    centred = b.node("Sub", [argument, b.constant(standardization.mean)])
    return b.node("Div", [centred, b.constant(standardization.scale)])


def _numeric(
    b: GraphBuilder,
    model: SGDModel,
    expression: Expression,
    encoder: NumericEncoder,
    weights: np.ndarray,
    inputs: Mapping[str, str],
) -> str:
    values = _numbers(b, model, expression, inputs)
    missing = b.node("IsNaN", [values])
    filled = b.node("Where", [missing, b.constant(encoder.fill_value), values])
    part = b.node("MatMul", [filled, b.constant(weights[:1])])
    if encoder.has_missing_indicator:
        indicator = b.node("Cast", [missing], to=TensorProto.DOUBLE)
        part = b.node("Add", [part, b.node("MatMul", [indicator, b.constant(weights[1:2])])])
    return part


def _categorical(
    b: GraphBuilder,
    model: SGDModel,
    expression: Expression,
    encoder: DiscreteEncoder,
    weights: np.ndarray,
    inputs: Mapping[str, str],
) -> str | None:
    """The weight of each row's category (0 for a missing or unseen one)."""
    width = len(encoder.vocabulary)
    table = np.vstack([weights, np.zeros((1, weights.shape[1]))])
    if isinstance(expression, AttributeInput):
        keys = [key for key in encoder.vocabulary if key != ""]
        index = b.node(
            "LabelEncoder",
            [inputs[expression.name]],
            domain="ai.onnx.ml",
            keys_strings=[*keys, ""],
            values_int64s=[*(encoder.vocabulary[key] for key in keys), width],
            default_int64=width,
        )
    else:  # quantile_bin of an attribute: bin = number of edges <= value, "missing" for NaN
        values = inputs[expression.arguments[0].name]  # type: ignore[union-attr]
        edges = model.featurizer.states_.quantile_bins[expression].edges
        lookup = np.array([encoder.vocabulary.get(str(n), width) for n in range(len(edges) + 1)])
        if len(edges):
            at_or_above = b.node("LessOrEqual", [b.constant(np.asarray(edges)[None, :]), values])
            counted = b.node("Cast", [at_or_above], to=TensorProto.INT64)
            bins = b.node("ReduceSum", [counted, b.constant([1])], keepdims=1)
        else:
            bins = b.node("Cast", [_zeros_column(b, values)], to=TensorProto.INT64)
        index = b.node("Gather", [b.constant(lookup), bins], axis=0)
        missing = b.node("IsNaN", [values])
        index = b.node("Where", [missing, b.constant(encoder.vocabulary.get("missing", width)), index])
    scores = b.node("Gather", [b.constant(table), index], axis=0)  # (rows, 1, outputs)
    return b.node("Reshape", [scores, b.constant([-1, table.shape[1]])])


def _tokens(
    b: GraphBuilder,
    expression: Expression,
    encoder: DiscreteEncoder,
    weights: np.ndarray,
    inputs: Mapping[str, str],
) -> str | None:
    """Token n-gram presence times the weights of the n-grams with a non-zero weight."""
    size = 1
    if isinstance(expression, Transform) and expression.function is Function.NGRAM:
        assert expression.parameter is not None
        size, expression = expression.parameter, expression.arguments[0]
    chain = _text_chain(expression)
    assert chain is not None, "refused before export"
    name, steps = chain
    kept = [(term, index) for term, index in encoder.vocabulary.items() if np.any(weights[index] != 0)]
    if not kept:
        return None
    grams: dict[int, list[tuple[str, int]]] = {n: [] for n in range(1, size + 1)}
    for term, index in kept:
        grams[len(term.split(" "))].append((term, index))
    pool: list[str] = []
    counts: list[int] = []
    order: list[int] = []
    for n in range(1, size + 1):
        counts.append(len(pool))
        for term, index in grams[n]:
            pool += term.split(" ")
            order.append(index)
    text = b.node("Reshape", [inputs[name], b.constant([-1])])
    if Function.LOWERCASE in steps:
        text = b.node("StringNormalizer", [text], case_change_action="LOWER", locale=STRING_LOCALE)
    pattern = _STRIPPED_WORDS if Function.NO_PUNCT in steps else _WORDS
    tokens = b.node(
        "Tokenizer", [text], domain="com.microsoft", mark=0, mincharnum=1, pad_value=_PAD, tokenexp=pattern
    )
    frequencies = b.node(
        "TfIdfVectorizer",
        [tokens],
        mode="TF",
        min_gram_length=1,
        max_gram_length=size,
        max_skip_count=0,
        ngram_counts=counts,
        ngram_indexes=list(range(len(order))),
        pool_strings=pool,
    )
    present = b.node("Min", [frequencies, b.constant(1.0, dtype=np.float32)])
    presence = b.node("Cast", [present], to=TensorProto.DOUBLE)
    return b.node("MatMul", [presence, b.constant(weights[order])])
