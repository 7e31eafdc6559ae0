"""The suggested recipe: Amazon ML's shape, bin counts chosen from statistics, usable without them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.recipes import parse_recipe, suggest_recipe
from openaml.engine.recipes.suggest import quantile_bin_count

T = AttributeType

IRIS = DataSchema(
    attributes=(
        *(
            Attribute(name, T.NUMERIC)
            for name in ("sepal_length", "sepal_width", "petal_length", "petal_width")
        ),
        Attribute("species", T.CATEGORICAL),
    ),
    target_attribute_name="species",
)


def numeric_statistics(name: str, count: int, missing: int, distinct: int) -> dict[str, Any]:
    return {
        "name": name,
        "type": "NUMERIC",
        "role": "input",
        "count": count,
        "missing": missing,
        "distinct": distinct,
    }


def test_numeric_attributes_are_grouped_by_bin_count_most_bins_first() -> None:
    statistics = {
        "attributes": [
            numeric_statistics("sepal_length", 150, 0, 35),
            numeric_statistics("sepal_width", 900, 0, 400),
            numeric_statistics("petal_length", 150, 0, 43),
            numeric_statistics("petal_width", 300, 0, 22),
        ]
    }

    recipe = json.loads(suggest_recipe(IRIS, statistics))

    assert recipe == {
        "groups": {
            "NUMERIC_VARS_QB_50": "group('sepal_width')",
            "NUMERIC_VARS_QB_20": "group('petal_width')",
            "NUMERIC_VARS_QB_10": "group('sepal_length','petal_length')",
        },
        "assignments": {},
        "outputs": [
            "ALL_CATEGORICAL",
            "quantile_bin(NUMERIC_VARS_QB_50,50)",
            "quantile_bin(NUMERIC_VARS_QB_20,20)",
            "quantile_bin(NUMERIC_VARS_QB_10,10)",
        ],
    }


@pytest.mark.parametrize(
    ("count", "missing", "distinct", "bins"),
    [
        (891, 177, 88, 50),  # titanic ages: 714 values allow 50 bins of 10+
        (891, 0, 248, 50),
        (891, 0, 3, 5),  # a class number with 3 values
        (891, 0, 7, 10),  # enough bins to give each of 7 values its own
        (100_000, 0, 90_000, 500),
        (30, 0, 30, 5),  # tiny data still gets the smallest count
    ],
)
def test_bin_count_rule(count: int, missing: int, distinct: int, bins: int) -> None:
    assert quantile_bin_count(numeric_statistics("x", count, missing, distinct)) == bins


def test_bin_count_without_usable_statistics_is_the_default() -> None:
    assert quantile_bin_count(None) == 10
    assert quantile_bin_count({"name": "x"}) == 10
    assert quantile_bin_count({"name": "x", "count": 10_000}) == 500


def test_without_statistics_every_numeric_attribute_gets_ten_bins() -> None:
    recipe = json.loads(suggest_recipe(IRIS, None))

    assert recipe["groups"] == {
        "NUMERIC_VARS_QB_10": "group('sepal_length','sepal_width','petal_length','petal_width')"
    }
    assert recipe["outputs"] == ["ALL_CATEGORICAL", "quantile_bin(NUMERIC_VARS_QB_10,10)"]


def test_all_categorical_data_gives_the_services_minimal_recipe() -> None:
    schema = DataSchema(attributes=(Attribute("a", T.CATEGORICAL), Attribute("b", T.CATEGORICAL)))

    assert json.loads(suggest_recipe(schema, None)) == {
        "groups": {},
        "assignments": {},
        "outputs": ["ALL_CATEGORICAL"],
    }


def test_binary_and_text_inputs_are_passed_through_and_tokenized() -> None:
    schema = DataSchema(
        attributes=(
            Attribute("review", T.TEXT),
            Attribute("verified", T.BINARY),
            Attribute("id", T.NUMERIC),
            Attribute("stars", T.NUMERIC),
        ),
        target_attribute_name="stars",
        row_id="id",
    )

    recipe = json.loads(suggest_recipe(schema, None))

    assert recipe == {
        "groups": {},
        "assignments": {},
        "outputs": ["ALL_CATEGORICAL", "ALL_BINARY", "ngram(lowercase(no_punct(ALL_TEXT)),2)"],
    }


def test_suggested_recipes_parse_and_quote_unusual_names() -> None:
    schema = DataSchema(
        attributes=(
            Attribute("fixed acidity", T.NUMERIC),
            Attribute("it's", T.NUMERIC),
            Attribute("(odd)", T.NUMERIC),
            Attribute("quality", T.NUMERIC),
        ),
        target_attribute_name="quality",
    )

    text = suggest_recipe(schema, None)

    assert json.loads(text)["groups"] == {"NUMERIC_VARS_QB_10": "group('fixed acidity','it\\'s','(odd)')"}
    assert [v.label for v in parse_recipe(text, schema).outputs] == [
        "quantile_bin(fixed acidity,10)",
        "quantile_bin('it\\'s',10)",
        "quantile_bin('(odd)',10)",
    ]
