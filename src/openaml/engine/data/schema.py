"""The Amazon ML data schema: which columns a datasource has, their types and their roles.

A schema is an ordered list of attributes (one per CSV column, in column order) plus the names of
the target, the row identifier, the row weight and the attributes excluded from modelling.

:func:`parse_data_schema` accepts the JSON of the Amazon ML Developer Guide and the alternative
spelling shown in the API model's documentation, which may be mixed in one document:

==========================  =================================================
Developer Guide             alternative
==========================  =================================================
``targetAttributeName``     ``targetFieldName``
``rowId``                   ``recordAnnotationFieldName``
``rowWeight``               ``recordWeightFieldName``
``attributes``              ``variables``
``attributeName``           ``fieldName``
``attributeType``           ``fieldType``
``excludedAttributeNames``  ``excludedVariableNames``
==========================  =================================================

Attribute types are matched case-insensitively. The sequence types of the alternative spelling
(``WEIGHTED_INT_SEQUENCE``, ``WEIGHTED_STRING_SEQUENCE``) are rejected. Unknown keys are rejected too,
so that a misspelt ``targetAttributeName`` cannot silently produce a datasource without a target.
:meth:`DataSchema.to_json` always writes the Developer-Guide spelling.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openaml.errors import InvalidInputException


class AttributeType(enum.StrEnum):
    """How the values of one column are parsed and used."""

    BINARY = "BINARY"
    CATEGORICAL = "CATEGORICAL"
    NUMERIC = "NUMERIC"
    TEXT = "TEXT"


class AttributeRole(enum.StrEnum):
    """What an attribute is for in a datasource (the ``role`` of the statistics JSON)."""

    INPUT = "input"
    TARGET = "target"
    ROW_ID = "rowId"
    EXCLUDED = "excluded"


@dataclass(frozen=True)
class Attribute:
    """One column of the data: its name (the CSV header field) and its type."""

    name: str
    type: AttributeType


@dataclass(frozen=True)
class DataSchema:
    """A validated data schema; constructing one with inconsistent names raises ``InvalidInputException``."""

    attributes: tuple[Attribute, ...]
    target_attribute_name: str | None = None
    row_id: str | None = None
    row_weight: str | None = None
    excluded_attribute_names: tuple[str, ...] = ()
    data_file_contains_header: bool = True
    data_format: str = "CSV"
    version: str = "1.0"
    _by_name: dict[str, Attribute] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.attributes:
            raise InvalidInputException("The data schema must list at least one attribute.")
        by_name: dict[str, Attribute] = {}
        for attribute in self.attributes:
            if not attribute.name:
                raise InvalidInputException("Every attribute in the data schema needs a non-empty name.")
            if attribute.name in by_name:
                raise InvalidInputException(
                    f"The data schema lists the attribute {attribute.name!r} more than once; "
                    "attribute names must be unique."
                )
            by_name[attribute.name] = attribute
        object.__setattr__(self, "_by_name", by_name)
        self._check_role_names()

    def _check_role_names(self) -> None:
        roles = {
            "targetAttributeName": self.target_attribute_name,
            "rowId": self.row_id,
            "rowWeight": self.row_weight,
        }
        for key, name in roles.items():
            if name is not None and name not in self._by_name:
                raise InvalidInputException(
                    f"{key} {name!r} is not one of the schema's attributes ({_list_names(self.names)})."
                )
        if self.row_id is not None and self.row_id == self.target_attribute_name:
            raise InvalidInputException(f"{self.row_id!r} cannot be both the rowId and the target attribute.")
        if len(set(self.excluded_attribute_names)) != len(self.excluded_attribute_names):
            raise InvalidInputException("excludedAttributeNames lists an attribute more than once.")
        for name in self.excluded_attribute_names:
            if name not in self._by_name:
                raise InvalidInputException(
                    f"Excluded attribute {name!r} is not one of the schema's attributes "
                    f"({_list_names(self.names)})."
                )
            if name == self.target_attribute_name:
                raise InvalidInputException(f"The target attribute {name!r} cannot also be excluded.")

    def attribute(self, name: str) -> Attribute:
        """The attribute called ``name``; ``KeyError`` if the schema has none."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"the data schema has no attribute {name!r}") from None

    def has_attribute(self, name: str) -> bool:
        """Whether the schema has an attribute called ``name``."""
        return name in self._by_name

    @property
    def names(self) -> list[str]:
        """Attribute names in column order."""
        return [attribute.name for attribute in self.attributes]

    @property
    def input_attributes(self) -> tuple[Attribute, ...]:
        """The attributes a model may learn from: not the target, rowId, row weight or excluded ones."""
        return tuple(a for a in self.attributes if self.role(a.name) is AttributeRole.INPUT)

    def role(self, name: str) -> AttributeRole:
        """The role of attribute ``name``; the row weight counts as excluded (it is never a feature)."""
        self.attribute(name)
        if name == self.target_attribute_name:
            return AttributeRole.TARGET
        if name == self.row_id:
            return AttributeRole.ROW_ID
        if name in self.excluded_attribute_names or name == self.row_weight:
            return AttributeRole.EXCLUDED
        return AttributeRole.INPUT

    def to_dict(self) -> dict[str, Any]:
        """The schema as a JSON-ready dict in the Developer-Guide spelling and key order."""
        return {
            "version": self.version,
            "rowId": self.row_id,
            "rowWeight": self.row_weight,
            "targetAttributeName": self.target_attribute_name,
            "dataFormat": self.data_format,
            "dataFileContainsHeader": self.data_file_contains_header,
            "attributes": [{"attributeName": a.name, "attributeType": a.type.value} for a in self.attributes],
            "excludedAttributeNames": list(self.excluded_attribute_names),
        }

    def to_json(self) -> str:
        """The schema as indented JSON in the Developer-Guide spelling (what ``GetDataSource`` returns)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


_DATA_FORMATS = ("CSV", "PARQUET")
_SEQUENCE_TYPES = ("WEIGHTED_INT_SEQUENCE", "WEIGHTED_STRING_SEQUENCE")

# Each schema key, with its Developer-Guide spelling first and its alternative spelling second.
_TOP_LEVEL_KEYS: dict[str, tuple[str, ...]] = {
    "version": ("version",),
    "target": ("targetAttributeName", "targetFieldName"),
    "row_id": ("rowId", "recordAnnotationFieldName"),
    "row_weight": ("rowWeight", "recordWeightFieldName"),
    "data_format": ("dataFormat",),
    "header": ("dataFileContainsHeader",),
    "attributes": ("attributes", "variables"),
    "excluded": ("excludedAttributeNames", "excludedVariableNames"),
}
_ATTRIBUTE_KEYS: dict[str, tuple[str, ...]] = {
    "name": ("attributeName", "fieldName"),
    "type": ("attributeType", "fieldType"),
}


def parse_data_schema(text: str | bytes) -> DataSchema:
    """Parse a data schema JSON document (either spelling); ``InvalidInputException`` explains any problem."""
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidInputException(f"The data schema is not valid JSON: {error}.") from None
    if not isinstance(document, dict):
        raise InvalidInputException("The data schema must be a JSON object.")
    values = _pick_keys(document, _TOP_LEVEL_KEYS, where="the data schema")

    raw_attributes = values.get("attributes")
    if not isinstance(raw_attributes, list) or not raw_attributes:
        raise InvalidInputException(
            'The data schema needs a non-empty "attributes" list of '
            '{"attributeName": ..., "attributeType": ...} objects.'
        )
    return DataSchema(
        attributes=tuple(_parse_attribute(item, index) for index, item in enumerate(raw_attributes)),
        target_attribute_name=_optional_name(values, "target"),
        row_id=_optional_name(values, "row_id"),
        row_weight=_optional_name(values, "row_weight"),
        excluded_attribute_names=_parse_excluded(values.get("excluded")),
        data_file_contains_header=_parse_header_flag(values.get("header", True)),
        data_format=_parse_data_format(values.get("data_format", "CSV")),
        version=_parse_version(values.get("version", "1.0")),
    )


def _pick_keys(
    document: Mapping[str, Any], spellings: dict[str, tuple[str, ...]], *, where: str
) -> dict[str, Any]:
    """Map a JSON object's keys to canonical names, rejecting unknown keys and conflicting spellings."""
    canonical_of = {spelling: key for key, options in spellings.items() for spelling in options}
    unknown = [key for key in document if key not in canonical_of]
    if unknown:
        accepted = ", ".join(spelling for options in spellings.values() for spelling in options)
        raise InvalidInputException(f"Unknown key {unknown[0]!r} in {where}; accepted keys are: {accepted}.")
    values: dict[str, Any] = {}
    for spelling, value in document.items():
        key = canonical_of[spelling]
        if key in values and values[key] != value:
            raise InvalidInputException(
                f"{where[0].upper()}{where[1:]} gives different values for "
                f"{' and '.join(spellings[key])}; use one spelling."
            )
        values[key] = value
    return values


def _parse_attribute(item: object, index: int) -> Attribute:
    where = f"attribute #{index + 1} of the data schema"
    if not isinstance(item, dict):
        raise InvalidInputException(f"{where[0].upper()}{where[1:]} must be a JSON object.")
    values = _pick_keys(item, _ATTRIBUTE_KEYS, where=where)
    name = values.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidInputException(f"{where[0].upper()}{where[1:]} needs a non-empty string attributeName.")
    raw_type = values.get("type")
    if not isinstance(raw_type, str):
        raise InvalidInputException(f"Attribute {name!r} needs an attributeType string.")
    type_name = raw_type.strip().upper()
    if type_name in _SEQUENCE_TYPES:
        raise InvalidInputException(
            f"Attribute {name!r} has type {raw_type}, which OpenAML does not support; "
            "use TEXT for token sequences."
        )
    try:
        attribute_type = AttributeType(type_name)
    except ValueError:
        allowed = ", ".join(t.value for t in AttributeType)
        raise InvalidInputException(
            f"Attribute {name!r} has unknown type {raw_type!r}; the types are {allowed}."
        ) from None
    return Attribute(name, attribute_type)


def _optional_name(values: dict[str, Any], key: str) -> str | None:
    value = values.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInputException(f"{_TOP_LEVEL_KEYS[key][0]} must be an attribute name string.")
    return value


def _parse_excluded(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise InvalidInputException("excludedAttributeNames must be a list of attribute name strings.")
    return tuple(value)


def _parse_header_flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidInputException("dataFileContainsHeader must be true or false.")


def _parse_data_format(value: object) -> str:
    if isinstance(value, str) and value.strip().upper() in _DATA_FORMATS:
        return value.strip().upper()
    raise InvalidInputException(f"dataFormat must be one of {', '.join(_DATA_FORMATS)}; got {value!r}.")


def _parse_version(value: object) -> str:
    if value in ("1.0", 1.0):
        return "1.0"
    raise InvalidInputException(f'The data schema version must be "1.0"; got {value!r}.')


def _list_names(names: list[str], limit: int = 10) -> str:
    shown = ", ".join(repr(name) for name in names[:limit])
    return shown + (f", … {len(names) - limit} more" if len(names) > limit else "")
