"""The typed plan a recipe compiles to: output variables as trees of transformations over attributes.

A parsed recipe no longer mentions groups or assignments: every output is expanded into
:class:`RecipeVariable` objects, one per produced variable, each holding an expression tree whose
leaves are schema attributes. The featurizer walks these trees; nothing else of the recipe text is
needed to compute features.

Every expression has a :class:`ValueKind` that says what its values are, so that type errors are found
when the recipe is parsed rather than when data flows through it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from openaml.engine.data.schema import AttributeType

#: Characters that end a bare (unquoted) name in a recipe expression. Spaces do not: a bare name may
#: contain inner spaces (``fixed acidity``); spaces around it are trimmed.
SPECIAL_NAME_CHARACTERS = frozenset(",'\"\t\r\n()\\")


class ValueKind(enum.StrEnum):
    """What the values of a recipe expression are."""

    NUMERIC = "NUMERIC"
    BINARY = "BINARY"
    CATEGORICAL = "CATEGORICAL"
    TEXT = "TEXT"
    #: A bag of tokens per record that is no longer text: the output of ``ngram``, ``osb`` or a
    #: ``cartesian`` that involves text. It can be output or crossed, but not lower-cased again.
    TOKENS = "TOKENS"

    @classmethod
    def of_attribute(cls, attribute_type: AttributeType) -> ValueKind:
        """The kind of a raw attribute of the given schema type."""
        return cls(attribute_type.value)


class Function(enum.StrEnum):
    """The transformation functions of the recipe language (the group functions are not values)."""

    LOWERCASE = "lowercase"
    NO_PUNCT = "no_punct"
    NGRAM = "ngram"
    OSB = "osb"
    QUANTILE_BIN = "quantile_bin"
    NORMALIZE = "normalize"
    CARTESIAN = "cartesian"


def quote_name(name: str, *, always: bool = False) -> str:
    """``name`` as written in a recipe: bare when it may be (unless ``always``), otherwise single-quoted."""
    if (
        not always
        and name[:1].isalpha()
        and name == name.strip()
        and "//" not in name
        and not any(character in SPECIAL_NAME_CHARACTERS for character in name)
    ):
        return name
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


@dataclass(frozen=True)
class AttributeInput:
    """A leaf of an expression: the values of one input attribute of the schema."""

    name: str
    kind: ValueKind

    @property
    def canonical(self) -> str:
        """The expression written in recipe syntax (used as the variable's identity)."""
        return quote_name(self.name)


@dataclass(frozen=True)
class Transform:
    """A transformation applied to one or two argument expressions.

    ``parameter`` is the integer argument of ``ngram``, ``osb`` and ``quantile_bin`` and ``None`` for
    the others; ``kind`` is the kind of the values the transformation produces.
    """

    function: Function
    arguments: tuple[Expression, ...]
    parameter: int | None
    kind: ValueKind

    @property
    def canonical(self) -> str:
        """The expression written in recipe syntax without spaces (used as the variable's identity)."""
        parts = [argument.canonical for argument in self.arguments]
        if self.parameter is not None:
            parts.append(str(self.parameter))
        return f"{self.function.value}({','.join(parts)})"


Expression = AttributeInput | Transform


@dataclass(frozen=True)
class RecipeVariable:
    """One processed output variable of a recipe.

    ``label`` names the variable in feature names: the assignment name when the variable is an
    assignment that produced exactly one variable, otherwise the canonical expression.
    """

    label: str
    expression: Expression


@dataclass(frozen=True)
class Recipe:
    """A parsed, type-checked recipe.

    ``text`` is the recipe as given (the effective recipe that ``GetMLModel`` echoes); ``groups``
    maps every user-defined group to the attribute names it resolved to; ``outputs`` lists every
    processed output variable once, in the order the ``outputs`` section produces them.
    """

    text: str
    groups: dict[str, tuple[str, ...]]
    assignments: dict[str, tuple[RecipeVariable, ...]]
    outputs: tuple[RecipeVariable, ...]
