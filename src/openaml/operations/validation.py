"""Server-side input validation driven by botocore's own ``machinelearning`` service model.

Before sending, botocore checks only required members, Python types and ``min`` bounds; it never checks
``max``, ``pattern`` or enum membership, and other clients may check nothing at all (reference §2.7). So
the server walks every request through the operation's input shape, collects every violation, and
reports them in one :class:`~openaml.errors.InvalidInputException` worded as AWS words it::

    2 validation errors detected: Value 'x y' at 'DataSourceId' failed to satisfy constraint: Member
    must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value null at 'DataSpec' failed to
    satisfy constraint: Member must not be null

The constraints come from the model, never from per-field code. The few shapes where OpenAML deliberately
departs from the model are listed, each with its reason, in :data:`PATTERN_OVERRIDES` and
:data:`FORBIDDEN_VALUES`. The checks for
each shape are prepared once (patterns compiled) because validation runs on every request.
"""

from __future__ import annotations

import functools
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import regex
from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape

from openaml.errors import InvalidInputException, UnknownOperationException

SERVICE_NAME = "machinelearning"

#: Longest piece of a caller's value (or map key) echoed back in an error message.
_MAX_SHOWN_CHARS = 200


@dataclass(frozen=True, slots=True)
class PatternOverride:
    """Replaces the model's ``pattern`` of one shape (full-match semantics, ``regex`` syntax)."""

    pattern: str
    #: What the error message says when a value does not match, e.g. ``Member must be ...``.
    constraint: str
    #: Why OpenAML departs from the model here.
    reason: str


_TAG_TEXT_PATTERN = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@%]*)$"
_TAG_TEXT_OVERRIDE = PatternOverride(
    pattern=_TAG_TEXT_PATTERN,
    constraint=f"Member must satisfy regular expression pattern: {_TAG_TEXT_PATTERN}",
    reason="The model's documentation of Tag lists % as a valid character but its pattern omits it; "
    "a caller following the documentation must not be rejected.",
)

#: Shapes whose model pattern OpenAML replaces, keyed by shape name.
PATTERN_OVERRIDES: Mapping[str, PatternOverride] = MappingProxyType(
    {
        "S3Url": PatternOverride(
            pattern=r"s3://[^/]+(/.*)?|file:///.*|/.*",
            constraint="Member must be an s3://bucket[/key] URL, a file:///absolute/path URL "
            "or an absolute local path (/absolute/path)",
            reason="OpenAML also reads and writes local files, not only S3 objects. Whether the location "
            "lies inside the allowed roots is checked where it is opened, not here.",
        ),
        "VipURL": PatternOverride(
            pattern=r"(?i:https?)://[^\s/?#]+([/?#]\S*)?",
            constraint="Member must be an absolute http:// or https:// URL",
            reason="The model only allows *.amazonaws.com hosts, but botocore sends Predict to the host of "
            "PredictEndpoint (reference §2.6), which for OpenAML is its own, often local, URL.",
        ),
        "TagKey": _TAG_TEXT_OVERRIDE,
        "TagValue": _TAG_TEXT_OVERRIDE,
    }
)


@dataclass(frozen=True, slots=True)
class ForbiddenValues:
    """Values of one shape that match the model's pattern but that OpenAML refuses."""

    values: frozenset[str]
    constraint: str
    reason: str


#: Shapes with values OpenAML refuses beyond the model, keyed by shape name.
FORBIDDEN_VALUES: Mapping[str, ForbiddenValues] = MappingProxyType(
    {
        "EntityId": ForbiddenValues(
            values=frozenset({".", ".."}),
            constraint="Member must not be '.' or '..'",
            reason="A resource's files live in a folder named by its ID; '.' and '..' name no folder of "
            "their own, so such a resource could never store its results.",
        ),
    }
)


@functools.cache
def load_service_model() -> ServiceModel:
    """Return botocore's ``machinelearning`` service model, loaded once.

    It reads the model file straight through botocore's loader, which is much cheaper than creating a
    botocore session; later calls return the same object.
    """
    description = Loader().load_service_model(SERVICE_NAME, "service-2")
    return ServiceModel(description, service_name=SERVICE_NAME)


@functools.cache
def operation_names() -> tuple[str, ...]:
    """Return the names of the operations of the Amazon ML API (``CreateMLModel``, ``Predict``, ...)."""
    return tuple(load_service_model().operation_names)


class InputValidator:
    """Checks request parameters against the input shapes of a service model.

    Build it once (it prepares the checks of every input shape) and call :meth:`validate` per request.
    """

    def __init__(self, service_model: ServiceModel) -> None:
        built: dict[str, _Rule] = {}
        self._inputs: dict[str, _Rule] = {}
        for name in service_model.operation_names:
            input_shape = service_model.operation_model(name).input_shape
            self._inputs[name] = _EMPTY_STRUCTURE if input_shape is None else _build_rule(input_shape, built)

    def validate(self, operation_name: str, params: Mapping[str, Any]) -> None:
        """Raise ``InvalidInputException`` listing every way ``params`` break the operation's input shape.

        ``params`` is the decoded JSON body of the request. A JSON ``null`` is refused even for an optional
        member (botocore never sends one), so operations never meet ``None`` where a value is present.
        Raises ``UnknownOperationException`` for an operation the model does not have.
        """
        rule = self._inputs.get(operation_name)
        if rule is None:
            raise UnknownOperationException(f"Amazon ML has no operation named {_shown(operation_name)}.")
        errors: list[str] = []
        rule.check(params, "", errors)
        if errors:
            noun = "error" if len(errors) == 1 else "errors"
            raise InvalidInputException(f"{len(errors)} validation {noun} detected: {'; '.join(errors)}")


# --- Rules: the prepared checks of one shape ----------------------------------------------------


class _Rule(ABC):
    """The checks for one shape of the model; ``check`` appends one message per violation."""

    #: How the message names the JSON type this shape needs, e.g. ``a string``.
    expected: str

    def __init__(self, sensitive: bool) -> None:
        self.sensitive = sensitive

    def check(self, value: object, path: str, errors: list[str]) -> None:
        """Append to ``errors`` a message for each constraint ``value`` (found at ``path``) breaks."""
        if value is None:
            errors.append(self.violation(value, path, "Member must not be null"))
        elif not self._has_type(value):
            errors.append(self.violation(value, path, f"Member must be {self.expected}"))
        else:
            self._check_content(value, path, errors)

    @abstractmethod
    def _has_type(self, value: object) -> bool:
        """Whether ``value`` has the JSON type this shape needs."""

    @abstractmethod
    def _check_content(self, value: Any, path: str, errors: list[str]) -> None:
        """Check a value already known to have the right type."""

    def violation(self, value: object, path: str, constraint: str) -> str:
        """One AWS-style message: ``value`` at ``path`` breaks ``constraint`` (sensitive values hidden)."""
        shown = "'***'" if self.sensitive and value is not None else _shown(value)
        return f"Value {shown} at '{path or 'input'}' failed to satisfy constraint: {constraint}"


class _StringRule(_Rule):
    expected = "a string"

    def __init__(
        self,
        sensitive: bool,
        bounds: _Bounds,
        pattern: Any,
        pattern_constraint: str,
        enum: tuple[str, ...],
        forbidden: ForbiddenValues | None = None,
    ) -> None:
        super().__init__(sensitive)
        self._forbidden = forbidden
        self._bounds = bounds
        self._pattern = pattern
        self._pattern_constraint = pattern_constraint
        self._enum = frozenset(enum)
        self._enum_constraint = f"Member must satisfy enum value set: [{', '.join(enum)}]"
        #: Whether any string is valid here (no length bounds, pattern or enum).
        self.accepts_any_string = (
            bounds.minimum is None
            and bounds.maximum is None
            and pattern is None
            and not enum
            and forbidden is None
        )

    def _has_type(self, value: object) -> bool:
        return isinstance(value, str)

    def _check_content(self, value: str, path: str, errors: list[str]) -> None:
        length_problem = self._bounds.problem(len(value), "length")
        if length_problem is not None:
            errors.append(self.violation(value, path, length_problem))
        # A pattern is only tried on a value of allowed length, so an oversized value costs no regex time.
        elif self._pattern is not None and self._pattern.fullmatch(value) is None:
            errors.append(self.violation(value, path, self._pattern_constraint))
        if self._enum and value not in self._enum:
            errors.append(self.violation(value, path, self._enum_constraint))
        if self._forbidden is not None and value in self._forbidden.values:
            errors.append(self.violation(value, path, self._forbidden.constraint))


class _NumberRule(_Rule):
    def __init__(self, sensitive: bool, bounds: _Bounds, integral: bool) -> None:
        super().__init__(sensitive)
        self._bounds = bounds
        self._integral = integral
        self.expected = "an integer" if integral else "a finite number"

    def _has_type(self, value: object) -> bool:
        if isinstance(value, bool):
            return False
        if self._integral:
            return isinstance(value, int)
        return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))

    def _check_content(self, value: float, path: str, errors: list[str]) -> None:
        problem = self._bounds.problem(value, "value")
        if problem is not None:
            errors.append(self.violation(value, path, problem))


class _BooleanRule(_Rule):
    expected = "a boolean (true or false)"

    def _has_type(self, value: object) -> bool:
        return isinstance(value, bool)

    def _check_content(self, value: bool, path: str, errors: list[str]) -> None:
        """A boolean has no constraints beyond its type."""


class _StructureRule(_Rule):
    expected = "an object"

    def __init__(self, sensitive: bool, required: frozenset[str]) -> None:
        super().__init__(sensitive)
        self._required = required
        #: Filled after construction, so that a structure may (indirectly) contain itself.
        self.members: dict[str, _Rule] = {}

    def _has_type(self, value: object) -> bool:
        return isinstance(value, dict)

    def _check_content(self, value: dict[str, Any], path: str, errors: list[str]) -> None:
        for name in value:
            if name not in self.members:
                allowed = ", ".join(self.members)
                errors.append(
                    f'Unknown parameter in {path or "input"}: "{_capped(name)}", must be one of: {allowed}'
                )
        for name, rule in self.members.items():
            member_path = f"{path}.{name}" if path else name
            if name in value:
                rule.check(value[name], member_path, errors)
            elif name in self._required:
                errors.append(rule.violation(None, member_path, "Member must not be null"))


class _ListRule(_Rule):
    expected = "an array"

    def __init__(self, sensitive: bool, bounds: _Bounds, item: _Rule) -> None:
        super().__init__(sensitive)
        self._bounds = bounds
        self._item = item

    def _has_type(self, value: object) -> bool:
        return isinstance(value, list)

    def _check_content(self, value: list[Any], path: str, errors: list[str]) -> None:
        problem = self._bounds.problem(len(value), "length")
        if problem is not None:
            errors.append(self.violation(value, path, problem))
        for index, item in enumerate(value):
            self._item.check(item, f"{path}[{index}]", errors)


class _MapRule(_Rule):
    expected = "an object"

    def __init__(self, sensitive: bool, bounds: _Bounds, key: _Rule, value: _Rule) -> None:
        super().__init__(sensitive)
        self._bounds = bounds
        self._key = key
        self._value = value
        # A map of free strings to free strings (Predict's Record: hundreds of entries on every call)
        # only needs a type check of its values: JSON object keys are always strings.
        self._any_strings = (
            isinstance(key, _StringRule)
            and key.accepts_any_string
            and isinstance(value, _StringRule)
            and value.accepts_any_string
        )

    def _has_type(self, value: object) -> bool:
        return isinstance(value, dict)

    def _check_content(self, value: dict[str, Any], path: str, errors: list[str]) -> None:
        problem = self._bounds.problem(len(value), "length")
        if problem is not None:
            errors.append(self.violation(value, path, problem))
        if self._any_strings and set(map(type, value.values())) <= {str}:
            return
        for key, item in value.items():
            self._key.check(key, f"keys of {path}", errors)
            self._value.check(item, f"{path}.{_capped(key)}", errors)


@dataclass(frozen=True, slots=True)
class _Bounds:
    """The model's ``min``/``max`` of a shape: a length, a count of items, or a numeric value."""

    minimum: float | None
    maximum: float | None

    def problem(self, size: float, measure: str) -> str | None:
        """The constraint ``size`` breaks, worded for a message, or ``None``."""
        if self.minimum is not None and size < self.minimum:
            return f"Member must have {measure} greater than or equal to {self.minimum}"
        if self.maximum is not None and size > self.maximum:
            return f"Member must have {measure} less than or equal to {self.maximum}"
        return None


_EMPTY_STRUCTURE = _StructureRule(sensitive=False, required=frozenset())


def _build_rule(shape: Shape, built: dict[str, _Rule]) -> _Rule:
    """Prepare the checks of ``shape`` and every shape inside it, reusing those already in ``built``."""
    if shape.name in built:
        return built[shape.name]
    metadata = shape.metadata
    sensitive = bool(metadata.get("sensitive", False))
    bounds = _Bounds(metadata.get("min"), metadata.get("max"))
    rule: _Rule
    match shape.type_name:
        case "structure":
            structure = _StructureRule(sensitive, frozenset(shape.required_members))
            built[shape.name] = structure
            for name, member in shape.members.items():
                structure.members[name] = _build_rule(member, built)
            return structure
        case "string":
            rule = _string_rule(shape, sensitive, bounds)
        case "integer" | "long":
            rule = _NumberRule(sensitive, bounds, integral=True)
        case "float" | "double":
            rule = _NumberRule(sensitive, bounds, integral=False)
        case "boolean":
            rule = _BooleanRule(sensitive)
        case "list":
            rule = _ListRule(sensitive, bounds, _build_rule(shape.member, built))
        case "map":
            rule = _MapRule(sensitive, bounds, _build_rule(shape.key, built), _build_rule(shape.value, built))
        case other:
            raise ValueError(f"input shape {shape.name} has type {other!r}, which the validator cannot check")
    built[shape.name] = rule
    return rule


def _string_rule(shape: Shape, sensitive: bool, bounds: _Bounds) -> _StringRule:
    override = PATTERN_OVERRIDES.get(shape.name)
    if override is not None:
        pattern_text: str | None = override.pattern
        constraint = override.constraint
    else:
        pattern_text = shape.metadata.get("pattern")
        constraint = f"Member must satisfy regular expression pattern: {pattern_text}"
    pattern = None if pattern_text is None else regex.compile(pattern_text)
    return _StringRule(
        sensitive, bounds, pattern, constraint, tuple(shape.enum), FORBIDDEN_VALUES.get(shape.name)
    )


# --- Showing caller values in messages -------------------------------------------------------------


def _capped(text: str) -> str:
    """``text``, cut to at most ``_MAX_SHOWN_CHARS`` characters (marked with ``...``)."""
    return text if len(text) <= _MAX_SHOWN_CHARS else text[:_MAX_SHOWN_CHARS] + "..."


def _shown(value: object) -> str:
    """``value`` as an AWS message shows it: ``null``, or its (capped) text in single quotes."""
    if value is None:
        return "null"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)
    return f"'{_capped(text)}'"
