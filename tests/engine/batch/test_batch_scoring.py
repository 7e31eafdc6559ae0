"""Scoring batch files with tiny trained models: results line up record-for-record with the inputs."""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.engine.batch.support import MemoryOutputs, Trained, result_name, write_batch_csv

from openaml.engine.batch import BatchResult, ScoringStopped, manifest_json, score_files
from openaml.engine.data.errors import DataError
from openaml.engine.data.files import DataFile
from openaml.engine.data.inference import infer_schema
from openaml.engine.data.rearrangement import Rearrangement
from openaml.engine.data.schema import DataSchema
from openaml.engine.models import ModelType


def score(
    trained: Trained,
    files: list[DataFile],
    schema: DataSchema,
    outputs: MemoryOutputs,
    *,
    score_threshold: float = 0.5,
    **options: Any,
) -> BatchResult:
    return score_files(
        files,
        schema,
        trained.model,
        trained.schema,
        model_type=trained.model.model_type,
        classes=trained.model.classes,
        score_threshold=score_threshold,
        open_output=outputs.open,
        output_name_for=result_name,
        **options,
    )


def batch_file(tmp_path: Path, trained: Trained, rows: slice, name: str = "batch.csv") -> DataFile:
    """The dataset's rows ``rows`` without the target, with ids ``r<row index>``, as a CSV file."""
    raw = trained.raw.iloc[rows]
    ids = [f"r{index}" for index in raw.index]
    return write_batch_csv(tmp_path / name, raw, drop=(trained.target,), ids=ids)


def test_binary_results_line_up_with_threshold_and_tags(tmp_path: Path, titanic_binary: Trained) -> None:
    file = batch_file(tmp_path, titanic_binary, slice(0, 120))
    schema = infer_schema([file], row_id="id")
    expected = titanic_binary.model.predict_scores(titanic_binary.frame.iloc[:120])
    threshold = float(np.median(expected))
    outputs = MemoryOutputs()

    result = score(titanic_binary, [file], schema, outputs, score_threshold=threshold)

    output_uri = result_name(file)
    assert outputs.text(output_uri).splitlines()[0] == "tag,bestAnswer,score"
    frame = outputs.frame(output_uri)
    assert list(frame.columns) == ["tag", "bestAnswer", "score"]
    assert frame["tag"].tolist() == [f"r{index}" for index in range(120)]
    np.testing.assert_allclose(frame["score"], expected, rtol=1e-12)
    assert frame["bestAnswer"].tolist() == (expected >= threshold).astype(int).tolist()
    assert 0 < frame["bestAnswer"].sum() < 120
    assert (result.total_records, result.invalid_records, result.first_invalid_records) == (120, 0, [])
    assert result.outputs == {file.uri: output_uri}


def test_multiclass_has_one_probability_column_per_class(
    tmp_path: Path, penguins_multiclass: Trained
) -> None:
    file = batch_file(tmp_path, penguins_multiclass, slice(0, None))
    schema = infer_schema([file])
    outputs = MemoryOutputs()

    score(penguins_multiclass, [file], schema, outputs)

    frame = outputs.frame(result_name(file))
    assert list(frame.columns) == ["Adelie", "Chinstrap", "Gentoo"]
    assert len(frame) == len(penguins_multiclass.raw)
    np.testing.assert_allclose(frame.sum(axis=1), 1.0, rtol=1e-9)
    expected = penguins_multiclass.model.predict_scores(penguins_multiclass.frame)
    np.testing.assert_allclose(frame.to_numpy(), expected, rtol=1e-12)


def test_regression_scores_and_batch_data_with_its_target(
    tmp_path: Path, penguins_regression: Trained
) -> None:
    raw = penguins_regression.raw
    file = write_batch_csv(tmp_path / "with-target.csv", raw)
    schema = infer_schema([file], target_attribute_name="body_mass_g")
    outputs = MemoryOutputs()

    result = score(penguins_regression, [file], schema, outputs)

    frame = outputs.frame(result_name(file))
    assert list(frame.columns) == ["score"]
    expected = penguins_regression.model.predict_scores(penguins_regression.frame)
    np.testing.assert_allclose(frame["score"], expected, rtol=1e-12)
    assert result.invalid_records == 0


def test_invalid_records_get_blank_lines_and_logged_reasons(tmp_path: Path, titanic_binary: Trained) -> None:
    raw = titanic_binary.raw.iloc[:10].copy()
    raw.loc[2, "age"] = "twenty"
    clean = batch_file(tmp_path, titanic_binary, slice(0, 10))
    path = tmp_path / "dirty.csv"
    write_batch_csv(path, raw, drop=("survived",), ids=[f"r{index}" for index in range(10)])
    text_lines = path.read_text().splitlines()
    text_lines[6] = "r5,only,three"  # a malformed record
    path.write_text("\n".join(text_lines) + "\n")
    file = DataFile.from_path(path)
    schema = infer_schema([clean], row_id="id")
    outputs = MemoryOutputs()

    result = score(titanic_binary, [file], schema, outputs)

    text = outputs.text(result_name(file)).split("\n")
    assert len(text) == 12 and text[-1] == ""  # header, ten records, final newline
    assert [index for index, line in enumerate(text[1:-1]) if line == ""] == [2, 5]
    frame = outputs.frame(result_name(file))
    assert len(frame) == 10 and frame.iloc[[2, 5]].isna().all().all()
    assert frame.drop(index=[2, 5])["score"].notna().all()
    assert (result.total_records, result.invalid_records) == (10, 2)
    assert result.files[0].invalid_records == 2
    reasons = [(report.row_number, report.attribute) for report in result.first_invalid_records]
    assert reasons == [(4, "age"), (7, None)]


def test_several_files_each_get_their_result_and_the_manifest_maps_them(
    tmp_path: Path, titanic_binary: Trained
) -> None:
    files = [
        batch_file(tmp_path, titanic_binary, slice(0, 40), "part-0.csv"),
        batch_file(tmp_path, titanic_binary, slice(40, 40), "part-1.csv"),  # a header, no records
        batch_file(tmp_path, titanic_binary, slice(40, 100), "part-2.csv"),
    ]
    schema = infer_schema(files[:1], row_id="id")
    outputs = MemoryOutputs()
    progress: list[tuple[int, int]] = []

    result = score(
        titanic_binary,
        files,
        schema,
        outputs,
        batch_rows=16,
        workers=2,
        progress=lambda *done_total: progress.append(done_total),
    )

    expected = titanic_binary.model.predict_scores(titanic_binary.frame.iloc[:100])
    first, empty, last = (outputs.frame(result_name(file)) for file in files)
    assert empty.empty and list(empty.columns) == ["tag", "bestAnswer", "score"]
    np.testing.assert_allclose(pd.concat([first, last])["score"], expected, rtol=1e-12)
    assert last["tag"].iloc[0] == "r40"
    assert [(item.records, item.invalid_records) for item in result.files] == [(40, 0), (0, 0), (60, 0)]
    manifest = manifest_json(result.outputs)
    assert json.loads(manifest) == {file.uri: result_name(file) for file in files}
    assert manifest.startswith(b'{"' + files[0].uri.encode() + b'":"out/part-0.csv.gz","')
    assert progress[-1] == (sum(file.size for file in files),) * 2


def test_reruns_write_identical_bytes_whatever_the_workers(
    tmp_path: Path, penguins_multiclass: Trained
) -> None:
    file = batch_file(tmp_path, penguins_multiclass, slice(0, None))
    schema = infer_schema([file], row_id="id")
    runs = [MemoryOutputs() for _ in range(3)]

    for outputs, workers in zip(runs, (1, 1, 3), strict=True):
        score(penguins_multiclass, [file], schema, outputs, workers=workers, batch_rows=25)

    first = runs[0].files[result_name(file)]
    assert all(outputs.files[result_name(file)] == first for outputs in runs[1:])
    assert first[4:8] == b"\0\0\0\0"  # gzip timestamp
    assert gzip.decompress(first).count(b"\n") == len(penguins_multiclass.raw) + 1


def test_a_sequential_slice_scores_only_the_selected_records(tmp_path: Path, titanic_binary: Trained) -> None:
    files = [
        batch_file(tmp_path, titanic_binary, slice(0, 50), "a.csv"),
        batch_file(tmp_path, titanic_binary, slice(50, 100), "b.csv"),
    ]
    schema = infer_schema(files, row_id="id")
    outputs = MemoryOutputs()

    result = score(
        titanic_binary, files, schema, outputs, rearrangement=Rearrangement(percent_begin=30, percent_end=70)
    )

    tags = [outputs.frame(result_name(file))["tag"].tolist() for file in files]
    assert tags == [[f"r{index}" for index in range(30, 50)], [f"r{index}" for index in range(50, 70)]]
    assert result.total_records == 40


def test_attributes_the_model_needs_must_be_in_the_batch_schema(
    tmp_path: Path, titanic_binary: Trained
) -> None:
    file = write_batch_csv(
        tmp_path / "narrow.csv", titanic_binary.raw.iloc[:5], drop=("survived", "age", "fare")
    )
    outputs = MemoryOutputs()

    with pytest.raises(DataError, match=r"lacks 2 attribute\(s\).*'age' \(NUMERIC\), 'fare' \(NUMERIC\)"):
        score(titanic_binary, [file], infer_schema([file]), outputs)
    assert outputs.files == {}


def test_the_training_type_wins_over_the_batch_schema(tmp_path: Path, titanic_binary: Trained) -> None:
    file = batch_file(tmp_path, titanic_binary, slice(0, 30))
    inferred = infer_schema([file], row_id="id")
    retyped = tuple(
        dataclasses.replace(attribute, type=attribute.type.CATEGORICAL) for attribute in inferred.attributes
    )
    outputs = MemoryOutputs()

    score(titanic_binary, [file], dataclasses.replace(inferred, attributes=retyped), outputs)

    expected = titanic_binary.model.predict_scores(titanic_binary.frame.iloc[:30])
    np.testing.assert_allclose(outputs.frame(result_name(file))["score"], expected, rtol=1e-12)


def test_should_stop_raises_and_abandons_the_open_output(tmp_path: Path, titanic_binary: Trained) -> None:
    file = batch_file(tmp_path, titanic_binary, slice(0, 200))
    outputs = MemoryOutputs()
    polls: list[int] = []

    def should_stop() -> bool:
        polls.append(1)
        return len(polls) > 3

    with pytest.raises(ScoringStopped):
        score(titanic_binary, [file], infer_schema([file]), outputs, batch_rows=10, should_stop=should_stop)
    assert outputs.discarded == [result_name(file)] and outputs.files == {}


def test_model_type_must_match_the_model(tmp_path: Path, titanic_binary: Trained) -> None:
    file = batch_file(tmp_path, titanic_binary, slice(0, 5))

    with pytest.raises(ValueError, match="not REGRESSION"):
        score_files(
            [file],
            infer_schema([file]),
            titanic_binary.model,
            titanic_binary.schema,
            model_type=ModelType.REGRESSION,
            classes=None,
            score_threshold=0.5,
            open_output=MemoryOutputs().open,
            output_name_for=result_name,
        )
