"""Benchmark: ONNX export of AutoML models of the dev datasets — export time, parity, refusals.

For every dataset of ``../shared/datasets`` (the 75/25 split of ``benchmarks/automl.py``) AutoML
trains on the train part with ``--budget`` seconds (and ``--algorithms`` when given); the model is
then exported to ONNX and its parity checked on the test part (at most 10,000 rows), as an export
job does with a model's evaluation datasource. A model the exporter refuses shows the reasons.

Usage::

    .venv/bin/python benchmarks/export.py --budget 10
    .venv/bin/python benchmarks/export.py --budget 10 --datasets titanic,penguins --algorithms lightgbm,linear
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from automl import DATASETS, DEFAULT_DATASETS_DIR, SEED, load, split

from openaml.engine.automl import AutoMLParameters, train_automl
from openaml.engine.export import check_parity, export_onnx, onnx_refusals

PARITY_ROWS = 10_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=10.0, help="AutoML seconds per dataset")
    parser.add_argument("--algorithms", default=None, help="comma list of AutoML families (default: all)")
    parser.add_argument(
        "--datasets", default="all", help=f"comma list of {', '.join(d.name for d in DATASETS)}"
    )
    parser.add_argument("--datasets-dir", type=Path, default=DEFAULT_DATASETS_DIR)
    args = parser.parse_args(argv)
    chosen = [d for d in DATASETS if args.datasets == "all" or d.name in args.datasets.split(",")]
    print(
        "| dataset | model | export s | ONNX MB | parity rows | label agreement | max abs Δscore "
        "| rows Δ>1e-4 |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for dataset in chosen:
        frame, schema = load(dataset, args.datasets_dir)
        train, test = split(frame, dataset)
        options: dict[str, object] = {"time_budget_seconds": args.budget, "seed": SEED}
        if args.algorithms:
            options["algorithms"] = tuple(args.algorithms.split(","))
        model = train_automl(train, schema, dataset.model_type, AutoMLParameters(**options)).model  # type: ignore[arg-type]
        reasons = onnx_refusals(model)
        if reasons:
            print(f"| {dataset.name} | {model.algorithm} | refused: {'; '.join(reasons)} ||||||")
            continue
        started = time.perf_counter()
        exported = export_onnx(model, schema, score_threshold=0.5)
        seconds = time.perf_counter() - started
        rows = test.drop(columns=[dataset.target]).head(PARITY_ROWS)
        report = check_parity(model, exported, rows, score_threshold=0.5, source="test part")
        size = len(exported) / 1e6
        print(
            f"| {dataset.name} | {model.algorithm} | {seconds:.2f} | {size:.1f} | {report.rows:,} "
            f"| {report.label_agreement:.2%} | {report.max_abs_difference:.1e} "
            f"| {report.share_above_tolerance:.2%} |"
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
