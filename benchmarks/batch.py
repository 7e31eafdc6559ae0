"""Benchmark: a batch prediction through the running service, against the bare model, at two input sizes.

Starts ``openaml serve`` (one job worker) on a temporary data directory, trains a model there through
boto3 (AutoML, ``--budget`` seconds, families ``--algorithms``), generates batch CSVs of ``--rows``
and half as many records (as ``benchmarks/batch_engine.py`` does), and for each runs ``CreateDatasource``
plus ``CreateBatchPrediction`` and waits for COMPLETED: rows/s end to end through the service (job
queue, datasource, scoring, gzip CSV, manifest) and the job worker's peak memory (RSS, sampled). The
baseline, in the same run: the service's own saved model loaded with ``load_model`` and its
``predict_scores`` on the larger input already in memory (``benchmarks/batch_engine.py``'s ``bare`` child).
``benchmarks/batch_engine.py`` measures the scoring engine alone (no service), with several threads.

Usage: ``.venv/bin/python benchmarks/batch.py [--rows 5000000] [--dataset bike] [--algorithms linear]``.
Targets: ratio ≥ 0.5, and no growth of peak memory with the input size.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import batch_engine  # the folder of this script is on sys.path
import boto3
import psutil

KEY, SECRET = "OAMLBENCHMARK0000001", "benchmark-secret-key-000000000000"


def start_server(data_dir: Path, roots: Path) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "OPENAML_ACCESS_KEY_ID": KEY,
        "OPENAML_SECRET_ACCESS_KEY": SECRET,
        "OPENAML_DATA_ROOTS": str(roots),
        "OPENAML_JOB_POLL_SECONDS": "0.1",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openaml",
            "serve",
            "--port",
            "0",
            "--workers",
            "1",
            "--data-dir",
            str(data_dir),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        match = re.search(r"listening on (\S+)", line)
        if match:
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
            return process, match.group(1)
    raise RuntimeError("the server did not start")


def wait(get: Any) -> dict[str, Any]:
    while True:
        got = get()
        if got["Status"] in ("COMPLETED", "FAILED"):
            if got["Status"] == "FAILED":
                raise RuntimeError(got.get("Message"))
            return got  # type: ignore[no-any-return]
        time.sleep(0.2)


def peak_worker_rss(server: subprocess.Popen[str], stop: threading.Event, result: list[float]) -> None:
    peak = 0.0
    while not stop.wait(0.2):
        for child in psutil.Process(server.pid).children(recursive=True):
            try:
                peak = max(peak, child.memory_info().rss / 1e6)
            except psutil.Error:
                continue
    result.append(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--dataset", choices=sorted(batch_engine.DATASETS), default="bike")
    parser.add_argument("--datasets-dir", type=Path, default=batch_engine.DEFAULT_DATASETS_DIR)
    parser.add_argument("--budget", default="30")
    parser.add_argument("--algorithms", default="lightgbm")
    args = parser.parse_args()
    dataset = batch_engine.DATASETS[args.dataset]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        server, url = start_server(root / "data", root)
        try:
            ml = boto3.client(
                "machinelearning",
                endpoint_url=url,
                region_name="us-east-1",
                aws_access_key_id=KEY,
                aws_secret_access_key=SECRET,
            )
            training = root / dataset.file
            training.write_bytes((args.datasets_dir / dataset.file).read_bytes())
            ml.create_data_source_from_s3(
                DataSourceId="train",
                ComputeStatistics=True,
                DataSpec={
                    "DataLocationS3": str(training),
                    "DataSchema": json.dumps({"targetAttributeName": dataset.target}),
                },
            )
            ml.create_ml_model(
                MLModelId="model",
                MLModelType=dataset.model_type.value,
                TrainingDataSourceId="train",
                Parameters={"openaml.timeBudgetSeconds": args.budget, "openaml.algorithms": args.algorithms},
            )
            model = wait(lambda: ml.get_ml_model(MLModelId="model"))
            print(f"trained: {model['Message']}", flush=True)
            rows_runs = []
            for rows in (args.rows // 2, args.rows):
                path = root / f"batch-{rows}.csv"
                batch_engine.generate_csv(path, args.datasets_dir / dataset.file, dataset.target, rows)
                schema = json.dumps({"rowId": "id"})
                ml.create_data_source_from_s3(
                    DataSourceId=f"in-{rows}", DataSpec={"DataLocationS3": str(path), "DataSchema": schema}
                )
                wait(lambda r=rows: ml.get_data_source(DataSourceId=f"in-{r}"))
                stop, peak = threading.Event(), list[float]()
                sampler = threading.Thread(target=peak_worker_rss, args=(server, stop, peak))
                sampler.start()
                started = time.perf_counter()
                ml.create_batch_prediction(
                    BatchPredictionId=f"bp-{rows}",
                    MLModelId="model",
                    BatchPredictionDataSourceId=f"in-{rows}",
                    OutputUri=f"{root}/out-{rows}/",
                )
                got = wait(lambda r=rows: ml.get_batch_prediction(BatchPredictionId=f"bp-{r}"))
                seconds = time.perf_counter() - started
                stop.set()
                sampler.join()
                rows_runs.append((rows, got["TotalRecordCount"], seconds, peak[0]))
                print(f"  {rows:,} rows through the service in {seconds:.1f} s", flush=True)
            model_dir = root / "data" / "mlmodels" / "model" / "model"
            bare = batch_engine.measure("bare", model_dir, path, 1, batch_engine.DEFAULT_BATCH_ROWS)
        finally:
            server.terminate()
            server.wait(timeout=30)
    bare_speed = bare["records"] / bare["seconds"]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\nload average {load}; bare predict_scores: {bare_speed:,.0f} rows/s "
        f"on {bare['records']:,} records\n"
    )
    print("| rows | service rows/s | ratio to bare | job worker peak RSS MB |")
    print("|---:|---:|---:|---:|")
    for rows, total, seconds, peak_mb in rows_runs:
        print(f"| {rows:,} | {total / seconds:,.0f} | {total / seconds / bare_speed:.2f} | {peak_mb:,.0f} |")


if __name__ == "__main__":
    main()
