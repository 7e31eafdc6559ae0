"""A small time-ordered binary dataset that drifts month by month, one CSV file per month.

The retrain tests train on the first months and append later ones as new files under the same prefix.
The target is ``x1 + w * x2 > 0`` with a weight ``w`` that moves from -1 (month 1) to +1 (month 9), so
a model trained on old months ranks new records worse (lower AUC) and a retrained one can win.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SCHEMA = json.dumps(
    {
        "version": "1.0",
        "targetAttributeName": "label",
        "dataFormat": "CSV",
        "dataFileContainsHeader": True,
        "attributes": [
            {"attributeName": "day", "attributeType": "NUMERIC"},
            {"attributeName": "x1", "attributeType": "NUMERIC"},
            {"attributeName": "x2", "attributeType": "NUMERIC"},
            {"attributeName": "label", "attributeType": "BINARY"},
        ],
    }
)


def write_months(folder: Path, months: range, rows_per_month: int = 150, seed: int = 7) -> list[Path]:
    """Write ``month-01.csv`` ... into ``folder`` (file order is time order); returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for month in months:
        rng = np.random.default_rng(seed * 100 + month)
        x1 = rng.normal(0.0, 1.0, rows_per_month)
        x2 = rng.normal(0.0, 1.0, rows_per_month)
        weight = -1.0 + 0.25 * (month - 1)
        label = ((x1 + weight * x2 + rng.normal(0, 0.15, rows_per_month)) > 0).astype(int)
        day = (month - 1) * 30 + np.sort(rng.integers(0, 30, rows_per_month))
        lines = ["day,x1,x2,label"] + [
            f"{d},{a:.4f},{b:.4f},{c}" for d, a, b, c in zip(day, x1, x2, label, strict=True)
        ]
        path = folder / f"month-{month:02d}.csv"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths
