"""Benchmark: what prediction capture (``openaml.captureRate``) adds to real-time ``Predict`` latency.

Starts ``openaml serve`` (``benchmarks/service.py``: a temporary data directory, two serving
processes), trains SGD models (titanic: 14 attributes; HAR sample: 561 attributes, the widest records)
and creates their endpoints. Then, per model, the same signed ``Predict`` requests are sent at a fixed
paced rate (``--rate``, open loop, Python load processes) in alternating runs: capture off, capture at
``--capture-rate``, off, on, ... (``--rounds`` pairs), the rate switched through
``PUT /openaml/v1/mlmodels/{id}/capture`` and applied by every serving process within a second.
Reported: p50 and p99 of each setting (the median of its runs) and the ratio on/off of p50 — measured
in the same run, so machine noise affects both sides alike — and, measured in this process, what a
captured record costs on the request path (``CapturedPrediction.capture`` and an append, µs per record)
against the p50 without capture. Target: the p50 ratio at most 1.05.

Usage::

    .venv/bin/python benchmarks/capture.py
    .venv/bin/python benchmarks/capture.py --models titanic-sgd --rate 300 --seconds 5 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from predict import PACED_CONNECTIONS, LoadResult, run_python, signed_requests  # this folder is on sys.path
from service import DATASETS, DEFAULT_DATASETS_DIR, client, running_server, sample_records, sign, train_models

from openaml.engine.drift.captures import CapturedPrediction

#: Seconds to wait after changing the rate: every serving process refreshes its endpoints each second.
APPLY_SECONDS = 2.5


def set_capture_rate(url: str, model_id: str, rate: float) -> None:
    path = f"/openaml/v1/mlmodels/{model_id}/capture"
    data = json.dumps({"CaptureRate": rate}).encode()
    headers = sign("PUT", url + path, data, {"Content-Type": "application/json"})
    response = httpx.put(url + path, content=data, headers=headers)
    response.raise_for_status()
    time.sleep(APPLY_SECONDS)


def offer_microseconds(records: list[dict[str, str]], prediction: dict[str, object]) -> float:
    """In this process: the median µs per record of what ``Predict`` does for a captured record
    (``CapturedPrediction.capture`` and an append), the request path's whole share of capture."""
    times = []
    for _ in range(5):
        buffer: list[object] = []
        started = time.perf_counter()
        for record in records:
            buffer.append(("model", CapturedPrediction.capture(time.time(), record, prediction)))
        times.append((time.perf_counter() - started) / len(records))
    return statistics.median(times) * 1e6


def captured_files(data_dir: Path, model_id: str) -> tuple[int, int]:
    files = list((data_dir / "captures" / model_id).rglob("*.parquet"))
    return len(files), sum(file.stat().st_size for file in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--datasets-dir", type=Path, default=DEFAULT_DATASETS_DIR)
    parser.add_argument("--models", default="titanic-sgd,har-sgd")
    parser.add_argument("--http-workers", type=int, default=2)
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--rate", type=float, default=400.0, help="requests per second of every run")
    parser.add_argument("--capture-rate", type=float, default=1.0, help="the capture rate of the 'on' runs")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="off/on pairs per model")
    args = parser.parse_args()
    names = [name.strip() for name in args.models.split(",") if name.strip()]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        with running_server(root / "data", root, args.http_workers) as url:
            ml = client(url)
            train_models(ml, names, args.datasets_dir, root, {"openaml.timeBudgetSeconds": "30"})
            for name in names:
                records = sample_records(args.datasets_dir, DATASETS[name.split("-")[0]], args.records)
                requests = signed_requests(url, name, records)
                runs: dict[str, list[LoadResult]] = {"off": [], "on": []}
                run_python(url, requests, PACED_CONNECTIONS, 2, 10_000, args.rate)  # warm-up
                for _ in range(args.rounds):
                    for setting, rate in (("off", 0.0), ("on", args.capture_rate)):
                        set_capture_rate(url, name, rate)
                        result = run_python(
                            url, requests, PACED_CONNECTIONS, args.seconds, 1_000_000, args.rate
                        )
                        runs[setting].append(result)
                        print(
                            f"  {name} capture {setting}: {result.rate:,.0f} requests/s, p50 "
                            f"{result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, {result.errors} errors",
                            flush=True,
                        )
                set_capture_rate(url, name, 0.0)
                time.sleep(6)  # the last flush
                files, size = captured_files(root / "data", name)
                p50 = {s: statistics.median(r.p50_ms for r in runs[s]) for s in runs}
                p99 = {s: statistics.median(r.p99_ms for r in runs[s]) for s in runs}
                errors = sum(r.errors for s in runs for r in runs[s])
                answer = ml.predict(MLModelId=name, Record=records[0], PredictEndpoint=url)["Prediction"]
                offer_us = offer_microseconds(records, answer)
                rows.append((name, p50, p99, files, size, errors, offer_us))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\n{os.cpu_count()} CPUs, load average {load}; {args.http_workers} serving processes; paced "
        f"{args.rate:g} requests/s from Python processes; {args.rounds} off/on pairs of {args.seconds} s; "
        f"capture rate {args.capture_rate:g} when on\n"
    )
    print(
        "| model | p50 off ms | p50 on ms | p50 on/off | p99 off ms | p99 on ms | capture µs/record "
        "| over p50 off | files | bytes | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, p50, p99, files, size, errors, offer_us in rows:
        print(
            f"| {name} | {p50['off']:.2f} | {p50['on']:.2f} | {p50['on'] / p50['off']:.3f} "
            f"| {p99['off']:.2f} | {p99['on']:.2f} | {offer_us:.1f} | {offer_us / 1000 / p50['off']:.2%} "
            f"| {files} | {size:,} | {errors} |"
        )


if __name__ == "__main__":
    main()
