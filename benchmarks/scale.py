"""Benchmark: ingest, training and batch prediction at millions of rows, locally and on a Dask cluster.

Generates a 50-column mixed-type CSV (30 decimals, 5 integers, 8 categories, 4 yes/no flags, 2 short
texts, a BINARY target; some missing values) split into ``--files`` files, then measures each stage
in a fresh subprocess, once run locally (as a job worker runs it without ``OPENAML_DASK_SCHEDULER``)
and once on a ``distributed.LocalCluster`` of ``--dask-workers`` single-threaded processes:

* ``ingest``  — validation and statistics of every record (``ingest`` / ``ingest_on_cluster``);
* ``train``   — reading the compact typed table (``read_table`` / ``read_table_on_cluster``) and AutoML
  (``--algorithms``, LightGBM only by default; search on ``searchRowLimit`` rows, refit on as many rows
  as the budget allows), ``--budget`` seconds; on the cluster the search's trials run as Dask futures
  (studies in a SQLite file) and the final refit follows ``--distributed-fit`` (auto, always, never:
  ``OPENAML_DASK_DISTRIBUTED_FIT``);
* ``evaluate`` — scoring every record frame by frame (``score_frames``, as an evaluation of more than
  1,000,000 records does) and computing the BINARY metrics (local only);
* ``fullfit`` — (not by default) the final fit's memory on all rows, without the search: the
  compact table, the float32 matrix of all rows, LightGBM on it for at most ``--budget`` seconds;
* ``batch``   — scoring every file with the trained model into gzip CSV results
  (``score_files`` / ``score_on_cluster``).

Peak memory is the largest sum of the resident sets of the stage's process and its children (the
cluster's worker processes, which the stage starts), sampled every 0.1 s. Usage:
``python benchmarks/scale.py --rows 1000000 5000000 [--files 8] [--budget 60]
[--stages ingest train evaluate batch fullfit] [--modes local dask] [--algorithms lightgbm]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

TARGET = "target"
CHUNK_ROWS = 250_000
_CITIES = np.array(["Lisbon", "Porto", "Madrid", "Paris", "Lyon", "Berlin", "Rome", "Milan", "Oslo", "Bern"])
_WORDS = np.array(["good", "bad", "late", "early", "fast", "slow", "cheap", "great", "poor", "again"])


def generate(folder: Path, rows: int, files: int, seed: int = 0) -> list[Path]:
    """``files`` CSV files holding ``rows`` records in all; the target follows a few columns."""
    rng = np.random.default_rng(seed)
    paths = [folder / f"part-{index:03d}.csv" for index in range(files)]
    per_file = -(-rows // files)
    written = 0
    for path in paths:
        with pa_csv.CSVWriter(str(path), _chunk(rng, 0, 1).schema) as writer:
            left = min(per_file, rows - written)
            while left > 0:
                size = min(CHUNK_ROWS, left)
                writer.write_table(_chunk(rng, written, size))
                written, left = written + size, left - size
    return paths


def _chunk(rng: np.random.Generator, first_id: int, rows: int) -> pa.Table:
    columns: dict[str, pa.Array] = {"id": pa.array(np.arange(first_id, first_id + rows))}
    signal = np.zeros(rows)
    for index in range(30):
        values = rng.normal(size=rows)
        if index < 5:
            signal += values * (index + 1) / 5
        values = np.round(values, 4)
        values[rng.random(rows) < 0.02] = np.nan
        columns[f"num{index}"] = pa.array(values, from_pandas=True)
    for index in range(5):
        columns[f"int{index}"] = pa.array(rng.integers(0, 1000, rows))
    for index in range(8):
        cities = rng.choice(_CITIES[: 3 + index], rows)
        if index == 0:
            signal += (cities == "Paris") * 1.0
        columns[f"cat{index}"] = pa.array(cities)
    for index in range(4):
        columns[f"flag{index}"] = pa.array(rng.choice(np.array(["yes", "no"]), rows))
    for index in range(2):
        columns[f"text{index}"] = pa.array([" ".join(words) for words in rng.choice(_WORDS, size=(rows, 3))])
    columns[TARGET] = pa.array((signal + rng.normal(size=rows) > 0.5).astype(np.int64))
    return pa.table(columns)


class PeakMemory:
    """Samples the resident set of this process and its children (the cluster's workers) every 0.1 s."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for process in [self._process, *self._process.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            time.sleep(0.1)


def run_stage(stage: str, mode: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""

    from openaml.domain.cluster import ingest_on_cluster, read_table_on_cluster, score_on_cluster
    from openaml.engine.automl import AutoMLParameters, train_automl
    from openaml.engine.automl.dispatch import SearchCluster
    from openaml.engine.automl.table import TrainingTable
    from openaml.engine.batch import score_files
    from openaml.engine.batch.parts import ScoringPlan
    from openaml.engine.cluster import ClusterSettings, connect
    from openaml.engine.data.files import DataFile
    from openaml.engine.data.ingest import ingest, iter_frames, read_table, resolve_schema
    from openaml.engine.data.parts import IngestLimits
    from openaml.engine.evaluation.evaluate import evaluate
    from openaml.engine.evaluation.streaming import sample_positions, score_frames
    from openaml.engine.models import ModelType
    from openaml.engine.models.artifact import load_model, save_model

    files = [DataFile.from_path(path) for path in sorted(folder.glob("part-*.csv"))]
    models = Path(args.model_dir) if args.model_dir else folder
    schema = resolve_schema(files, None, target_attribute_name=TARGET, row_id="id")
    memory = PeakMemory().__enter__()
    cluster = None
    if mode == "dask":
        from distributed import LocalCluster

        cluster = LocalCluster(
            n_workers=args.dask_workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        settings = ClusterSettings(cluster.scheduler_address, timeout_seconds=60, retries=1)
        _warm_up(cluster.scheduler_address)
    started = time.perf_counter()
    extra: dict[str, Any] = {}
    if stage == "ingest":
        limits = IngestLimits(True, False, 10_000, 1000, 100 * 1024)
        if cluster is None:
            report = ingest(files, schema, compute_statistics=True, require_target=False)
        else:
            report = ingest_on_cluster(
                settings, files, schema, None, limits, progress=lambda *_: None, should_stop=lambda: False
            )
        records = report.records_read
    elif stage == "train":
        float32 = args.rows[0] > 100_000  # as the training job reads it: above the search sample
        if cluster is None:
            table = read_table(files, schema, require_target=True, float32=float32)
        else:
            table = read_table_on_cluster(settings, files, schema, None, require_target=True, float32=float32)
        extra["read_seconds"] = round(time.perf_counter() - started, 1)
        extra["read_peak_rss_mb"] = round(memory.peak / 2**20)
        extra["table_mb"] = round(table.nbytes / 2**20)
        params = AutoMLParameters(time_budget_seconds=args.budget, algorithms=tuple(args.algorithms))
        training = TrainingTable(table)
        del table  # the run takes the table over and releases it once its matrices are built
        if cluster is None:
            result = train_automl(training, schema, ModelType.BINARY, params)
        else:
            with connect(settings) as connected:
                studies = f"sqlite:///{folder / f'studies-{time.time_ns()}.db'}"
                search = SearchCluster(connected, studies, "scale-benchmark", args.distributed_fit)
                result = train_automl(training, schema, ModelType.BINARY, params, cluster=search)
        records = training.num_rows
        extra["validation_score"] = result.validation_score
        extra["trials"] = sum(1 for entry in result.leaderboard if entry["status"] == "ok")
        extra["automl_seconds"] = round(result.timings.total_seconds, 1)
        extra["budget_seconds"] = result.timings.budget_seconds
        extra["refit_seconds"] = round(result.timings.refit_seconds, 1)
        extra["search_deadline_at"] = round(result.timings.search_deadline_at, 1)
        extra["reserved_refit_seconds"] = round(result.timings.reserved_refit_seconds, 1)
        extra["estimated_refit_seconds"] = round(result.timings.estimated_refit_seconds, 1)
        extra["search_rows"] = result.search_rows
        extra["notes"] = list(result.warnings)
        save_model(result.model, models / f"model-{mode}", {"rows": records})
    elif stage == "fullfit":
        extra.update(_full_fit(files, schema, memory, args.rows[0], args.budget))
        records = extra.pop("records")
    elif stage == "evaluate":
        model, _ = load_model(models / "model-local")
        frames = (batch.frame for batch in iter_frames(files, schema, require_target=True))
        scored = score_frames(model, frames, TARGET, sample_positions(args.rows[0], 50_000))
        evaluation = evaluate(ModelType.BINARY, scored.targets, scored.scores, classes=("0", "1"))
        records = scored.records
        extra["auc"] = round(float(evaluation.properties["BinaryAUC"]), 4)
    else:
        model, _ = load_model(models / "model-local")
        model_schema = schema
        outputs = folder / f"out-{mode}"
        outputs.mkdir(exist_ok=True)

        def opener(uri: str) -> Any:
            return open(uri, "wb")

        plan = ScoringPlan(schema, model_schema, ModelType.BINARY, ("0", "1"), 0.5, None, opener, 1000)
        names = [str(outputs / f"{Path(file.uri).name}.gz") for file in files]
        if cluster is None:
            result = score_files(
                files,
                schema,
                model,
                model_schema,
                model_type=ModelType.BINARY,
                classes=("0", "1"),
                score_threshold=0.5,
                open_output=opener,
                output_name_for=lambda file: str(outputs / f"{Path(file.uri).name}.gz"),
                workers=2,
            )
        else:
            result = score_on_cluster(
                settings, files, names, plan, model, progress=lambda *_: None, should_stop=lambda: False
            )
        records = result.total_records
    seconds = time.perf_counter() - started
    if cluster is not None:
        cluster.close()
    memory.__exit__()
    return {
        "stage": stage,
        "mode": mode,
        "records": records,
        "seconds": round(seconds, 1),
        "rows_per_second": round(records / seconds),
        "peak_rss_mb": round(memory.peak / 2**20),
        **extra,
    }


def _full_fit(files: list[Any], schema: Any, memory: PeakMemory, rows: int, seconds: float) -> dict[str, Any]:
    """The memory of the final fit on all rows, without the search: the compact table, encoders
    fitted on a 100,000-row sample, the float32 matrix of all rows (chunk by chunk, then the table is
    released) and LightGBM on it (its dataset built with ``free_raw_data``) for ``seconds`` at most."""
    from openaml.engine.automl.budget import Budget
    from openaml.engine.automl.families import FAMILIES, Task
    from openaml.engine.automl.features import MAX_TREE_TEXT_ROWS, Encoding, FeatureEncoder
    from openaml.engine.automl.table import encode_table, rows_frame
    from openaml.engine.automl.validation import stratified_sample
    from openaml.engine.data.ingest import read_table
    from openaml.engine.models import ModelType

    started = time.perf_counter()
    table = read_table(files, schema, require_target=True, float32=rows > 100_000)
    y = table.column(TARGET).to_numpy().astype(np.int64)
    read = time.perf_counter() - started
    sample = rows_frame(table, stratified_sample(y, ModelType.BINARY, 100_000, 0))
    encoder = FeatureEncoder(
        schema.input_attributes, Encoding.TREE, text_vocabulary=len(y) <= MAX_TREE_TEXT_ROWS
    ).fit(sample)
    matrices = encode_table(table, {Encoding.TREE: encoder})
    del table
    encoded = time.perf_counter() - started - read
    matrix = matrices[Encoding.TREE]
    task = Task.describe(ModelType.BINARY, y, 2, 49, 0, tuple(encoder.categorical_indices))
    budget = Budget(seconds)
    config = FAMILIES["lightgbm"].portfolio(task)[0] | {"rounds": 10_000}
    learner = FAMILIES["lightgbm"].fit(matrix, y, config, task, budget.limits(budget.end))
    return {
        "records": len(y),
        "read_seconds": round(read, 1),
        "encode_seconds": round(encoded, 1),
        "fit_seconds": round(time.perf_counter() - started - read - encoded, 1),
        "rounds": learner.refit_config["rounds"],
        "matrix_mb": round(
            (matrix.nbytes if isinstance(matrix, np.ndarray) else matrix.data.nbytes + matrix.indices.nbytes)
            / 2**20
        ),
    }


def _warm_up(address: str) -> None:
    """Import the engine in every worker first, as the workers of a long-running cluster already have."""
    from distributed import Client

    def load() -> None:
        import lightgbm  # noqa: F401

        import openaml.engine.batch.parts
        import openaml.engine.data.parts  # noqa: F401

    with Client(address) as client:
        client.run(load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--budget", type=float, default=60)
    parser.add_argument("--dask-workers", type=int, default=2)
    parser.add_argument("--distributed-fit", choices=("auto", "always", "never"), default="auto")
    parser.add_argument("--algorithms", nargs="+", default=["lightgbm"], help="AutoML's families")
    parser.add_argument("--stages", nargs="+", default=["ingest", "train", "evaluate", "batch"])
    parser.add_argument("--modes", nargs="+", default=["local", "dask"])
    parser.add_argument(
        "--model-dir",
        default=None,
        help="where training saves its models and batch loads model-local (default: the data folder); "
        "lets a batch run at many rows reuse a model trained at fewer",
    )
    parser.add_argument("--child", nargs=3, metavar=("STAGE", "MODE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        stage, mode, folder = args.child
        print(json.dumps(run_stage(stage, mode, Path(folder), args)))
        return
    print(f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    for rows in args.rows:
        with tempfile.TemporaryDirectory(prefix="openaml-scale-") as temp:
            folder = Path(temp)
            started = time.perf_counter()
            generate(folder, rows, args.files)
            size = sum(path.stat().st_size for path in folder.glob("part-*.csv"))
            print(
                f"# {rows:,} rows, {size / 2**20:,.0f} MB in {args.files} files "
                f"(generated in {time.perf_counter() - started:.0f} s)",
                flush=True,
            )
            for stage in args.stages:
                for mode in args.modes:
                    if stage in ("evaluate", "fullfit") and mode != "local":
                        continue  # evaluation reads frame by frame in the job worker only
                    if (
                        stage in ("evaluate", "batch")
                        and not (Path(args.model_dir or folder) / "model-local").exists()
                    ):
                        continue
                    command = [
                        sys.executable,
                        __file__,
                        "--child",
                        stage,
                        mode,
                        str(folder),
                        "--budget",
                        str(args.budget),
                        "--dask-workers",
                        str(args.dask_workers),
                        "--distributed-fit",
                        args.distributed_fit,
                        "--algorithms",
                        *args.algorithms,
                        "--rows",
                        str(rows),
                        *(["--model-dir", args.model_dir] if args.model_dir else []),
                    ]
                    done = subprocess.run(command, capture_output=True, text=True, check=False)
                    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
                    if done.returncode or not lines:
                        print(f"# {stage}/{mode} failed: {done.stderr[-2000:]}", flush=True)
                        continue
                    print(json.dumps({"rows": rows, **json.loads(lines[-1])}), flush=True)


if __name__ == "__main__":
    main()
