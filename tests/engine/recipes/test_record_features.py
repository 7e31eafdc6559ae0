"""Features of single typed records are exactly the rows ``RecipeFeaturizer.transform`` gives."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse

from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.recipes import RecipeFeaturizer, parse_recipe, suggest_recipe
from openaml.engine.recipes.record_features import MIN_BLOCK_VARIABLES, RecordFeaturizer

T = AttributeType
NAN = np.nan

SCHEMA = DataSchema(
    attributes=(
        Attribute("size", T.NUMERIC),
        Attribute("weight", T.NUMERIC),
        Attribute("flag", T.BINARY),
        Attribute("color", T.CATEGORICAL),
        Attribute("shape", T.CATEGORICAL),
        Attribute("note", T.TEXT),
        Attribute("label", T.BINARY),
    ),
    target_attribute_name="label",
)
TRAIN = pd.DataFrame(
    {
        "size": [1.0, 2.0, NAN, 4.0, 5.0, 0.0, 7.0, 8.0],
        "weight": [0.5, 0.0, 1.5, 2.5, 0.5, 3.0, 1.0, 2.0],
        "flag": [1.0, 0.0, NAN, 1.0, 0.0, 1.0, 1.0, 0.0],
        "color": pd.Series(["red", "blue", None, "red", "green", "blue", "red", ""], dtype=object),
        "shape": pd.Series(
            ["round", "square", "round", None, "round", "square", "oval", "oval"], dtype=object
        ),
        "note": pd.Series(
            [
                "Great value!",
                "awful, broken",
                None,
                "great great deal",
                "OK",
                "",
                "not good",
                "fine (mostly)",
            ],
            dtype=object,
        ),
    }
)
# Unseen categories and tokens, values beyond every bin edge, missing values of every kind.
LATER = pd.DataFrame(
    {
        "size": [NAN, 100.0, -3.0, 2.5, 0.0],
        "weight": [NAN, 0.0, 9.0, 1.0, 2.0],
        "flag": [NAN, 1.0, 0.0, 1.0, 0.0],
        "color": pd.Series([None, "purple", "red", "blue", "green"], dtype=object),
        "shape": pd.Series(["round", None, "hexagon", "oval", "square"], dtype=object),
        "note": pd.Series(
            [None, "brand new words", "Great value!", "great deal, not good", "ok"], dtype=object
        ),
    }
)

RECIPES = {
    "raw attributes": {"outputs": ["size", "flag", "color", "note"]},
    "text transformations": {
        "outputs": [
            "lowercase(note)",
            "no_punct(note)",
            "ngram(lowercase(no_punct(note)), 3)",
            "osb(note, 4)",
        ]
    },
    "bins and normalization": {
        "outputs": [
            "quantile_bin(size, 4)",
            "quantile_bin(normalize(weight), 3)",
            "normalize(size)",
            "weight",
        ]
    },
    "crosses": {
        "outputs": [
            "cartesian(color, shape)",
            "cartesian(flag, color)",
            "cartesian(quantile_bin(size, 2), shape)",
            "cartesian(color, lowercase(note))",
        ]
    },
    "groups and assignments": {
        "groups": {"NUMBERS": "group(size, weight)"},
        "assignments": {"clean": "lowercase(no_punct(note))"},
        "outputs": ["ALL_CATEGORICAL", "ALL_BINARY", "quantile_bin(NUMBERS, 3)", "ngram(clean, 2)"],
    },
}


def typed_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """The frame's rows as typed records (missing values stay NaN or None)."""
    return [dict(row) for row in frame.to_dict("records")]


def record_matrix(featurizer: RecipeFeaturizer, records: list[dict[str, object]]) -> np.ndarray:
    """The records' features from :class:`RecordFeaturizer`, as a dense matrix."""
    compiled = RecordFeaturizer(featurizer)
    rows = []
    for record in records:
        indexes, values = compiled.features(record)
        assert len(set(indexes.tolist())) == len(indexes), "a column appears twice"
        row = scipy.sparse.csr_matrix(
            (values, (np.zeros(len(indexes), dtype=np.intp), indexes)),
            shape=(1, len(featurizer.feature_names_)),
        )
        rows.append(row.toarray()[0])
    return np.array(rows)


@pytest.mark.parametrize("recipe", RECIPES.values(), ids=list(RECIPES))
def test_record_features_equal_the_rows_of_transform(recipe: dict[str, object]) -> None:
    featurizer = RecipeFeaturizer(parse_recipe(json.dumps(recipe), SCHEMA)).fit(TRAIN)

    for frame in (TRAIN, LATER):
        expected = featurizer.transform(frame).toarray()
        np.testing.assert_array_equal(record_matrix(featurizer, typed_records(frame)), expected)


def test_attributes_absent_from_a_record_are_missing_values() -> None:
    featurizer = RecipeFeaturizer(parse_recipe(json.dumps(RECIPES["groups and assignments"]), SCHEMA))
    featurizer.fit(TRAIN)
    empty = pd.DataFrame({name: LATER[name].iloc[:1] * np.nan for name in ("size", "weight", "flag")})

    np.testing.assert_array_equal(record_matrix(featurizer, [{}]), featurizer.transform(empty).toarray())


def wide_data(rows: int = 60, columns: int = MIN_BLOCK_VARIABLES + 4) -> tuple[pd.DataFrame, DataSchema]:
    """Many numeric attributes with missing values and repeated values (so bins collapse)."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=(rows, columns)).round(1)
    values[rng.random((rows, columns)) < 0.1] = NAN
    values[:, 0] = 0.0  # a constant column: one bin, a zero value
    names = [f"x{index}" for index in range(columns)]
    schema = DataSchema(attributes=tuple(Attribute(name, T.NUMERIC) for name in names))
    return pd.DataFrame(values, columns=names), schema


@pytest.mark.parametrize(
    "outputs",
    [["quantile_bin(ALL_NUMERIC, 10)"], ["ALL_NUMERIC"], ["ALL_NUMERIC", "quantile_bin(ALL_NUMERIC, 4)"]],
)
def test_wide_recipes_computed_together_equal_transform(outputs: list[str]) -> None:
    frame, schema = wide_data()
    train, later = frame.iloc[:40], frame.iloc[40:]
    featurizer = RecipeFeaturizer(parse_recipe(json.dumps({"outputs": outputs}), schema)).fit(train)

    np.testing.assert_array_equal(
        record_matrix(featurizer, typed_records(later)), featurizer.transform(later).toarray()
    )


def test_the_suggested_recipe_of_a_real_dataset(datasets_dir: Path) -> None:
    raw = pd.read_csv(datasets_dir / "har_train_sample.csv").drop(columns=["activity"]).iloc[:, :40]
    schema = DataSchema(attributes=tuple(Attribute(name, T.NUMERIC) for name in raw.columns))
    frame = raw.astype(np.float64)
    fitted = min(1000, len(frame) * 2 // 3)
    featurizer = RecipeFeaturizer(parse_recipe(suggest_recipe(schema, None), schema)).fit(frame.iloc[:fitted])
    later = frame.iloc[fitted : fitted + 100]

    np.testing.assert_array_equal(
        record_matrix(featurizer, typed_records(later)), featurizer.transform(later).toarray()
    )


def test_a_pickled_featurizer_compiles_again() -> None:
    featurizer = RecipeFeaturizer(parse_recipe(json.dumps(RECIPES["crosses"]), SCHEMA)).fit(TRAIN)
    copy = pickle.loads(pickle.dumps(featurizer))

    np.testing.assert_array_equal(
        record_matrix(copy, typed_records(LATER)), featurizer.transform(LATER).toarray()
    )
