"""The featurizer turns typed frames into exactly the columns each recipe transformation describes."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.recipes import RecipeFeaturizer, parse_recipe

T = AttributeType
NAN = np.nan

SCHEMA = DataSchema(
    attributes=(
        Attribute("size", T.NUMERIC),
        Attribute("flag", T.BINARY),
        Attribute("color", T.CATEGORICAL),
        Attribute("note", T.TEXT),
        Attribute("label", T.BINARY),
    ),
    target_attribute_name="label",
)


def typed_frame(**columns: list[object]) -> pd.DataFrame:
    """A typed frame (CONTRACTS §2): floats with NaN for NUMERIC/BINARY, strings or None otherwise."""
    return pd.DataFrame(
        {
            name: np.asarray(values, dtype=np.float64)
            if SCHEMA.attribute(name).type in (T.NUMERIC, T.BINARY)
            else pd.Series(values, dtype=object)
            for name, values in columns.items()
        }
    )


def featurize(
    *outputs: str, train: pd.DataFrame, apply_to: pd.DataFrame | None = None, **sections: dict[str, str]
) -> pd.DataFrame:
    """Fit on ``train``, transform ``apply_to`` (default: ``train``), return a dense frame by feature name."""
    featurizer = RecipeFeaturizer(parse_recipe(json.dumps({**sections, "outputs": list(outputs)}), SCHEMA))
    featurizer.fit(train)
    matrix = featurizer.transform(train if apply_to is None else apply_to)
    return pd.DataFrame(matrix.toarray(), columns=featurizer.feature_names_)


def test_raw_attributes_of_every_type() -> None:
    frame = typed_frame(size=[2.0, 0.0], flag=[1.0, 0.0], color=["red", "blue"], note=["Hi there", "hi"])

    features = featurize("size", "flag", "color", "note", train=frame)

    assert features.to_dict("list") == {
        "size": [2.0, 0.0],
        "flag": [1.0, 0.0],
        "color=blue": [0.0, 1.0],
        "color=red": [1.0, 0.0],
        "note=Hi": [1.0, 0.0],
        "note=hi": [0.0, 1.0],
        "note=there": [1.0, 0.0],
    }


def test_missing_numbers_get_the_training_mean_and_a_missing_indicator() -> None:
    frame = typed_frame(size=[1.0, NAN, 5.0], flag=[1.0, 1.0, 0.0])

    features = featurize("size", "flag", train=frame)

    assert features.to_dict("list") == {
        "size": [1.0, 3.0, 5.0],
        "size:missing": [0.0, 1.0, 0.0],
        "flag": [1.0, 1.0, 0.0],
    }


def test_a_number_never_missing_in_training_gets_no_indicator_and_the_mean_when_missing_later() -> None:
    train = typed_frame(size=[1.0, 5.0])

    features = featurize("size", train=train, apply_to=typed_frame(size=[NAN, 2.0]))

    assert features.to_dict("list") == {"size": [3.0, 2.0]}


def test_quantile_bins_have_equal_frequency_and_missing_values_get_their_own_bin() -> None:
    train = typed_frame(size=[*range(1, 11), NAN])

    features = featurize(
        "quantile_bin(size, 5)", train=train, apply_to=typed_frame(size=[-100.0, 4.0, 9.5, 1e9, NAN])
    )

    bins = ["0", "1", "2", "3", "4", "missing"]
    assert list(features.columns) == [f"quantile_bin(size,5)={b}" for b in bins]
    assert features.to_numpy().argmax(axis=1).tolist() == [0, 1, 4, 4, 5]
    assert featurize("quantile_bin(size, 5)", train=train).to_numpy().argmax(axis=1).tolist() == [
        0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5
    ]  # fmt: skip


def test_quantile_bins_of_few_distinct_values_collapse() -> None:
    features = featurize("quantile_bin(size, 50)", train=typed_frame(size=[1.0, 1.0, 1.0, 2.0]))

    assert features.shape[1] == 2


def test_normalize_gives_mean_zero_and_unit_variance_learned_in_training() -> None:
    train = typed_frame(size=[1.0, 2.0, 3.0, 4.0])

    normalized = featurize("normalize(size)", train=train)["normalize(size)"]
    later = featurize("normalize(size)", train=train, apply_to=typed_frame(size=[2.5, 6.0]))

    assert normalized.mean() == pytest.approx(0.0)
    assert normalized.std(ddof=0) == pytest.approx(1.0)
    assert later["normalize(size)"].tolist() == pytest.approx([0.0, 3.5 / np.sqrt(1.25)])


def test_lowercase_and_no_punct_tokens() -> None:
    frame = typed_frame(note=["Seat-belts! ARE great.", None])

    features = featurize("lowercase(no_punct(note))", train=frame)

    assert list(features.columns) == [
        "lowercase(no_punct(note))=are",
        "lowercase(no_punct(note))=great",
        "lowercase(no_punct(note))=seat-belts",
    ]
    assert features.to_numpy().tolist() == [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]


def test_ngram_and_osb_tokens() -> None:
    frame = typed_frame(note=["a b c"])

    assert list(featurize("ngram(note, 3)", train=frame).columns) == [
        f"ngram(note,3)={token}" for token in ["a", "a b", "a b c", "b", "b c", "c"]
    ]
    assert list(featurize("osb(note, 3)", train=frame).columns) == [
        f"osb(note,3)={token}" for token in ["a__c", "a_b", "b_c"]
    ]


def test_repeated_tokens_count_once() -> None:
    features = featurize("note", train=typed_frame(note=["no no no"]))

    assert features.to_dict("list") == {"note=no": [1.0]}


def test_cartesian_of_categories_binaries_and_texts() -> None:
    frame = typed_frame(color=["red", "blue", None], flag=[1.0, 0.0, 1.0], note=["x y", "z", "x"])

    crossed = featurize("cartesian(color, flag)", train=frame)
    with_text = featurize("cartesian(color, note)", train=frame)

    assert crossed.to_dict("list") == {
        "cartesian(color,flag)=blue_0": [0.0, 1.0, 0.0],
        "cartesian(color,flag)=red_1": [1.0, 0.0, 0.0],
    }
    assert with_text.to_dict("list") == {
        "cartesian(color,note)=blue_z": [0.0, 1.0, 0.0],
        "cartesian(color,note)=red_x": [1.0, 0.0, 0.0],
        "cartesian(color,note)=red_y": [1.0, 0.0, 0.0],
    }


def test_cartesian_of_bins_uses_the_assignment_name_for_the_assigned_variable() -> None:
    frame = typed_frame(size=[1.0, 2.0, 3.0, 4.0], color=["a", "a", "b", "b"])

    features = featurize(
        "size_bins",
        "cartesian(size_bins, color)",
        train=frame,
        assignments={"size_bins": "quantile_bin(size, 2)"},
    )

    assert list(features.columns) == [
        "size_bins=0",
        "size_bins=1",
        "cartesian(quantile_bin(size,2),color)=0_a",
        "cartesian(quantile_bin(size,2),color)=1_b",
    ]


def test_unseen_values_and_missing_columns_activate_nothing() -> None:
    train = typed_frame(size=[1.0, NAN], color=["red", "blue"], note=["hello", "world"])
    later = typed_frame(color=["green", None])

    features = featurize("size", "color", "note", train=train, apply_to=later)

    assert features.to_dict("list") == {
        "size": [1.0, 1.0],
        "size:missing": [1.0, 1.0],
        "color=blue": [0.0, 0.0],
        "color=red": [0.0, 0.0],
        "note=hello": [0.0, 0.0],
        "note=world": [0.0, 0.0],
    }


def test_fit_transform_equals_fit_then_transform_and_fitting_twice_gives_the_same_features() -> None:
    frame = typed_frame(
        size=[3.0, 1.0, NAN, 2.0], color=["b", "a", "c", None], note=["x y", "y z", None, "z"]
    )
    recipe = parse_recipe(
        '{"outputs": ["quantile_bin(size, 3)", "normalize(size)", "color", "osb(note, 2)"]}', SCHEMA
    )

    first = RecipeFeaturizer(recipe)
    once = first.fit_transform(frame)
    second = RecipeFeaturizer(recipe).fit(frame)

    assert first.feature_names_ == second.feature_names_
    assert (once != second.transform(frame)).nnz == 0


def test_featurizer_round_trips_through_joblib(tmp_path: Path) -> None:
    frame = typed_frame(size=[3.0, 1.0, NAN], color=["b", "a", None], note=["x y", "y z", None])
    recipe = parse_recipe(
        '{"outputs": ["quantile_bin(size, 2)", "normalize(size)", "ALL_CATEGORICAL", "ngram(note, 2)"]}',
        SCHEMA,
    )
    featurizer = RecipeFeaturizer(recipe).fit(frame)

    joblib.dump(featurizer, tmp_path / "featurizer.joblib")
    restored = joblib.load(tmp_path / "featurizer.joblib")

    assert restored.feature_names_ == featurizer.feature_names_
    assert (restored.transform(frame) != featurizer.transform(frame)).nnz == 0


def test_numbers_given_as_text_are_converted_and_unparsable_ones_count_as_missing() -> None:
    train = typed_frame(size=[1.0, 3.0, NAN])
    later = pd.DataFrame({"size": pd.Series(["2.5", "many", None], dtype=object)})

    features = featurize("size", train=train, apply_to=later)

    assert features.to_dict("list") == {"size": [2.5, 2.0, 2.0], "size:missing": [0.0, 1.0, 1.0]}
