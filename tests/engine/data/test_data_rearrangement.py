"""DataRearrangement: Amazon ML's JSON, half-open slices, complements, deterministic random splits."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from openaml.engine.data.files import DataFile
from openaml.engine.data.inference import infer_schema
from openaml.engine.data.ingest import iter_frames, read_frame
from openaml.engine.data.rearrangement import Rearrangement, parse_data_rearrangement
from openaml.errors import InvalidInputException

MakeFile = Callable[..., DataFile]


def splitting(**keys: object) -> str:
    return json.dumps({"splitting": keys})


def test_amazon_ml_example_is_parsed() -> None:
    text = splitting(
        percentBegin=70,
        percentEnd=100,
        complement="true",
        strategy="random",
        strategyParams={"randomSeed": "s3://bucket/data.csv"},
    )

    assert parse_data_rearrangement(text) == Rearrangement(
        70.0, 100.0, True, "random", "s3://bucket/data.csv"
    )


def test_defaults_and_the_seed_directly_under_splitting() -> None:
    assert parse_data_rearrangement(None).is_whole_input
    assert parse_data_rearrangement("  ").is_whole_input
    assert parse_data_rearrangement("{}").is_whole_input
    assert parse_data_rearrangement(splitting(percentEnd=30)) == Rearrangement(0.0, 30.0)
    assert parse_data_rearrangement(splitting(strategy="random", randomSeed="abc")).random_seed == "abc"
    assert parse_data_rearrangement(splitting(complement=False)).complement is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ('{"split": {}}', 'one key, "splitting"'),
        (splitting(percentBegin=80, percentEnd=20), "must not be greater"),
        (splitting(percentEnd=101), "from 0 to 100"),
        (splitting(percentBegin="x"), "from 0 to 100"),
        (splitting(complement="yes"), "complement"),
        (splitting(strategy="shuffled"), "strategy"),
        (splitting(strategyParams={"seed": 1}), "strategyParams"),
        (splitting(randomSeed="a", strategyParams={"randomSeed": "b"}), "twice"),
        (splitting(percentBeginn=1), "Unknown key 'percentBeginn'"),
    ],
)
def test_invalid_rearrangements_are_rejected(text: str, message: str) -> None:
    with pytest.raises(InvalidInputException, match=message):
        parse_data_rearrangement(text)


def test_sequential_slices_are_half_open_and_complements_partition() -> None:
    positions = np.arange(10, dtype=np.int64)
    first = Rearrangement(0, 70)
    rest = Rearrangement(0, 70, complement=True)

    assert first.needs_record_count
    assert positions[first.select(positions, 10)].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert positions[rest.select(positions, 10)].tolist() == [7, 8, 9]
    assert positions[Rearrangement(70, 100).select(positions, 10)].tolist() == [7, 8, 9]


def test_random_split_is_deterministic_and_depends_on_the_seed() -> None:
    positions = np.arange(100_000, dtype=np.int64)
    split = Rearrangement(0, 70, strategy="random", random_seed="seed-1")

    chosen = split.select(positions)

    assert not split.needs_record_count
    assert np.array_equal(chosen, split.select(positions))
    assert 0.69 < chosen.mean() < 0.71
    assert not np.array_equal(
        chosen, Rearrangement(0, 70, strategy="random", random_seed="seed-2").select(positions)
    )
    complement = Rearrangement(0, 70, complement=True, strategy="random", random_seed="seed-1").select(
        positions
    )
    assert np.array_equal(chosen, ~complement)


@pytest.mark.parametrize("strategy", ["sequential", "random"])
def test_a_split_of_a_real_dataset_is_disjoint_and_complete(datasets_dir: Path, strategy: str) -> None:
    files = [DataFile.from_path(datasets_dir / "titanic.csv")]
    schema = infer_schema(files, target_attribute_name="survived")

    def rows(complement: bool) -> list[int]:
        split = Rearrangement(0, 70, complement, strategy, "titanic")  # type: ignore[arg-type]
        batches = iter_frames(files, schema, split, require_target=True)
        return [int(n) for batch in batches for n in batch.row_numbers]

    train, evaluation = rows(False), rows(True)

    assert len(train) + len(evaluation) == 891
    assert sorted(train + evaluation) == list(range(2, 893))
    assert 0.65 < len(train) / 891 < 0.75
    if strategy == "sequential":
        assert train == list(range(2, 626)) and evaluation == list(range(626, 893))


def test_random_split_spans_files_by_input_position(make_file: MakeFile) -> None:
    files = [
        make_file("n\n" + "".join(f"{i}\n" for i in range(0, 500)), uri="mem://d/part-0.csv"),
        make_file("n\n" + "".join(f"{i}\n" for i in range(500, 1000)), uri="mem://d/part-1.csv"),
    ]
    schema = infer_schema(files)
    one_file = [make_file("n\n" + "".join(f"{i}\n" for i in range(1000)))]
    split = Rearrangement(25, 60, strategy="random", random_seed="x")

    assert (
        read_frame(files, schema, split, require_target=False)["n"].tolist()
        == read_frame(one_file, schema, split, require_target=False)["n"].tolist()
    )


def test_sequential_split_over_several_files_counts_all_records(make_file: MakeFile) -> None:
    files = [
        make_file("n\n" + "".join(f"{i}\n" for i in range(0, 6)), uri="mem://d/part-0.csv"),
        make_file("n\n" + "".join(f"{i}\n" for i in range(6, 10)), uri="mem://d/part-1.csv"),
    ]
    schema = infer_schema(files)

    tail = read_frame(files, schema, Rearrangement(0, 70, complement=True), require_target=False)

    assert tail["n"].tolist() == [7.0, 8.0, 9.0]
