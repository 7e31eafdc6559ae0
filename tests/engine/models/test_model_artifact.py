"""Model artifacts: atomic, self-describing, verified on load, identical predictions after a round trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from openaml.engine.automl import AutoMLParameters, train_automl
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.models import (
    ArtifactError,
    ModelType,
    TrainedModel,
    load_model,
    read_manifest,
    save_model,
)


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    """A small trained multiclass model (linear and LightGBM over numbers and a category)."""
    rng = np.random.default_rng(0)
    size = rng.normal(size=300)
    shade = rng.choice(["dark", "light"], size=300)
    label = np.where(size > 0.5, "big", np.where(shade == "dark", "dark-small", "light-small"))
    frame = pd.DataFrame({"size": size, "shade": pd.Series(shade, dtype=object), "label": label})
    schema = DataSchema(
        attributes=(
            Attribute("size", AttributeType.NUMERIC),
            Attribute("shade", AttributeType.CATEGORICAL),
            Attribute("label", AttributeType.CATEGORICAL),
        ),
        target_attribute_name="label",
    )
    params = AutoMLParameters(time_budget_seconds=30, max_trials=3, algorithms=("linear", "lightgbm"))
    return train_automl(frame, schema, ModelType.MULTICLASS, params).model


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"size": [-1.0, 0.2, 2.0, np.nan], "shade": pd.Series(["dark", "light", None, "x"], dtype=object)}
    )


def test_round_trip_gives_identical_predictions_and_metadata(model: TrainedModel, tmp_path: Path) -> None:
    metadata = {"metrics": {"macro_f1": np.float64(0.97)}, "leaderboard": [{"rank": 1, "family": "linear"}]}
    directory = tmp_path / "models" / "ml-1"
    written = save_model(model, directory, metadata)
    loaded, loaded_metadata = load_model(directory)
    np.testing.assert_array_equal(loaded.predict_scores(_frame()), model.predict_scores(_frame()))
    assert (loaded.model_type, loaded.classes, loaded.algorithm) == (
        model.model_type,
        model.classes,
        model.algorithm,
    )
    assert loaded_metadata == {
        "metrics": {"macro_f1": 0.97},
        "leaderboard": [{"rank": 1, "family": "linear"}],
    }
    assert written == sum(path.stat().st_size for path in directory.iterdir())


def test_the_manifest_describes_the_model(model: TrainedModel, tmp_path: Path) -> None:
    save_model(model, tmp_path / "m", {"schema": {"version": "1.0"}})
    manifest = read_manifest(tmp_path / "m")
    assert manifest["modelType"] == "MULTICLASS"
    assert manifest["classes"] == ["big", "dark-small", "light-small"]
    assert {"numpy", "scikit-learn", "lightgbm"} <= set(manifest["libraryVersions"])
    assert set(manifest["files"]["model.joblib"]) == {"bytes", "sha256"}
    assert manifest["metadata"] == {"schema": {"version": "1.0"}}


def test_saving_again_replaces_the_artifact_and_leaves_no_temporary_files(
    model: TrainedModel, tmp_path: Path
) -> None:
    save_model(model, tmp_path / "m", {"attempt": 1})
    save_model(model, tmp_path / "m", {"attempt": 2})
    assert [path.name for path in tmp_path.iterdir()] == ["m"]
    assert load_model(tmp_path / "m")[1] == {"attempt": 2}


def test_a_failed_save_leaves_nothing_behind(model: TrainedModel, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        save_model(model, tmp_path / "m", {"bad": object()})
    assert list(tmp_path.iterdir()) == []


def test_an_altered_or_missing_artifact_is_refused(model: TrainedModel, tmp_path: Path) -> None:
    directory = tmp_path / "m"
    save_model(model, directory, {})
    with (directory / "model.joblib").open("ab") as stream:
        stream.write(b"tampered")
    with pytest.raises(ArtifactError, match="does not match its manifest"):
        load_model(directory)
    with pytest.raises(ArtifactError, match=r"manifest\.json is missing"):
        load_model(tmp_path / "absent")
    (directory / "manifest.json").write_text(json.dumps({"formatVersion": 99}))
    with pytest.raises(ArtifactError, match="unknown format version"):
        load_model(directory)
