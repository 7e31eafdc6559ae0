"""The memory-lean training path: a compact Arrow table, chunked float32 matrices, the refit plan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import scipy.sparse as sp
from tests.engine.automl.conftest import synthetic_data

from openaml.engine.automl import AutoMLParameters, train_automl
from openaml.engine.automl import table as table_module
from openaml.engine.automl.families import FAMILIES
from openaml.engine.automl.features import Encoding, FeatureEncoder
from openaml.engine.automl.table import TrainingTable, encode_table
from openaml.engine.data.ingest import compact_table, compact_tables, table_frame
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.models import ModelType


def _table(rows: int, seed: int = 0, target_type: AttributeType = AttributeType.BINARY) -> tuple:
    frame, schema = synthetic_data(rows, seed, target_type)
    return frame, schema, compact_table(pa.Table.from_pandas(frame, preserve_index=False), schema)


def test_a_training_table_is_taken_once() -> None:
    _, _, table = _table(20)
    training = TrainingTable(table)

    assert training.take() is table and training.num_rows == 20
    with pytest.raises(RuntimeError):
        training.take()


@pytest.mark.parametrize("text_vocabulary", [True, False])
def test_the_chunked_matrices_equal_the_frames_matrices(
    monkeypatch: pytest.MonkeyPatch, text_vocabulary: bool
) -> None:
    frame, schema, table = _table(300)
    monkeypatch.setattr(table_module, "ENCODE_CHUNK_ROWS", 64)
    attributes = schema.input_attributes
    encoders = {
        encoding: FeatureEncoder(attributes, encoding, text_vocabulary=text_vocabulary).fit(frame)
        for encoding in Encoding
    }

    matrices = encode_table(table, encoders)

    tree = matrices[Encoding.TREE]
    assert tree.dtype == np.float32 and sp.issparse(tree) == text_vocabulary
    expected = encoders[Encoding.TREE].transform(frame)
    dense = tree.toarray() if sp.issparse(tree) else tree
    expected_dense = expected.toarray() if sp.issparse(expected) else expected
    np.testing.assert_allclose(dense, expected_dense.astype(np.float32), rtol=1e-6)
    scaled = matrices[Encoding.SCALED]
    want = encoders[Encoding.SCALED].transform(frame)
    np.testing.assert_allclose(
        scaled.toarray() if sp.issparse(scaled) else scaled, want.toarray() if sp.issparse(want) else want
    )


def test_below_the_search_row_limit_a_table_trains_as_its_frame_does() -> None:
    frame, schema, table = _table(300)
    params = AutoMLParameters(time_budget_seconds=30, algorithms=("linear", "lightgbm"), max_trials=4)

    from_frame = train_automl(frame, schema, ModelType.BINARY, params)
    from_table = train_automl(TrainingTable(table), schema, ModelType.BINARY, params)

    assert [e["validationScore"] for e in from_table.leaderboard] == [
        e["validationScore"] for e in from_frame.leaderboard
    ]
    np.testing.assert_allclose(
        from_table.model.predict_scores(frame.head(50)), from_frame.model.predict_scores(frame.head(50))
    )


def test_a_large_table_is_searched_on_a_sample_and_refit_on_more_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, schema, table = _table(3_000)
    monkeypatch.setattr(FAMILIES["linear"], "max_refit_rows", 2_000)
    params = AutoMLParameters(
        time_budget_seconds=60, algorithms=("linear", "lightgbm"), max_trials=4, search_row_limit=1_000
    )

    result = train_automl(TrainingTable(table), schema, ModelType.BINARY, params)

    assert result.training_rows == 3_000 and result.search_rows == 1_000
    assert any("linear is refit on the 1,000 search records only" in note for note in result.warnings)
    scores = result.model.predict_scores(table_frame(table.slice(0, 200)))
    assert scores.shape == (200,) and np.all((scores >= 0) & (scores <= 1))
    assert result.validation_score is not None and result.validation_score > 0.8


def _mixed_table(rows: int, seed: int) -> tuple[pa.Table, DataSchema]:
    """A compact table (float32 numbers, several Arrow chunks with their own dictionaries) with every
    kind of value the TREE encoding reads: gaps, infinities, rare, unseen and high-cardinality
    categories, dates (and a few non-dates), texts."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    x[rng.random(rows) < 0.1] = np.nan
    x[5] = np.inf
    colour = rng.choice(["red", "green", "blue", "violet"], size=rows, p=[0.4, 0.3, 0.29, 0.01])
    colour = colour.astype(object)
    colour[rng.random(rows) < 0.05] = None
    colour[-20:] = "never-seen"
    wide = np.array([f"v{value:03d}" for value in rng.integers(0, 300, size=rows)], dtype=object)
    wide[rng.random(rows) < 0.05] = None
    days = rng.integers(0, 4_000, size=rows)
    day = np.array(
        [str(np.datetime64("2010-01-01") + np.timedelta64(int(d), "D")) for d in days], dtype=object
    )
    day[rng.random(rows) < 0.03] = None
    day[7] = "2015-03-04T10:30:00"
    day[9] = "not a date"
    words = np.array(["good", "bad", "late", "early", "fast", "slow", "déjà vu", "  "])
    note = np.array([" ".join(w) for w in rng.choice(words, size=(rows, 3))], dtype=object)
    note[rng.random(rows) < 0.05] = None
    frame = pd.DataFrame(
        {
            "x": x,
            "flag": rng.integers(0, 2, size=rows).astype(np.float64),
            "colour": colour,
            "wide": wide,
            "day": day,
            "note": note,
            "y": rng.integers(0, 2, size=rows).astype(np.float64),
        }
    )
    schema = DataSchema(
        attributes=(
            Attribute("x", AttributeType.NUMERIC),
            Attribute("flag", AttributeType.BINARY),
            Attribute("colour", AttributeType.CATEGORICAL),
            Attribute("wide", AttributeType.CATEGORICAL),
            Attribute("day", AttributeType.CATEGORICAL),
            Attribute("note", AttributeType.TEXT),
            Attribute("absent", AttributeType.NUMERIC),
            Attribute("gone", AttributeType.CATEGORICAL),
            Attribute("y", AttributeType.BINARY),
        ),
        target_attribute_name="y",
    )
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    parts = [compact_table(arrow.slice(start, 400), schema, float32=True) for start in range(0, rows, 400)]
    return compact_tables(parts, schema), schema


@pytest.mark.parametrize("text_vocabulary", [True, False])
def test_the_arrow_encoding_is_exactly_the_frames_encoding(
    monkeypatch: pytest.MonkeyPatch, text_vocabulary: bool
) -> None:
    table, schema = _mixed_table(1_000, seed=1)
    monkeypatch.setattr(table_module, "ENCODE_CHUNK_ROWS", 300)  # chunks across the Arrow chunks
    search = table_frame(table.slice(0, 400).drop_columns(["note"]))  # fitted without some values
    search["note"] = table_frame(table.slice(0, 400).select(["note"]))["note"]
    search["gone"] = pd.Series(["a", "b"] * 200, dtype=object)  # fitted with them, the table lacks them
    search["absent"] = np.arange(400.0)
    encoders = {
        encoding: FeatureEncoder(schema.input_attributes, encoding, text_vocabulary=text_vocabulary).fit(
            search
        )
        for encoding in Encoding
    }
    assert encoders[Encoding.TREE]._dates == ["day"]  # the dates are read as dates

    matrices = encode_table(table, encoders)

    frame = table_frame(table)
    for encoding, encoder in encoders.items():
        expected = encoder.transform(frame)
        got = matrices[encoding]
        assert sp.issparse(got) == sp.issparse(expected)
        if encoding is Encoding.TREE:
            expected = expected.astype(np.float32)
            assert got.dtype == np.float32
        if sp.issparse(expected):  # NaN (missing numbers) in both at the same places too
            got, expected = got.toarray(), expected.toarray()
        np.testing.assert_array_equal(got, expected)
