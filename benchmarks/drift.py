"""Benchmark: a drift report of 1M × 20 records against its baseline, next to the ingest of the same data.

Generates two CSV datasources of ``--rows`` records × 20 attributes (14 NUMERIC, 6 CATEGORICAL): the
baseline, and a current set where 3 numeric and 1 categorical attributes are shifted. Measures, in
this process:

* ``ingest`` — the datasource ingest pass with statistics (``engine.data.ingest.ingest``, what the
  ingest job runs), per datasource; it also makes the bounded record sample drift reports compare;
* ``report`` — what a drift report job computes once both datasources exist: read both samples from
  their Parquet bytes and compare every attribute (PSI + normalised Wasserstein, Jensen–Shannon);
* ``recompute`` — the report of a datasource ingested before samples were kept: one more pass over the
  current data to make its sample, then the comparison.

Prints the times, the report's time over one ingest, and whether exactly the shifted attributes drifted.

Usage::

    .venv/bin/python benchmarks/drift.py              # 1,000,000 rows
    .venv/bin/python benchmarks/drift.py --rows 200000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from openaml.engine.data.files import DataFile
from openaml.engine.data.ingest import ingest
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.drift.report import compare_frames
from openaml.engine.drift.samples import recompute_sample, sample_frame, sample_to_parquet

NUMERIC, CATEGORICAL = 14, 6
SHIFTED = {"n0", "n1", "n2", "c0"}


def schema() -> DataSchema:
    attributes = [Attribute(f"n{i}", AttributeType.NUMERIC) for i in range(NUMERIC)]
    attributes += [Attribute(f"c{i}", AttributeType.CATEGORICAL) for i in range(CATEGORICAL)]
    return DataSchema(attributes=tuple(attributes))


def write_csv(path: Path, rows: int, *, shifted: bool, seed: int) -> DataFile:
    rng = np.random.default_rng(seed)
    columns: dict[str, pa.Array] = {}
    for i in range(NUMERIC):
        shift = 1.0 if shifted and f"n{i}" in SHIFTED else 0.0
        columns[f"n{i}"] = pa.array(np.round(rng.normal(10.0 * i + shift * 10.0, 10.0, rows), 4))
    levels = np.array([f"level{j}" for j in range(12)])
    for i in range(CATEGORICAL):
        weights = np.linspace(1.0, 2.0, 12) if shifted and f"c{i}" in SHIFTED else np.linspace(2.0, 1.0, 12)
        columns[f"c{i}"] = pa.array(rng.choice(levels, rows, p=weights / weights.sum()))
    pacsv.write_csv(pa.table(columns), path)
    return DataFile(uri=path.as_uri(), size=path.stat().st_size, open=lambda: path.open("rb"))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    data_schema = schema()
    with tempfile.TemporaryDirectory() as folder:
        baseline_file = write_csv(Path(folder) / "baseline.csv", args.rows, shifted=False, seed=1)
        current_file = write_csv(Path(folder) / "current.csv", args.rows, shifted=True, seed=2)
        samples = {}
        ingest_seconds = {}
        for name, file in (("baseline", baseline_file), ("current", current_file)):
            started = time.perf_counter()
            report = ingest([file], data_schema, compute_statistics=True, require_target=False)
            ingest_seconds[name] = time.perf_counter() - started
            assert report.sample is not None
            samples[name] = sample_to_parquet(report.sample)
            print(
                f"ingest {name}: {ingest_seconds[name]:.2f} s, {report.sample.num_rows:,} sampled rows",
                flush=True,
            )
        started = time.perf_counter()
        comparison = compare_frames(
            data_schema, sample_frame(samples["baseline"]), sample_frame(samples["current"])
        )
        report_seconds = time.perf_counter() - started
        started = time.perf_counter()
        recomputed = recompute_sample([current_file], data_schema, None)
        lazy = compare_frames(
            data_schema, sample_frame(samples["baseline"]), sample_frame(sample_to_parquet(recomputed))
        )
        recompute_seconds = time.perf_counter() - started
        size_mb = (baseline_file.size + current_file.size) / 2 / 2**20
    drifted = {a["name"] for a in comparison["attributes"] if a["drifted"]}
    assert {a["name"] for a in lazy["attributes"] if a["drifted"]} == drifted
    ingest_mean = sum(ingest_seconds.values()) / 2
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\n{os.cpu_count()} CPUs, load average {load}; {args.rows:,} rows × 20 attributes, "
        f"{size_mb:.0f} MiB CSV each\n"
    )
    print("| step | seconds | over one ingest |")
    print("|---|---:|---:|")
    print(f"| ingest with statistics (mean of the two) | {ingest_mean:.2f} | 1.00 |")
    print(
        f"| drift report from the stored samples | {report_seconds:.2f} "
        f"| {report_seconds / ingest_mean:.3f} |"
    )
    print(
        f"| drift report, current sample made again | {recompute_seconds:.2f} "
        f"| {recompute_seconds / ingest_mean:.3f} |"
    )
    print(f"\ndrifted: {sorted(drifted)} (shifted: {sorted(SHIFTED)}); exact: {drifted == SHIFTED}")


if __name__ == "__main__":
    main()
