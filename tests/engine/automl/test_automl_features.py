"""Feature encoders: every attribute type becomes features, robust to what prediction frames lack."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from openaml.engine.automl.features import Encoding, FeatureEncoder
from openaml.engine.data.schema import Attribute, AttributeType

from .conftest import TypedData


def _dense(matrix: np.ndarray | sp.csr_matrix) -> np.ndarray:
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)


def test_text_becomes_many_tfidf_features_in_both_encodings(synthetic: Callable[..., TypedData]) -> None:
    frame, schema = synthetic()
    for encoding in Encoding:
        matrix = FeatureEncoder(schema.input_attributes, encoding).fit(frame).transform(frame)
        assert sp.issparse(matrix)
        assert matrix.shape[0] == len(frame) and matrix.shape[1] > 10


def test_scaled_encoding_is_dense_without_text_and_has_no_missing_values(
    synthetic: Callable[..., TypedData],
) -> None:
    frame, schema = synthetic()
    inputs = tuple(a for a in schema.input_attributes if a.type is not AttributeType.TEXT)
    matrix = FeatureEncoder(inputs, Encoding.SCALED).fit(frame).transform(frame)
    assert isinstance(matrix, np.ndarray)
    assert not np.isnan(matrix).any()
    # x (scaled), noise, flag, x's missing indicator, then colour one-hot (kept values, other, missing)
    assert matrix.shape[1] == 3 + 1 + 3 + 2


def test_tree_encoding_keeps_missing_numbers_and_codes_categories(
    synthetic: Callable[..., TypedData],
) -> None:
    frame, schema = synthetic()
    inputs = tuple(a for a in schema.input_attributes if a.type is not AttributeType.TEXT)
    encoder = FeatureEncoder(inputs, Encoding.TREE).fit(frame)
    matrix = _dense(encoder.transform(frame))
    assert np.isnan(matrix[:, 0]).sum() == frame["x"].isna().sum()
    (colour,) = encoder.categorical_indices
    codes = matrix[:, colour]
    assert np.isnan(codes).sum() == frame["colour"].isna().sum()
    assert set(np.unique(codes[~np.isnan(codes)])) == {
        0.0,
        1.0,
        2.0,
        3.0,
    }  # 3 kept values + "other" for violet


def test_missing_columns_unseen_categories_and_extra_columns_are_tolerated(
    synthetic: Callable[..., TypedData],
) -> None:
    frame, schema = synthetic()
    for encoding in Encoding:
        encoder = FeatureEncoder(schema.input_attributes, encoding).fit(frame)
        width = encoder.transform(frame).shape[1]
        odd = pd.DataFrame({"colour": ["never seen", None], "unrelated": [1, 2]})
        matrix = _dense(encoder.transform(odd))
        assert matrix.shape == (2, width)
        if encoding is Encoding.SCALED:
            assert not np.isnan(matrix).any()


def test_blank_text_and_high_cardinality_categories_are_handled() -> None:
    attributes = (Attribute("id", AttributeType.CATEGORICAL), Attribute("empty", AttributeType.TEXT))
    frame = pd.DataFrame(
        {"id": pd.Series([f"user{i % 90}" for i in range(300)], dtype=object), "empty": [None] * 300}
    )
    tree = FeatureEncoder(attributes, Encoding.TREE).fit(frame).transform(frame)
    # codes; frequency and sort position of the 90 distinct values; the text's length and word count
    assert tree.shape == (300, 5)
    scaled = FeatureEncoder(attributes, Encoding.SCALED).fit(frame).transform(frame)
    assert scaled.shape == (300, 90 + 2)


def test_iso_dates_become_date_parts_and_keep_their_order() -> None:
    attributes = (Attribute("day", AttributeType.CATEGORICAL),)
    days = pd.Series(["2011-01-01", "2011-06-15", "2012-12-31 18:30:00", None], dtype=object)
    encoder = FeatureEncoder(attributes, Encoding.TREE).fit(pd.DataFrame({"day": days}))
    assert encoder.categorical_indices == []
    parts = _dense(encoder.transform(pd.DataFrame({"day": days})))
    # year, month, day, weekday, day of year, hour, days since 1970
    np.testing.assert_allclose(parts[0], [2011, 1, 1, 5, 1, 0, 14975])
    np.testing.assert_allclose(parts[2, [0, 1, 5]], [2012, 12, 18.5])
    assert np.isnan(parts[3]).all()
    later = _dense(encoder.transform(pd.DataFrame({"day": ["2013-02-01"]})))
    assert later[0, 6] > parts[2, 6]


def test_the_sort_position_places_unseen_values_between_known_ones() -> None:
    attributes = (Attribute("grade", AttributeType.CATEGORICAL),)
    grades = pd.Series([f"G{index:03d}" for index in range(100)] * 2, dtype=object)
    encoder = FeatureEncoder(attributes, Encoding.TREE).fit(pd.DataFrame({"grade": grades}))
    positions = _dense(encoder.transform(pd.DataFrame({"grade": ["G000", "G050x", "G099", "Z"]})))[:, -1]
    assert positions.tolist() == sorted(positions.tolist())
    assert positions[0] == 0.0 and positions[-1] == 1.0
