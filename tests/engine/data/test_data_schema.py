"""The data schema: both JSON spellings in, the Developer-Guide spelling out, pointed errors."""

from __future__ import annotations

import dataclasses
import json

import pytest

from openaml.engine.data.schema import (
    Attribute,
    AttributeRole,
    AttributeType,
    DataSchema,
    parse_data_schema,
)
from openaml.errors import InvalidInputException

DEVELOPER_GUIDE_ATTRIBUTES = [
    {"attributeName": "orderId", "attributeType": "CATEGORICAL"},
    {"attributeName": "country", "attributeType": "CATEGORICAL"},
    {"attributeName": "description", "attributeType": "TEXT"},
    {"attributeName": "amount", "attributeType": "NUMERIC"},
    {"attributeName": "isFraud", "attributeType": "BINARY"},
]
DEVELOPER_GUIDE: dict[str, object] = {
    "version": "1.0",
    "rowId": "orderId",
    "rowWeight": None,
    "targetAttributeName": "isFraud",
    "dataFormat": "CSV",
    "dataFileContainsHeader": True,
    "attributes": DEVELOPER_GUIDE_ATTRIBUTES,
    "excludedAttributeNames": ["country"],
}

ALTERNATIVE = {
    "version": "1.0",
    "recordAnnotationFieldName": "orderId",
    "recordWeightFieldName": None,
    "targetFieldName": "isFraud",
    "dataFormat": "CSV",
    "dataFileContainsHeader": "true",
    "variables": [
        {"fieldName": "orderId", "fieldType": "CATEGORICAL"},
        {"fieldName": "country", "fieldType": "categorical"},
        {"fieldName": "description", "fieldType": "TEXT"},
        {"fieldName": "amount", "fieldType": "NUMERIC"},
        {"fieldName": "isFraud", "fieldType": "BINARY"},
    ],
    "excludedVariableNames": ["country"],
}


def test_developer_guide_spelling_is_parsed() -> None:
    schema = parse_data_schema(json.dumps(DEVELOPER_GUIDE))

    assert schema.names == ["orderId", "country", "description", "amount", "isFraud"]
    assert schema.attribute("amount") == Attribute("amount", AttributeType.NUMERIC)
    assert schema.target_attribute_name == "isFraud"
    assert schema.row_id == "orderId"
    assert schema.excluded_attribute_names == ("country",)
    assert schema.data_file_contains_header is True


def test_alternative_spelling_gives_the_same_schema() -> None:
    assert parse_data_schema(json.dumps(ALTERNATIVE)) == parse_data_schema(json.dumps(DEVELOPER_GUIDE))


def test_to_json_writes_the_developer_guide_spelling_and_round_trips() -> None:
    schema = parse_data_schema(json.dumps(ALTERNATIVE))

    document = json.loads(schema.to_json())

    assert document == DEVELOPER_GUIDE
    assert parse_data_schema(schema.to_json()) == schema


def test_roles_and_input_attributes() -> None:
    schema = parse_data_schema(json.dumps(DEVELOPER_GUIDE))

    assert schema.role("isFraud") is AttributeRole.TARGET
    assert schema.role("orderId") is AttributeRole.ROW_ID
    assert schema.role("country") is AttributeRole.EXCLUDED
    assert [a.name for a in schema.input_attributes] == ["description", "amount"]


def test_minimal_schema_takes_defaults() -> None:
    schema = parse_data_schema('{"attributes": [{"attributeName": "x", "attributeType": "NUMERIC"}]}')

    assert schema.target_attribute_name is None
    assert schema.version == "1.0"
    assert schema.data_format == "CSV"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"attributes": []}, "non-empty"),
        ({"targetAttributeName": "nope"}, "targetAttributeName 'nope' is not one of the schema's attributes"),
        ({"rowId": "nope"}, "rowId 'nope'"),
        ({"excludedAttributeNames": ["ghost"]}, "Excluded attribute 'ghost'"),
        ({"excludedAttributeNames": ["isFraud"]}, "cannot also be excluded"),
        ({"rowId": "isFraud"}, "both the rowId and the target"),
        ({"targetAttributName": "isFraud"}, "Unknown key 'targetAttributName'"),
        ({"dataFileContainsHeader": "maybe"}, "dataFileContainsHeader"),
        ({"version": "2.0"}, "version"),
        ({"dataFormat": "JSON"}, "dataFormat"),
        ({"targetFieldName": "amount"}, "different values for targetAttributeName and targetFieldName"),
    ],
)
def test_invalid_schemas_are_rejected_with_a_pointed_message(change: dict[str, object], message: str) -> None:
    document = {**DEVELOPER_GUIDE, **change}

    with pytest.raises(InvalidInputException, match=message):
        parse_data_schema(json.dumps(document))


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        ({"attributeName": "seq", "attributeType": "WEIGHTED_INT_SEQUENCE"}, "WEIGHTED_INT_SEQUENCE"),
        ({"fieldName": "seq", "fieldType": "WEIGHTED_STRING_SEQUENCE"}, "not support"),
        ({"attributeName": "x", "attributeType": "DATE"}, "unknown type 'DATE'"),
        ({"attributeName": "amount", "attributeType": "NUMERIC"}, "more than once"),
        ({"attributeName": "", "attributeType": "NUMERIC"}, "non-empty string attributeName"),
        ({"attributeName": "x"}, "needs an attributeType"),
        ({"attributeName": "x", "attributeType": "NUMERIC", "extra": 1}, "Unknown key 'extra'"),
    ],
)
def test_invalid_attributes_are_rejected(attribute: dict[str, object], message: str) -> None:
    document = {**DEVELOPER_GUIDE, "attributes": [*DEVELOPER_GUIDE_ATTRIBUTES, attribute]}

    with pytest.raises(InvalidInputException, match=message):
        parse_data_schema(json.dumps(document))


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", b"\xff\xfe"])
def test_bad_json_is_rejected(text: str | bytes) -> None:
    with pytest.raises(InvalidInputException, match="JSON"):
        parse_data_schema(text)


def test_constructing_an_inconsistent_schema_fails_too() -> None:
    schema = parse_data_schema(json.dumps(DEVELOPER_GUIDE))

    with pytest.raises(InvalidInputException, match="not one of the schema's attributes"):
        dataclasses.replace(schema, target_attribute_name="ghost")
    with pytest.raises(InvalidInputException, match="more than once"):
        DataSchema(attributes=(Attribute("a", AttributeType.TEXT), Attribute("a", AttributeType.TEXT)))


def test_unknown_attribute_lookup_is_a_key_error() -> None:
    schema = parse_data_schema(json.dumps(DEVELOPER_GUIDE))

    assert not schema.has_attribute("ghost")
    with pytest.raises(KeyError, match="ghost"):
        schema.attribute("ghost")
