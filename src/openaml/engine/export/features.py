"""The AutoML feature encoders (:mod:`openaml.engine.automl.features`) as ONNX nodes.

Each input attribute is one graph input of shape (rows, 1): NUMERIC and BINARY as ``double`` (NaN
when missing), CATEGORICAL and TEXT as ``string`` (the empty string when missing). The nodes compute
the same matrix the encoder computes, as one dense ``double`` tensor:

* numbers: infinities become missing; SCALED imputes the median, standardises and adds the
  missing-value indicators;
* categories: ``LabelEncoder`` lookups give the integer codes (TREE), the training frequencies
  (TREE, high-cardinality columns) or the one-hot columns (SCALED);
* text: lower-cased, tokenised as scikit-learn's ``\\b\\w\\w+\\b`` (``Tokenizer``), word 1-2-gram
  counts (``TfIdfVectorizer``), then scikit-learn's ``sublinear_tf`` (``1 + log(tf)``), the IDF
  weights and the L2 norm, computed here rather than by skl2onnx's converter, which computes
  ``log(1 + tf)``; the TREE encoding's character and word counts (``Tokenizer`` again).

What cannot be computed exactly is refused before anything is built (:func:`encoder_refusals`):
date columns (ISO parsing), the sort-order feature of high-cardinality categories (string order)
and character n-grams (``char_wb``, which skl2onnx does not convert either).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from onnx import TensorProto
from sklearn.feature_extraction.text import TfidfVectorizer

from openaml.engine.automl.columns import CategoryCodes
from openaml.engine.automl.features import _HIGH_CARDINALITY, Encoding, FeatureEncoder
from openaml.engine.export.graph import GraphBuilder

#: The locale ``StringNormalizer`` lower-cases in: present on every glibc system (``en_US`` is not).
STRING_LOCALE = "C.UTF-8"
#: scikit-learn's default token pattern ``(?u)\b\w\w+\b`` in RE2: Python's word characters are
#: letters, numbers and the underscore; a token is a maximal run of two or more of them.
WORD_TOKENS = r"[\p{L}\p{N}_]{2,}"
#: What Python's ``str.split()`` splits on (every character whose ``isspace()`` is true).
_WHITESPACE = (
    r"\t\n\x{0b}\x{0c}\r\x{1c}-\x{1f} \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}"
    r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
)
_WORDS = f"[^{_WHITESPACE}]+"
_CHARACTERS = r"(?s)."
#: Padding of ``Tokenizer`` output: it contains whitespace, so it is never a token itself.
_PAD = " <pad> "


def encoder_refusals(encoder: FeatureEncoder) -> list[str]:
    """Why ``encoder`` cannot be exported exactly (empty when it can)."""
    reasons = [
        f"categorical attribute {name!r} holds dates, whose parts ONNX cannot parse"
        for name in encoder._dates
    ]
    if encoder.encoding is Encoding.TREE:
        reasons += [
            f"categorical attribute {name!r} has {encoder._categories[name].distinct} distinct values: "
            "the tree models use its sort-order feature, which ONNX cannot compute for unseen values"
            for name in encoder._categorical
            if encoder._categories[name].distinct > _HIGH_CARDINALITY
        ]
    for name in encoder._text:
        for vectorizer in encoder._texts[name]._vectorizers:
            if vectorizer.analyzer not in ("word", "char_wb"):
                reasons.append(f"text attribute {name!r} uses {vectorizer.analyzer} n-grams, not converted")
    return reasons


def attribute_inputs(
    builder: GraphBuilder, encoders: Mapping[Encoding, FeatureEncoder], attribute_order: list[str]
) -> dict[str, str]:
    """One graph input per attribute the encoders read, named by the attribute and in
    ``attribute_order`` (the schema's); name → tensor."""
    kinds: dict[str, int] = {}
    for encoder in encoders.values():
        kinds.update(dict.fromkeys(encoder._numeric, TensorProto.DOUBLE))
        kinds.update(dict.fromkeys((*encoder._category_attributes, *encoder._text), TensorProto.STRING))
    ordered = [name for name in attribute_order if name in kinds]
    ordered += [name for name in kinds if name not in ordered]
    return {name: builder.add_input(name, kinds[name]) for name in ordered}


class EncoderGraph:
    """Adds the nodes of one fitted encoder; shared pieces (clean numbers, lower-cased text) once."""

    def __init__(self, builder: GraphBuilder, inputs: Mapping[str, str]) -> None:
        self.b = builder
        self.inputs = inputs
        self._numbers: dict[tuple[str, ...], str] = {}
        self._lower: dict[str, str] = {}

    def matrix(self, encoder: FeatureEncoder) -> str:
        """The (rows × features) ``double`` matrix ``encoder.transform`` computes."""
        if encoder.encoding is Encoding.TREE:
            return self._tree(encoder)
        return self._scaled(encoder)

    def _tree(self, encoder: FeatureEncoder) -> str:
        blocks = [self.numbers(encoder._numeric)] if encoder._numeric else []
        for name in encoder._categorical:
            codes = encoder._categories[name]
            values = {value: float(code) for value, code in codes.codes.items()}
            blocks.append(self._lookup(name, values, missing=np.nan, default=float(codes.other_code)))
        for name in encoder._categorical:
            codes = encoder._categories[name]
            if codes.distinct > _HIGH_CARDINALITY:  # refused up front (the order feature)
                raise AssertionError("high-cardinality categories are refused before export")
        blocks += [self._characters_and_words(name) for name in encoder._text]
        for name in encoder._text:
            blocks += [self._tfidf(name, vectorizer) for vectorizer in encoder._texts[name]._vectorizers]
        return self._concat(blocks)

    def _scaled(self, encoder: FeatureEncoder) -> str:
        blocks = []
        if encoder._numeric:
            numbers = self.numbers(encoder._numeric)
            missing = self.b.node("IsNaN", [numbers])
            imputed = self.b.node("Where", [missing, self.b.constant(encoder._medians[None, :]), numbers])
            centred = self.b.node("Sub", [imputed, self.b.constant(encoder._means[None, :])])
            blocks.append(self.b.node("Div", [centred, self.b.constant(encoder._scales[None, :])]))
            if len(encoder._indicator_columns):
                chosen = self.b.node("Gather", [missing, self.b.constant(encoder._indicator_columns)], axis=1)
                blocks.append(self.b.node("Cast", [chosen], to=TensorProto.DOUBLE))
        for name in encoder._categorical:
            blocks.append(self._one_hot(name, encoder._categories[name]))
        for name in encoder._text:
            blocks += [self._tfidf(name, vectorizer) for vectorizer in encoder._texts[name]._vectorizers]
        return self._concat(blocks)

    def numbers(self, names: list[str]) -> str:
        """The numeric inputs side by side, infinities as NaN (``numeric_block``)."""
        key = tuple(names)
        if key not in self._numbers:
            joined = self.b.node("Concat", [self.inputs[name] for name in names], axis=1)
            infinite = self.b.node("IsInf", [joined])
            self._numbers[key] = self.b.node("Where", [infinite, self.b.constant(np.nan), joined])
        return self._numbers[key]

    def _lookup(self, name: str, values: Mapping[str, float], *, missing: float, default: float) -> str:
        """A ``double`` column: each value of attribute ``name`` looked up, ``missing`` for ''."""
        keys = [key for key in values if key != ""]
        return self.b.node(
            "LabelEncoder",
            [self.inputs[name]],
            domain="ai.onnx.ml",
            keys_strings=[*keys, ""],
            values_tensor=_double_tensor([*(values[key] for key in keys), missing]),
            default_tensor=_double_tensor([default]),
        )

    def _one_hot(self, name: str, codes: CategoryCodes) -> str:
        """Kept values, "other" and missing as one-hot columns (``_one_hot_codes``)."""
        keys = [key for key in codes.codes if key != ""]
        indices = self.b.node(
            "LabelEncoder",
            [self.inputs[name]],
            domain="ai.onnx.ml",
            keys_strings=[*keys, ""],
            values_int64s=[*(codes.codes[key] for key in keys), codes.other_code + 1],
            default_int64=codes.other_code,
        )
        width = codes.other_code + 2
        hot = self.b.node("Equal", [indices, self.b.constant(np.arange(width)[None, :])])
        return self.b.node("Cast", [hot], to=TensorProto.DOUBLE)

    def lower(self, name: str) -> str:
        """The text of attribute ``name`` as a 1-D tensor, lower-cased as ``str.lower`` does."""
        if name not in self._lower:
            flat = self.b.node("Reshape", [self.inputs[name], self.b.constant([-1])])
            self._lower[name] = self.b.node(
                "StringNormalizer", [flat], case_change_action="LOWER", locale=STRING_LOCALE
            )
        return self._lower[name]

    def _tokens(self, text: str, pattern: str, pad_value: str = _PAD) -> str:
        """The matches of ``pattern`` in each row of ``text`` (rows × most matches), padded."""
        return self.b.node(
            "Tokenizer",
            [text],
            domain="com.microsoft",
            mark=0,
            mincharnum=1,
            pad_value=pad_value,
            tokenexp=pattern,
        )

    def _word_tokens(self, name: str) -> str:
        """scikit-learn's word tokens of the lower-cased text, (rows × most tokens), padded."""
        return self._tokens(self.lower(name), WORD_TOKENS)

    def _padded_characters(self, name: str) -> str:
        """The characters ``char_wb`` reads: each whitespace-separated word of the lower-cased text
        with a space on either side, words one after the other (rows × characters).

        An n-gram across two words holds the two adjacent spaces, which no ``char_wb`` n-gram holds,
        so counting n-grams over this sequence counts exactly those within words; missing words (the
        padding of shorter rows) become two spaces too.
        """
        words = self._tokens(self.lower(name), _WORDS, pad_value="")
        space = self.b.constant(np.array(" ", dtype=object))
        padded = self.b.node("StringConcat", [self.b.node("StringConcat", [space, words]), space])
        characters = self._tokens(padded, _CHARACTERS)
        shape = self.b.node(
            "Concat", [self.b.node("Shape", [self.inputs[name]], end=1), self.b.constant([-1])], axis=0
        )
        return self.b.node("Reshape", [characters, shape])

    def _count_tokens(self, text: str, pattern: str) -> str:
        tokens = self._tokens(text, pattern)
        real = self.b.node(  # 1 for a token, 0 for padding (no string Equal before opset 19)
            "LabelEncoder",
            [tokens],
            domain="ai.onnx.ml",
            keys_strings=[_PAD],
            values_int64s=[0],
            default_int64=1,
        )
        counts = self.b.node("Cast", [real], to=TensorProto.DOUBLE)
        return self.b.node("ReduceSum", [counts, self.b.constant([-1])], keepdims=1)

    def _characters_and_words(self, name: str) -> str:
        """Each text's length in characters and in whitespace-separated words (``_characters_and_words``)."""
        flat = self.b.node("Reshape", [self.inputs[name], self.b.constant([-1])])
        return self._concat([self._count_tokens(flat, _CHARACTERS), self._count_tokens(flat, _WORDS)])

    def _tfidf(self, name: str, vectorizer: TfidfVectorizer) -> str:
        """One fitted TF-IDF vectorizer, word or ``char_wb`` n-grams (see the module docstring)."""
        low, high = vectorizer.ngram_range
        if not vectorizer.lowercase or (
            vectorizer.analyzer == "word" and vectorizer.token_pattern != r"(?u)\b\w\w+\b"
        ):
            raise AssertionError("the encoders use scikit-learn's default tokens, lower-cased")
        words = vectorizer.analyzer == "word"
        grams: dict[int, list[tuple[str, int]]] = {n: [] for n in range(1, high + 1)}
        for term, column in vectorizer.vocabulary_.items():
            grams[len(term.split(" ")) if words else len(term)].append((term, int(column)))
        pool: list[str] = []
        counts: list[int] = []  # where the n-grams of each length 1..high start in the pool
        indexes: list[int] = []
        for n in range(1, high + 1):
            counts.append(len(pool))
            for term, column in sorted(grams[n], key=lambda item: item[1]):
                pool += term.split(" ") if words else list(term)
                indexes.append(column)
        tokens = self._word_tokens(name) if words else self._padded_characters(name)
        frequencies = self.b.node(
            "TfIdfVectorizer",
            [tokens],
            mode="TF",
            min_gram_length=low,
            max_gram_length=high,
            max_skip_count=0,
            ngram_counts=counts,
            ngram_indexes=indexes,
            pool_strings=pool,
        )
        tf = self.b.node("Cast", [frequencies], to=TensorProto.DOUBLE)
        if vectorizer.sublinear_tf:
            present = self.b.node("Greater", [tf, self.b.constant(0.0)])
            logged = self.b.node("Add", [self.b.node("Log", [tf]), self.b.constant(1.0)])
            tf = self.b.node("Where", [present, logged, self.b.constant(0.0)])
        weighted = self.b.node("Mul", [tf, self.b.constant(np.asarray(vectorizer.idf_)[None, :])])
        if vectorizer.norm != "l2":
            raise AssertionError("the encoders use the L2 norm")
        squares = self.b.node("ReduceSum", [self.b.node("Mul", [weighted, weighted]), self.b.constant([1])])
        norm = self.b.node("Sqrt", [squares])
        safe = self.b.node(
            "Where", [self.b.node("Greater", [norm, self.b.constant(0.0)]), norm, self.b.constant(1.0)]
        )
        return self.b.node("Div", [weighted, safe])

    def _concat(self, blocks: list[str]) -> str:
        if not blocks:
            raise AssertionError("an encoder always has at least one column")
        return blocks[0] if len(blocks) == 1 else self.b.node("Concat", blocks, axis=1)


def _double_tensor(values: list[float]) -> object:
    from onnx import numpy_helper

    return numpy_helper.from_array(np.asarray(values, dtype=np.float64))
