"""Typed frames (contract 2) and schemas for the shared datasets, built directly with pandas."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from openaml.engine.data.schema import Attribute, AttributeType, DataSchema

TypedData = tuple[pd.DataFrame, DataSchema]


def typed_dataset(
    path: Path,
    target: str,
    *,
    types: dict[str, AttributeType] | None = None,
    rows: int | None = None,
    seed: int = 0,
) -> TypedData:
    """Read ``path`` and type it as a datasource would: numbers → NUMERIC, true/false → BINARY,
    other strings → CATEGORICAL, unless ``types`` says otherwise; optionally sample ``rows`` rows."""
    raw = pd.read_csv(path)
    if rows is not None and rows < len(raw):
        raw = raw.sample(n=rows, random_state=seed).reset_index(drop=True)
    types = dict(types or {})
    columns = {}
    for name in raw.columns:
        kind = types.get(name) or _infer(raw[name])
        types[name] = kind
        columns[name] = _typed(raw[name], kind)
    schema = DataSchema(
        attributes=tuple(Attribute(name, types[name]) for name in raw.columns), target_attribute_name=target
    )
    return pd.DataFrame(columns), schema


def _infer(values: pd.Series) -> AttributeType:
    if pd.api.types.is_bool_dtype(values):
        return AttributeType.BINARY
    if pd.api.types.is_numeric_dtype(values):
        return AttributeType.NUMERIC
    return AttributeType.CATEGORICAL


def _typed(values: pd.Series, kind: AttributeType) -> pd.Series:
    if kind is AttributeType.NUMERIC:
        return pd.to_numeric(values, errors="coerce").astype(np.float64)
    if kind is AttributeType.BINARY:
        text = values.astype(str).str.strip().str.lower()
        mapped = text.map({"true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0, "yes": 1.0, "no": 0.0})
        return mapped.astype(np.float64)
    return values.astype(object).where(values.notna(), None)


@pytest.fixture
def load_dataset(datasets_dir: Path) -> Callable[..., TypedData]:
    """``load_dataset("titanic.csv", "survived", rows=300)`` → (typed frame, schema)."""

    def load(file_name: str, target: str, **options: object) -> TypedData:
        return typed_dataset(datasets_dir / file_name, target, **options)  # type: ignore[arg-type]

    return load
