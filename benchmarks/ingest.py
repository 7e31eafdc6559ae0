"""Benchmark: datasource ingest with statistics against the bare CSV read, at two file sizes.

Generates a mixed-type CSV (20 columns: integers, decimals, categories, yes/no flags, six-word text,
some missing values) in a temporary folder, then measures, each in a fresh subprocess so that peak
memory (RSS) is per run:

* ``read``   — the bare CSV read by the engine (every field as UTF-8-checked text, block by block);
* ``ingest`` — creating a datasource: schema inference, validation and statistics in one pass;
* ``polars`` — (with ``--compare-polars``, when polars is installed) polars' batched read of the
  same file as text, the alternative engine that was measured when choosing pyarrow.

Usage: ``python benchmarks/ingest.py [--size-mb 1024] [--block-size-mb 4] [--compare-polars]``.
The smaller size is half of ``--size-mb``. Targets: ingest at least half the bare read's speed, and
no growth of peak memory with file size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

TARGET = "target"
CHUNK_ROWS = 200_000
_WORDS = np.array(
    [
        "the",
        "quick",
        "brown",
        "fox",
        "jumps",
        "over",
        "lazy",
        "dog",
        "data",
        "model",
        "train",
        "predict",
        "value",
        "error",
        "big",
        "small",
        "red",
        "green",
        "blue",
        "fast",
        "slow",
        "cheap",
        "great",
        "poor",
        "service",
        "order",
        "late",
        "early",
        "again",
        "never",
        "always",
    ]
)
_CITIES = np.array(["Lisbon", "Porto", "Madrid", "Paris", "Lyon", "Berlin", "Rome", "Milan"])


def generate_csv(path: Path, size_bytes: int, seed: int = 0) -> None:
    """Write a mixed-type CSV of about ``size_bytes`` bytes."""
    rng = np.random.default_rng(seed)
    first_id = 0
    with pa_csv.CSVWriter(str(path), _chunk(rng, 0, 1).schema) as writer:
        while path.stat().st_size < size_bytes:
            writer.write_table(_chunk(rng, first_id, CHUNK_ROWS))
            first_id += CHUNK_ROWS


def _chunk(rng: np.random.Generator, first_id: int, rows: int) -> pa.Table:
    age = rng.integers(18, 90, rows).astype(np.float64)
    age[rng.random(rows) < 0.05] = np.nan
    words = [pa.array(rng.choice(_WORDS, rows)) for _ in range(6)]
    columns: dict[str, pa.Array] = {
        "id": pa.array(np.arange(first_id, first_id + rows)),
        "age": pa.array(age, from_pandas=True).cast(pa.int64()),
        "income": pa.array(np.round(rng.normal(50_000, 15_000, rows), 2)),
        "score": pa.array(np.round(rng.random(rows), 4)),
        "ratio": pa.array(np.round(rng.random(rows) * 3, 3)),
        "visits": pa.array(rng.integers(0, 1000, rows)),
        "city": pa.array(rng.choice(_CITIES, rows)),
        "segment": pa.array(rng.choice(_CITIES[:3], rows)),
        "member": pa.array(rng.choice(np.array(["yes", "no"]), rows)),
        "promo": pa.array(rng.integers(0, 2, rows)),
        "comment": pc.binary_join_element_wise(*words, " "),
    }
    for index in range(1, 9):
        columns[f"x{index}"] = pa.array(np.round(rng.normal(size=rows), 5))
    columns[TARGET] = pa.array(rng.integers(0, 2, rows))
    return pa.table(columns)


def run_child(mode: str, path: Path, block_size: int) -> dict[str, Any]:
    """One measurement in this process: seconds, records and peak RSS (imports happen before the clock)."""
    from openaml.engine.data.files import DataFile
    from openaml.engine.data.ingest import ingest
    from openaml.engine.data.reading import inspect_file, iter_raw_batches

    file = DataFile.from_path(path)
    cpu_started = time.process_time()
    started = time.perf_counter()
    if mode == "read":
        names = inspect_file(file).first_record
        batches = iter_raw_batches(file, names, has_header=True, block_size=block_size)
        records = sum(batch.columns.num_rows for batch in batches)
    elif mode == "ingest":
        report = ingest(
            [file],
            None,
            compute_statistics=True,
            require_target=True,
            target_attribute_name=TARGET,
            block_size=block_size,
        )
        records = report.records_read
    else:
        import polars as pl

        frames = pl.scan_csv(path, infer_schema=False).collect_batches(chunk_size=100_000)
        records = sum(frame.height for frame in frames)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "records": records,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def measure(mode: str, path: Path, block_size: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", mode, str(path), "--block-size-mb", str(block_size >> 20)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="larger file size (the smaller is half)")
    parser.add_argument("--block-size-mb", type=int, default=4, help="engine read block size")
    parser.add_argument("--workdir", type=Path, default=None, help="where to write the CSV files")
    parser.add_argument("--compare-polars", action="store_true", help="also time polars' read")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    block_size = args.block_size_mb << 20
    if args.child:
        print(json.dumps(run_child(args.child[0], Path(args.child[1]), block_size)))
        return

    modes = ["read", "ingest"] + (["polars"] if args.compare_polars else [])
    with tempfile.TemporaryDirectory(dir=args.workdir) as folder:
        rows = []
        for size_mb in (args.size_mb // 2, args.size_mb):
            path = Path(folder) / f"mixed-{size_mb}mb.csv"
            started = time.perf_counter()
            generate_csv(path, size_mb * 1_000_000)
            megabytes = path.stat().st_size / 1e6
            print(
                f"generated {path.name}: {megabytes:,.0f} MB in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
            results = {mode: measure(mode, path, block_size) for mode in modes}
            path.unlink()
            rows.append((megabytes, results))
    _print_table(rows, block_size)


def _print_table(rows: list[tuple[float, dict[str, dict[str, Any]]]], block_size: int) -> None:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\npyarrow {pa.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs "
        f"(load average {load}: other work on the machine lowers both speeds and the ratio), "
        f"block size {block_size >> 20} MiB"
    )
    print(
        "| file MB | records | bare read MB/s | ingest + statistics MB/s | ratio "
        "| CPU s read / ingest | peak RSS read MB | peak RSS ingest MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for megabytes, results in rows:
        read, full = results["read"], results["ingest"]
        read_speed, ingest_speed = megabytes / read["seconds"], megabytes / full["seconds"]
        print(
            f"| {megabytes:,.0f} | {full['records']:,} | {read_speed:,.0f} | {ingest_speed:,.0f} | "
            f"{ingest_speed / read_speed:.2f} | {read['cpu_seconds']:.1f} / {full['cpu_seconds']:.1f} | "
            f"{read['peak_rss_mb']:,.0f} | {full['peak_rss_mb']:,.0f} |"
        )
    if "polars" in rows[0][1]:
        for megabytes, results in rows:
            polars = results["polars"]
            print(
                f"polars batched read of {megabytes:,.0f} MB: {megabytes / polars['seconds']:,.0f} MB/s, "
                f"peak RSS {polars['peak_rss_mb']:,.0f} MB"
            )


if __name__ == "__main__":
    main()
