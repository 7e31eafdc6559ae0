"""Benchmark: the batch scoring engine (``score_files``, no service) against the bare model, at two sizes.

``benchmarks/batch.py`` measures the same through the running service (job queue, datasource, manifest).

Trains an AutoML model on a development dataset (``--budget`` seconds, families ``--algorithms``),
saves it as the service does (``save_model``), and generates a batch CSV of ``--rows`` records by
resampling the dataset's rows (target dropped, an ``id`` rowId added, one record in 10,000 with an
invalid number) plus one of half the size. Then it measures, each in a fresh subprocess so that peak
memory (RSS) is per run and the model is loaded with ``load_model``:

* ``score`` — :func:`openaml.engine.batch.score_files` end to end: read, validate, score, write the
  gzip CSV result, for each input size and each ``--workers`` value;
* ``bare`` — the model's ``predict_scores`` alone on the larger input's records, already read into
  typed frames of ``--bare-chunk-rows`` records in memory (one thread, as a plain predict call).

Targets: end-to-end rows/s at least half the bare model's (ratio >= 0.5), and no growth of peak
memory with the input size. Rows per CPU second are shown too: on a shared machine they vary less
than wall-clock speeds, and their ratio is what the pipeline costs on top of the model.

Usage::

    .venv/bin/python benchmarks/batch_engine.py                 # 5,000,000 and 2,500,000 rows
    .venv/bin/python benchmarks/batch_engine.py --rows 2000000 --workers 1,2 --dataset titanic
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from openaml.engine.automl import AutoMLParameters, train_automl
from openaml.engine.batch import DEFAULT_BATCH_ROWS, score_files, scoring_schema
from openaml.engine.data.files import DataFile
from openaml.engine.data.inference import infer_schema
from openaml.engine.data.ingest import iter_frames, read_frame
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema, parse_data_schema
from openaml.engine.models import ModelType, load_model, save_model

DEFAULT_DATASETS_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets"
ROW_ID = "id"
GENERATE_CHUNK_ROWS = 250_000
INVALID_EVERY = 10_000
#: One measured run: rows, CSV megabytes, workers, the child's measurements.
Run = tuple[int, float, int, dict[str, Any]]


@dataclass(frozen=True)
class Dataset:
    """A development dataset the model is trained on."""

    file: str
    target: str
    model_type: ModelType


DATASETS = {
    "bike": Dataset("bike_sharing_hourly.csv", "cnt", ModelType.REGRESSION),
    "titanic": Dataset("titanic.csv", "survived", ModelType.BINARY),
    "penguins": Dataset("penguins.csv", "species", ModelType.MULTICLASS),
}


def train(dataset: Dataset, args: argparse.Namespace, model_dir: Path) -> str:
    """Train and save the model; return its one-line description."""
    file = DataFile.from_path(args.datasets_dir / dataset.file)
    schema = infer_schema([file], target_attribute_name=dataset.target)
    frame = read_frame([file], schema, require_target=True)
    params = AutoMLParameters(
        time_budget_seconds=args.budget,
        algorithms=tuple(args.algorithms.split(",")),
        max_ensemble_size=args.ensemble_size,
    )
    result = train_automl(frame, schema, dataset.model_type, params)
    save_model(result.model, model_dir, {"schema": schema.to_json(), "modelType": dataset.model_type.value})
    return f"{result.model.algorithm} ({result.metric_name} {result.validation_score:.4f})"


def generate_csv(path: Path, source: Path, target: str, rows: int, seed: int = 0) -> None:
    """``rows`` records resampled from ``source`` (as text), without ``target``, with an ``id`` first."""
    raw = pd.read_csv(source, dtype=str, keep_default_na=False).drop(columns=[target])
    numeric = next(name for name in raw.columns if pd.to_numeric(raw[name], errors="coerce").notna().all())
    rng = np.random.default_rng(seed)
    options = pa_csv.WriteOptions(quoting_style="needed")
    with pa_csv.CSVWriter(str(path), _chunk(raw, rng, 0, 1, numeric).schema, write_options=options) as writer:
        for first in range(0, rows, GENERATE_CHUNK_ROWS):
            writer.write_table(_chunk(raw, rng, first, min(GENERATE_CHUNK_ROWS, rows - first), numeric))


def _chunk(raw: pd.DataFrame, rng: np.random.Generator, first: int, rows: int, numeric: str) -> pa.Table:
    sample = raw.iloc[rng.integers(0, len(raw), rows)].reset_index(drop=True)
    ids = np.arange(first, first + rows)
    sample.loc[ids % INVALID_EVERY == INVALID_EVERY - 1, numeric] = "n/a"
    sample.insert(0, ROW_ID, [f"row-{index}" for index in ids])
    return pa.Table.from_pandas(sample, preserve_index=False)


def batch_schema(model_schema: DataSchema) -> DataSchema:
    """The generated files' schema: an ``id`` rowId, then the training attributes but the target."""
    inputs = [a for a in model_schema.attributes if a.name != model_schema.target_attribute_name]
    return DataSchema(attributes=(Attribute(ROW_ID, AttributeType.CATEGORICAL), *inputs), row_id=ROW_ID)


def run_child(mode: str, model_dir: Path, data: Path, workers: int, batch_rows: int) -> dict[str, Any]:
    """One measurement in this process (imports and model loading happen before the clock)."""
    model, metadata = load_model(model_dir)
    stored = metadata["schema"]  # JSON text here; the service stores the parsed object
    model_schema = parse_data_schema(stored if isinstance(stored, str) else json.dumps(stored))
    schema = batch_schema(model_schema)
    file = DataFile.from_path(data)
    rss_before = _current_rss_mb()
    cpu_before, started = _process_cpu_seconds(), time.perf_counter()
    if mode == "score":
        output = data.with_suffix(".result.gz")

        @contextlib.contextmanager
        def open_output(uri: str) -> Iterator[BinaryIO]:
            with output.open("wb") as stream:
                yield stream

        result = score_files(
            [file],
            schema,
            model,
            model_schema,
            model_type=model.model_type,
            classes=model.classes,
            score_threshold=0.5,
            open_output=open_output,
            output_name_for=lambda _: output.as_uri(),
            workers=workers,
            batch_rows=batch_rows,
        )
        seconds = time.perf_counter() - started
        cpu_seconds = _process_cpu_seconds() - cpu_before
        output.unlink()
        records, invalid = result.total_records, result.invalid_records
        model_seconds = result.timings.model_seconds
    else:
        from threadpoolctl import threadpool_limits

        reading = scoring_schema(schema, model_schema)
        frames = [
            batch.frame for batch in iter_frames([file], reading, require_target=False, batch_rows=batch_rows)
        ]
        cpu_before, started = _process_cpu_seconds(), time.perf_counter()
        with threadpool_limits(limits=1, user_api="blas"):
            for frame in frames:
                model.predict_scores(frame)
        seconds = time.perf_counter() - started
        cpu_seconds = _process_cpu_seconds() - cpu_before
        records, invalid, model_seconds = sum(len(frame) for frame in frames), 0, seconds
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "records": records,
        "invalid": invalid,
        "model_seconds": model_seconds,
        "rss_before_mb": rss_before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _process_cpu_seconds() -> float:
    """CPU time of this process so far, all threads together."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(mode: str, model_dir: Path, data: Path, workers: int, batch_rows: int) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        str(model_dir),
        str(data),
        "--workers",
        str(workers),
        "--batch-rows",
        str(batch_rows),
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="larger input (the smaller is half)")
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="bike", help="training dataset")
    parser.add_argument("--datasets-dir", type=Path, default=DEFAULT_DATASETS_DIR)
    parser.add_argument("--budget", type=float, default=30.0, help="AutoML time budget in seconds")
    parser.add_argument("--algorithms", default="lightgbm", help="AutoML model families")
    parser.add_argument("--ensemble-size", type=int, default=1, help="AutoML maxEnsembleSize")
    parser.add_argument("--workers", default="1,2", help="score_files workers to measure, comma-separated")
    parser.add_argument("--batch-rows", type=int, default=DEFAULT_BATCH_ROWS, help="records per chunk")
    parser.add_argument("--workdir", type=Path, default=None, help="where to write the CSV files")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "MODEL", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, model_dir, data = args.child
        print(json.dumps(run_child(mode, Path(model_dir), Path(data), int(args.workers), args.batch_rows)))
        return

    dataset = DATASETS[args.dataset]
    worker_counts = [int(value) for value in args.workers.split(",")]
    sizes = (args.rows // 2, args.rows)
    with tempfile.TemporaryDirectory(dir=args.workdir) as folder:
        model_dir = Path(folder) / "model"
        started = time.perf_counter()
        description = train(dataset, args, model_dir)
        print(f"trained {description} in {time.perf_counter() - started:.0f} s", flush=True)
        runs: list[Run] = []
        bare: dict[str, Any] = {}
        for rows in sizes:
            path = Path(folder) / f"batch-{rows}.csv"
            started = time.perf_counter()
            generate_csv(path, args.datasets_dir / dataset.file, dataset.target, rows)
            megabytes = path.stat().st_size / 1e6
            print(f"generated {rows:,} rows ({megabytes:,.0f} MB) in {time.perf_counter() - started:.0f} s")
            for workers in worker_counts:
                runs.append(
                    (rows, megabytes, workers, measure("score", model_dir, path, workers, args.batch_rows))
                )
                print(f"  scored with {workers} worker(s) in {runs[-1][3]['seconds']:.1f} s", flush=True)
            if rows == sizes[-1]:
                bare = measure("bare", model_dir, path, 1, args.batch_rows)
            path.unlink()
    _print_table(args, description, runs, bare)


def _print_table(
    args: argparse.Namespace,
    description: str,
    runs: list[tuple[int, float, int, dict[str, Any]]],
    bare: dict[str, Any],
) -> None:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    bare_speed = bare["records"] / bare["seconds"]
    print(
        f"\nPython {platform.python_version()}, {os.cpu_count()} CPUs (load average {load}: other work on "
        f"the machine lowers the speeds), dataset {args.dataset}, model {description}, "
        f"batch rows {args.batch_rows:,}"
    )
    bare_cpu_speed = bare["records"] / bare["cpu_seconds"]
    print(
        f"bare predict_scores on {bare['records']:,} in-memory records: {bare_speed:,.0f} rows/s, "
        f"{bare_cpu_speed:,.0f} rows per CPU second (peak RSS with the data in memory "
        f"{bare['peak_rss_mb']:,.0f} MB)\n"
    )
    print(
        "| rows | CSV MB | workers | end-to-end rows/s | ratio to bare | rows per CPU s (ratio) "
        "| model s / total s | invalid | RSS before MB | peak RSS MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rows, megabytes, workers, run in runs:
        speed, cpu_speed = run["records"] / run["seconds"], run["records"] / run["cpu_seconds"]
        print(
            f"| {rows:,} | {megabytes:,.0f} | {workers} | {speed:,.0f} | {speed / bare_speed:.2f} | "
            f"{cpu_speed:,.0f} ({cpu_speed / bare_cpu_speed:.2f}) | "
            f"{run['model_seconds']:.1f} / {run['seconds']:.1f} | {run['invalid']:,} | "
            f"{run['rss_before_mb']:,.0f} | {run['peak_rss_mb']:,.0f} |"
        )


if __name__ == "__main__":
    main()
