"""Parse and type-check an Amazon ML recipe against a data schema.

A recipe is a JSON object with up to three sections, in this order::

    {"groups":      {"NAME": "group(...)" | "group_remove(...)" | "OTHER_GROUP", ...},
     "assignments": {"name": "<expression>", ...},
     "outputs":     ["<expression> // optional comment", ...]}

``outputs`` is mandatory and must not be empty; a ``dependencies`` member (present in recipes the
service stored) is accepted anywhere and ignored. Groups may use earlier groups, assignments may use
groups and earlier assignments, outputs may use everything. The predefined groups ``ALL_TEXT``,
``ALL_NUMERIC``, ``ALL_CATEGORICAL``, ``ALL_BINARY`` and ``ALL_INPUTS`` hold the schema's input
attributes by type; ``ALL_INPUTS`` may not be used inside a group definition. The target, rowId,
row weight and excluded attributes are never inputs and cannot be named.

Functions and their rules (a group argument applies the function to each member; ``cartesian`` of two
groups crosses every pair):

================  ======================================  =====================================
function          argument kinds                          result
================  ======================================  =====================================
``lowercase``     TEXT                                    TEXT
``no_punct``      TEXT                                    TEXT
``ngram(x, n)``   TEXT, ``n`` 2–10                        TOKENS (1- to n-grams)
``osb(x, w)``     TEXT, ``w`` 2–10                        TOKENS (orthogonal sparse bigrams)
``quantile_bin``  NUMERIC, ``n`` 2–1000 bins              CATEGORICAL
``normalize``     NUMERIC                                 NUMERIC
``cartesian``     CATEGORICAL, BINARY, TEXT or TOKENS ×2  CATEGORICAL, or TOKENS if text is involved
================  ======================================  =====================================

The bin range of ``quantile_bin`` is not documented by Amazon ML; its generated recipes used 5 to
500 bins, and we accept 2 to 1000 (more bins than that leave too few records per bin to learn from).

Every problem raises ``InvalidInputException`` naming the section, the entry and the column of the
offending token, e.g. ``Recipe error in outputs[2] at column 1: unknown function 'quantile_bins'
(did you mean quantile_bin?)``. Output indexes count from 0, columns from 1.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from openaml.engine.data.schema import Attribute, AttributeRole, AttributeType, DataSchema
from openaml.engine.recipes.expressions import (
    AttributeInput,
    Expression,
    Function,
    Recipe,
    RecipeVariable,
    Transform,
    ValueKind,
    quote_name,
)
from openaml.engine.recipes.syntax import (
    CallNode,
    ExpressionError,
    NameNode,
    NumberNode,
    SyntaxNode,
    parse_expression,
)
from openaml.errors import InvalidInputException

#: The longest recipe text CreateMLModel accepts.
MAX_RECIPE_CHARACTERS = 131_071
#: The most processed output variables one recipe may produce (Amazon ML's "recipe complexity" limit).
MAX_OUTPUT_VARIABLES = 10_000
#: The longest name a group or assignment may have.
MAX_NAME_LENGTH = 64

SECTION_ORDER = ("groups", "assignments", "outputs")
IGNORED_SECTIONS = ("dependencies",)

#: The predefined groups and the attribute types each one holds (``ALL_INPUTS`` holds every type).
BUILTIN_GROUPS: dict[str, tuple[AttributeType, ...]] = {
    "ALL_TEXT": (AttributeType.TEXT,),
    "ALL_NUMERIC": (AttributeType.NUMERIC,),
    "ALL_CATEGORICAL": (AttributeType.CATEGORICAL,),
    "ALL_BINARY": (AttributeType.BINARY,),
    "ALL_INPUTS": tuple(AttributeType),
}
GROUP_FUNCTIONS = ("group", "group_remove")


@dataclass(frozen=True)
class _Signature:
    """What a transformation function accepts and returns."""

    accepts: frozenset[ValueKind]
    #: Inclusive range of the whole-number last argument, or ``None`` for functions without one.
    parameter_range: tuple[int, int] | None
    parameter_name: str
    #: The kind of the result; ``None`` means computed from the arguments (``cartesian``).
    result: ValueKind | None


_TEXT_ONLY = frozenset({ValueKind.TEXT})
_NUMERIC_ONLY = frozenset({ValueKind.NUMERIC})
_DISCRETE = frozenset({ValueKind.CATEGORICAL, ValueKind.BINARY, ValueKind.TEXT, ValueKind.TOKENS})
_SINGLE_VALUED = frozenset({ValueKind.CATEGORICAL, ValueKind.BINARY})

SIGNATURES: dict[Function, _Signature] = {
    Function.LOWERCASE: _Signature(_TEXT_ONLY, None, "", ValueKind.TEXT),
    Function.NO_PUNCT: _Signature(_TEXT_ONLY, None, "", ValueKind.TEXT),
    Function.NGRAM: _Signature(_TEXT_ONLY, (2, 10), "the n-gram size", ValueKind.TOKENS),
    Function.OSB: _Signature(_TEXT_ONLY, (2, 10), "the window size", ValueKind.TOKENS),
    Function.QUANTILE_BIN: _Signature(_NUMERIC_ONLY, (2, 1000), "the number of bins", ValueKind.CATEGORICAL),
    Function.NORMALIZE: _Signature(_NUMERIC_ONLY, None, "", ValueKind.NUMERIC),
    Function.CARTESIAN: _Signature(_DISCRETE, None, "", None),
}


def parse_recipe(text: str, schema: DataSchema) -> Recipe:
    """Parse ``text`` as a recipe for data of ``schema``; ``InvalidInputException`` explains any problem."""
    if len(text) > MAX_RECIPE_CHARACTERS:
        raise InvalidInputException(
            f"Recipe error: the recipe has {len(text):,} characters; "
            f"at most {MAX_RECIPE_CHARACTERS:,} are allowed."
        )
    sections = _read_sections(text)
    resolver = _Resolver(schema)
    for name, definition in sections.get("groups", {}).items():
        resolver.define_group(name, definition)
    for name, definition in sections.get("assignments", {}).items():
        resolver.define_assignment(name, definition)
    outputs = resolver.resolve_outputs(sections["outputs"])
    return Recipe(
        text=text,
        groups=dict(resolver.groups),
        assignments=dict(resolver.assignments),
        outputs=outputs,
    )


# --- The JSON layer --------------------------------------------------------------------------------


class _DuplicateKeyError(ValueError):
    pass


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _read_sections(text: str) -> dict[str, Any]:
    """Decode the JSON and check the sections' presence, order and shapes."""
    try:
        document = json.loads(text, object_pairs_hook=_object_without_duplicates)
    except json.JSONDecodeError as error:
        raise InvalidInputException(
            f"Recipe error at line {error.lineno} column {error.colno}: "
            f"the recipe is not valid JSON ({error.msg})."
        ) from None
    except _DuplicateKeyError as error:
        raise InvalidInputException(
            f"Recipe error: the name {error.args[0]!r} is defined more than once in the same JSON object."
        ) from None
    if not isinstance(document, dict):
        raise InvalidInputException('Recipe error: the recipe must be a JSON object with an "outputs" list.')
    unknown = [key for key in document if key not in SECTION_ORDER + IGNORED_SECTIONS]
    if unknown:
        raise InvalidInputException(
            f"Recipe error: unknown section {unknown[0]!r}{_did_you_mean(unknown[0], SECTION_ORDER)}; "
            'the sections are "groups", "assignments" and "outputs", in that order.'
        )
    present = [key for key in document if key in SECTION_ORDER]
    if present != sorted(present, key=SECTION_ORDER.index):
        raise InvalidInputException(
            f"Recipe error: the sections appear as {', '.join(present)}; "
            'they must appear in the order "groups", "assignments", "outputs".'
        )
    for section in ("groups", "assignments"):
        definitions = document.get(section, {})
        if not isinstance(definitions, dict) or not all(isinstance(v, str) for v in definitions.values()):
            raise InvalidInputException(
                f'Recipe error in {section}: "{section}" must be a JSON object '
                "mapping names to expression strings."
            )
    outputs = document.get("outputs")
    if not isinstance(outputs, list) or not outputs or not all(isinstance(item, str) for item in outputs):
        raise InvalidInputException(
            'Recipe error in outputs: the recipe needs a non-empty "outputs" list of expression strings.'
        )
    return document


# --- Names, groups and typed expressions -----------------------------------------------------------


class _Resolver:
    """Holds the names defined so far and turns syntax trees into typed variables."""

    def __init__(self, schema: DataSchema) -> None:
        self._schema = schema
        self._inputs = {attribute.name: attribute for attribute in schema.input_attributes}
        self.groups: dict[str, tuple[str, ...]] = {}
        self.assignments: dict[str, tuple[RecipeVariable, ...]] = {}

    # Definitions ------------------------------------------------------------------------------------

    def define_group(self, key: str, definition: str) -> None:
        where = f"groups[{json.dumps(key, ensure_ascii=False)}]"
        name = self._defined_name(key, section="groups", where=where)
        with _pointing_at(where):
            self.groups[name] = self._group_members(parse_expression(definition, allow_comment=False))

    def define_assignment(self, key: str, definition: str) -> None:
        where = f"assignments[{json.dumps(key, ensure_ascii=False)}]"
        name = self._defined_name(key, section="assignments", where=where)
        with _pointing_at(where):
            variables = self._variables(parse_expression(definition, allow_comment=False))
        if len(variables) == 1:
            variables = [RecipeVariable(name, variables[0].expression)]
        self.assignments[name] = tuple(variables)

    def resolve_outputs(self, outputs: list[str]) -> tuple[RecipeVariable, ...]:
        seen: set[Expression] = set()
        result: list[RecipeVariable] = []
        for index, text in enumerate(outputs):
            where = f"outputs[{index}]"
            with _pointing_at(where):
                variables = self._variables(parse_expression(text, allow_comment=True))
            for variable in variables:
                if variable.expression not in seen:
                    seen.add(variable.expression)
                    result.append(variable)
            if len(result) > MAX_OUTPUT_VARIABLES:
                raise InvalidInputException(
                    f"Recipe error in {where}: the recipe produces more than {MAX_OUTPUT_VARIABLES:,} "
                    "processed output variables, the most one recipe may have."
                )
        return tuple(result)

    def _defined_name(self, key: str, *, section: str, where: str) -> str:
        """Validate the name of a group or assignment (a JSON key, bare or single-quoted)."""
        with _pointing_at(f"{section} (the name {key!r})"):
            node = parse_expression(key, allow_comment=False)
        if not isinstance(node, NameNode):
            raise InvalidInputException(
                f"Recipe error in {section}: {key!r} is not a valid name; names start with a letter "
                "(or are single-quoted) and contain no commas, quotes, parentheses or backslashes."
            )
        name = node.name
        if len(name) > MAX_NAME_LENGTH:
            raise InvalidInputException(
                f"Recipe error in {where}: the name is {len(name)} characters long; "
                f"at most {MAX_NAME_LENGTH} are allowed."
            )
        if name in BUILTIN_GROUPS:
            raise InvalidInputException(
                f"Recipe error in {where}: {name} is a predefined group and cannot be redefined."
            )
        if self._schema.has_attribute(name):
            raise InvalidInputException(
                f"Recipe error in {where}: {name!r} is already the name of an attribute; choose another name."
            )
        if name in self.groups or name in self.assignments:
            raise InvalidInputException(f"Recipe error in {where}: the name {name!r} is already defined.")
        return name

    # Groups -----------------------------------------------------------------------------------------

    def _group_members(self, node: SyntaxNode) -> tuple[str, ...]:
        """The attribute names a group definition stands for, in order, without repeats."""
        if isinstance(node, NameNode):
            return self._group_reference(node)
        if isinstance(node, NumberNode):
            raise ExpressionError(node.column, "a group definition cannot be a number")
        if node.function not in GROUP_FUNCTIONS:
            raise ExpressionError(
                node.column,
                f"a group is defined with group(...) or group_remove(...), not {node.function}(...)",
            )
        if not node.arguments:
            raise ExpressionError(node.column, f"{node.function}() needs at least one argument")
        member_lists = [self._group_reference(argument) for argument in node.arguments]
        if node.function == "group":
            return tuple(dict.fromkeys(name for members in member_lists for name in members))
        first = node.arguments[0]
        if not (isinstance(first, NameNode) and (first.name in self.groups or first.name in BUILTIN_GROUPS)):
            raise ExpressionError(first.column, "the first argument of group_remove must be a group")
        removed = {name for members in member_lists[1:] for name in members}
        return tuple(name for name in member_lists[0] if name not in removed)

    def _group_reference(self, node: SyntaxNode) -> tuple[str, ...]:
        if not isinstance(node, NameNode):
            raise ExpressionError(
                node.column, "group members must be attribute or group names, not expressions or numbers"
            )
        if node.name == "ALL_INPUTS":
            raise ExpressionError(node.column, "ALL_INPUTS may not be used inside a group definition")
        if node.name in BUILTIN_GROUPS:
            return self._builtin_group(node.name)
        if node.name in self.groups:
            return self.groups[node.name]
        if node.name in self.assignments:
            raise ExpressionError(
                node.column, f"{node.name!r} is an assignment; groups may only hold attributes"
            )
        return (self._input_attribute(node).name,)

    def _builtin_group(self, name: str) -> tuple[str, ...]:
        types = BUILTIN_GROUPS[name]
        return tuple(attribute.name for attribute in self._schema.input_attributes if attribute.type in types)

    # Values -----------------------------------------------------------------------------------------

    def _variables(self, node: SyntaxNode) -> list[RecipeVariable]:
        """The typed variables an assignment or output expression produces."""
        if isinstance(node, NumberNode):
            raise ExpressionError(
                node.column, "a number is only allowed as the last argument of ngram, osb or quantile_bin"
            )
        if isinstance(node, NameNode):
            return self._named_variables(node)
        return self._call(node)

    def _named_variables(self, node: NameNode) -> list[RecipeVariable]:
        if node.name in self.assignments:
            return list(self.assignments[node.name])
        if node.name in self.groups or node.name in BUILTIN_GROUPS:
            members = self.groups[node.name] if node.name in self.groups else self._builtin_group(node.name)
            return [self._attribute_variable(name) for name in members]
        return [self._attribute_variable(self._input_attribute(node).name)]

    def _attribute_variable(self, name: str) -> RecipeVariable:
        expression = AttributeInput(name, ValueKind.of_attribute(self._inputs[name].type))
        return RecipeVariable(expression.canonical, expression)

    def _input_attribute(self, node: NameNode) -> Attribute:
        if node.name in self._inputs:
            return self._inputs[node.name]
        if self._schema.has_attribute(node.name):
            role = self._schema.role(node.name)
            description = {
                AttributeRole.TARGET: "the target attribute",
                AttributeRole.ROW_ID: "the rowId attribute",
            }.get(role, "excluded from modelling (an excluded attribute or the row weight)")
            raise ExpressionError(
                node.column, f"{node.name!r} is {description} and cannot be used in a recipe"
            )
        candidates = [*self._inputs, *self.groups, *self.assignments, *BUILTIN_GROUPS]
        raise ExpressionError(
            node.column, f"unknown attribute or group {node.name!r}{_did_you_mean(node.name, candidates)}"
        )

    def _call(self, node: CallNode) -> list[RecipeVariable]:
        if node.function in GROUP_FUNCTIONS:
            raise ExpressionError(
                node.column, f"{node.function}() may only be used in the groups section; define a group there"
            )
        try:
            function = Function(node.function)
        except ValueError:
            names = [f.value for f in Function]
            raise ExpressionError(
                node.column, f"unknown function {node.function!r}{_did_you_mean(node.function, names)}"
            ) from None
        signature = SIGNATURES[function]
        if function is Function.CARTESIAN:
            return self._cartesian(node, signature)
        expected_count = 1 if signature.parameter_range is None else 2
        if len(node.arguments) != expected_count:
            usage = f"{function.value}(x)" if expected_count == 1 else f"{function.value}(x, number)"
            raise ExpressionError(
                node.column,
                f"{function.value} takes {expected_count} argument(s) ({usage}); got {len(node.arguments)}",
            )
        parameter = self._parameter(node, signature) if signature.parameter_range else None
        assert signature.result is not None
        result_kind = signature.result
        return [
            _transform(function, (expression,), parameter, result_kind)
            for expression in self._typed_arguments(node.arguments[0], function, signature.accepts)
        ]

    def _cartesian(self, node: CallNode, signature: _Signature) -> list[RecipeVariable]:
        if len(node.arguments) != 2:
            raise ExpressionError(node.column, f"cartesian takes 2 arguments; got {len(node.arguments)}")
        left = self._typed_arguments(node.arguments[0], Function.CARTESIAN, signature.accepts)
        right = self._typed_arguments(node.arguments[1], Function.CARTESIAN, signature.accepts)
        if len(left) * len(right) > MAX_OUTPUT_VARIABLES:
            raise ExpressionError(
                node.column,
                f"cartesian of {len(left)} × {len(right)} variables exceeds the limit of "
                f"{MAX_OUTPUT_VARIABLES:,} processed output variables",
            )
        variables = []
        for first in left:
            for second in right:
                single = first.kind in _SINGLE_VALUED and second.kind in _SINGLE_VALUED
                kind = ValueKind.CATEGORICAL if single else ValueKind.TOKENS
                variables.append(_transform(Function.CARTESIAN, (first, second), None, kind))
        return variables

    def _typed_arguments(
        self, node: SyntaxNode, function: Function, accepts: frozenset[ValueKind]
    ) -> list[Expression]:
        expressions = [variable.expression for variable in self._variables(node)]
        for expression in expressions:
            if expression.kind not in accepts:
                expected = " or ".join(sorted(kind.value for kind in accepts))
                hint = " (bin it with quantile_bin first)" if expression.kind is ValueKind.NUMERIC else ""
                raise ExpressionError(
                    node.column,
                    f"{function.value} needs {expected} values, but {expression.canonical} is "
                    f"{expression.kind.value}{hint}",
                )
        return expressions

    @staticmethod
    def _parameter(node: CallNode, signature: _Signature) -> int:
        assert signature.parameter_range is not None
        low, high = signature.parameter_range
        argument = node.arguments[1]
        if not isinstance(argument, NumberNode):
            raise ExpressionError(
                argument.column,
                f"the second argument of {node.function} is {signature.parameter_name}, "
                f"a whole number from {low} to {high}",
            )
        if not low <= argument.value <= high:
            raise ExpressionError(
                argument.column,
                f"{signature.parameter_name} of {node.function} must be from {low} to {high}; "
                f"got {argument.value}",
            )
        return argument.value


def _transform(
    function: Function, arguments: tuple[Expression, ...], parameter: int | None, kind: ValueKind
) -> RecipeVariable:
    expression = Transform(function, arguments, parameter, kind)
    return RecipeVariable(expression.canonical, expression)


@contextmanager
def _pointing_at(where: str) -> Iterator[None]:
    """Turn an ``ExpressionError`` raised inside into the user-facing error naming the recipe entry."""
    try:
        yield
    except ExpressionError as error:
        raise InvalidInputException(
            f"Recipe error in {where} at column {error.column}: {error.reason}"
        ) from None


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    by_lower = {candidate.lower(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {quote_name(by_lower[matches[0]])}?)" if matches else ""
