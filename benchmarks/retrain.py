"""Benchmark: keeping a model current on drifting data — never retrained, monthly ``refit``, monthly
``research``.

Data: ``bike_sharing_hourly.csv`` from ``../shared/datasets`` (UCI Bike Sharing, hourly rentals of
2011-2012, target ``cnt``), ordered by its date column ``dteday``. Rentals grew strongly from 2011 to
2012 (a drifting target), which a model trained on the first months cannot know.

Protocol. A parent AutoML model trains on the first ``--first-months`` months (time-ordered
validation by ``dteday``, budget ``--budget``). Then, month by month, every model is scored (RMSE) on
the next month it has not seen, and the retrained models are updated with all rows up to that month:

* ``never``    the parent, never retrained;
* ``refit``    ``openaml.updateMode=refit``: the parent's ensemble fitted again on all rows so far;
* ``research`` ``openaml.updateMode=research``: a full search (budget ``--budget``) on all rows so
               far, starting from the previous month's research model's configurations.

The first month is scored before any update, so all three models are the parent there. The table
shows each month's RMSE, the ratio of each retrained model's RMSE to the never-retrained one's (below
1.0 = better) and the wall time of each retrain; the last row sums the errors and times.

Usage::

    .venv/bin/python benchmarks/retrain.py --budget 15
    .venv/bin/python benchmarks/retrain.py --budget 10 --months 6
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from openaml.engine.automl import AutoMLParameters, AutoMLResult, train_automl
from openaml.engine.automl.lineage import ParentEnsemble
from openaml.engine.automl.refit import refit_parent
from openaml.engine.data.files import DataFile
from openaml.engine.data.inference import infer_schema
from openaml.engine.data.ingest import read_frame
from openaml.engine.data.schema import DataSchema
from openaml.engine.models import ModelType, TrainedModel

DEFAULT_DATASETS_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets"
FILE = "bike_sharing_hourly.csv"
TARGET = "cnt"
DATE = "dteday"


@dataclass
class MonthRow:
    """One evaluated month: the error of each model on it and the time each update took after it."""

    month: str
    rows: int
    never: float
    refit: float
    research: float
    refit_seconds: float | None = None
    research_seconds: float | None = None


def load(directory: Path) -> tuple[pd.DataFrame, DataSchema]:
    """The dataset as a typed frame through OpenAML's data engine, oldest rows first."""
    files = [DataFile.from_path(directory / FILE)]
    schema = infer_schema(files, target_attribute_name=TARGET)
    frame = read_frame(files, schema, require_target=True)
    frame = frame.sort_values(DATE, kind="stable").reset_index(drop=True)
    return frame, schema


def rmse(model: TrainedModel, frame: pd.DataFrame) -> float:
    errors = model.predict_scores(frame) - frame[TARGET].to_numpy(dtype=np.float64)
    return float(np.sqrt(np.mean(errors**2)))


def run(directory: Path, budget: float, first_months: int, months: int | None) -> list[MonthRow]:
    frame, schema = load(directory)
    month_of = frame[DATE].astype(str).str.slice(0, 7)
    all_months = sorted(month_of.unique())
    evaluated = all_months[first_months:]
    if months is not None:
        evaluated = evaluated[:months]
    params = AutoMLParameters(time_budget_seconds=budget, time_attribute=DATE, seed=0)
    train = frame[month_of < evaluated[0]].reset_index(drop=True)
    print(
        f"parent: {len(train):,} rows ({all_months[0]} to {all_months[first_months - 1]}), "
        f"budget {budget:g} s"
    )
    started = time.monotonic()
    parent = train_automl(train, schema, ModelType.REGRESSION, params)
    print(f"  {parent.model.algorithm} in {time.monotonic() - started:.1f} s", flush=True)
    parent_spec = ParentEnsemble("parent", schema, parent.members)
    refit_model: TrainedModel = parent.model
    research: AutoMLResult = parent
    rows = []
    for month in evaluated:
        test = frame[month_of == month].reset_index(drop=True)
        row = MonthRow(
            month, len(test), rmse(parent.model, test), rmse(refit_model, test), rmse(research.model, test)
        )
        seen = frame[month_of <= month].reset_index(drop=True)
        started = time.monotonic()
        refit_model = refit_parent(seen, schema, ModelType.REGRESSION, params, parent_spec).model
        row.refit_seconds = time.monotonic() - started
        started = time.monotonic()
        research = train_automl(seen, schema, ModelType.REGRESSION, params, start_from=research.members)
        row.research_seconds = time.monotonic() - started
        print(
            f"  {month}: rmse never {row.never:.1f}, refit {row.refit:.1f}, research {row.research:.1f}; "
            f"retrain on {len(seen):,} rows: refit {row.refit_seconds:.1f} s, "
            f"research {row.research_seconds:.1f} s ({research.model.algorithm})",
            flush=True,
        )
        rows.append(row)
    return rows


def table(rows: list[MonthRow]) -> str:
    """The markdown table of the run (see the module docstring)."""
    lines = [
        "| month scored | rows | RMSE never retrained | RMSE refit | RMSE research | refit / never "
        "| research / never | refit s | research s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.month} | {row.rows:,} | {row.never:.1f} | {row.refit:.1f} | {row.research:.1f} "
            f"| {row.refit / row.never:.2f} | {row.research / row.never:.2f} "
            f"| {row.refit_seconds or 0:.1f} | {row.research_seconds or 0:.1f} |"
        )
    never, refit, research = (
        sum(getattr(row, name) for row in rows) for name in ("never", "refit", "research")
    )
    ratios = [(row.refit / row.never, row.research / row.never) for row in rows]
    geometric = [math.exp(np.mean([math.log(pair[i]) for pair in ratios])) for i in (0, 1)]
    refit_seconds = sum(row.refit_seconds or 0.0 for row in rows)
    research_seconds = sum(row.research_seconds or 0.0 for row in rows)
    lines.append(
        f"| **all {len(rows)} months** (sum; ratios: of the sums, geometric mean) "
        f"| {sum(row.rows for row in rows):,} | {never:.0f} | {refit:.0f} | {research:.0f} "
        f"| {refit / never:.2f} ({geometric[0]:.2f}) | {research / never:.2f} ({geometric[1]:.2f}) "
        f"| {refit_seconds:.1f} | {research_seconds:.1f} |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets-dir", type=Path, default=DEFAULT_DATASETS_DIR)
    parser.add_argument(
        "--budget", type=float, default=15.0, help="seconds for the parent and each research run"
    )
    parser.add_argument("--first-months", type=int, default=6, help="months the parent trains on")
    parser.add_argument("--months", type=int, default=None, help="evaluate this many months (default: all)")
    args = parser.parse_args(argv)
    rows = run(args.datasets_dir, args.budget, args.first_months, args.months)
    print()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
