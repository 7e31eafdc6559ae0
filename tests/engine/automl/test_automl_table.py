"""The memory-lean training path: a compact Arrow table, chunked float32 matrices, the refit plan."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import scipy.sparse as sp
from tests.engine.automl.conftest import synthetic_data

from openaml.engine.automl import AutoMLParameters, train_automl
from openaml.engine.automl import table as table_module
from openaml.engine.automl.families import FAMILIES
from openaml.engine.automl.features import Encoding, FeatureEncoder
from openaml.engine.automl.table import TrainingTable, encode_table
from openaml.engine.data.ingest import compact_table, table_frame
from openaml.engine.data.schema import AttributeType
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
