"""The text operations of the recipe language, on one value at a time.

Amazon ML splits TEXT on whitespace only, so punctuation stays inside tokens unless ``no_punct``
removes it from the start and end of each token. ``ngram`` joins the words of a gram with a space;
``osb`` joins a word and a later word of its window with as many underscores as the distance between
them (``The_quick``, ``The__brown``, ``The___fox`` for a window of 4).
"""

from __future__ import annotations

import string

import regex

# Unicode punctuation plus ASCII symbols such as ``$`` and ``+`` (Java's ``\p{Punct}``, which the
# original service used, counts those as punctuation).
_EDGE_PUNCTUATION = regex.compile(
    r"^[\p{P}" + regex.escape(string.punctuation) + r"]+|[\p{P}" + regex.escape(string.punctuation) + r"]+$"
)


def whitespace_tokens(text: str) -> list[str]:
    """The tokens of a TEXT value: maximal runs of non-whitespace characters."""
    return text.split()


def lowercase(text: str) -> str:
    """``text`` in lower case."""
    return text.lower()


def no_punct(text: str) -> str:
    """``text`` with punctuation removed from the start and end of every token.

    ``seat-belts!`` becomes ``seat-belts``. Tokens that were nothing but punctuation disappear; the
    result's tokens are separated by one space.
    """
    stripped = (_EDGE_PUNCTUATION.sub("", token) for token in whitespace_tokens(text))
    return " ".join(token for token in stripped if token)


def ngrams(tokens: list[str], size: int) -> list[str]:
    """All word n-grams of 1 to ``size`` words, in order of size and then position."""
    return [
        " ".join(tokens[start : start + length])
        for length in range(1, size + 1)
        for start in range(len(tokens) - length + 1)
    ]


def orthogonal_sparse_bigrams(tokens: list[str], window: int) -> list[str]:
    """Each word paired with each of the next ``window - 1`` words; underscores encode the distance."""
    return [
        tokens[start] + "_" * distance + tokens[start + distance]
        for start in range(len(tokens))
        for distance in range(1, window)
        if start + distance < len(tokens)
    ]
