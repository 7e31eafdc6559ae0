"""Typed frames (CONTRACTS §2) for the AutoML tests: shared datasets and small synthetic data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from openaml.engine.data.schema import Attribute, AttributeType, DataSchema

TypedData = tuple[pd.DataFrame, DataSchema]
_BINARY_WORDS = {"true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0, "yes": 1.0, "no": 0.0}


def typed_dataset(
    path: Path, target: str, *, types: dict[str, AttributeType] | None = None, rows: int | None = None
) -> TypedData:
    """Read ``path`` and type it as a datasource would (numbers NUMERIC, true/false BINARY, other
    strings CATEGORICAL unless ``types`` says otherwise), keeping a seeded sample of ``rows`` rows."""
    raw = pd.read_csv(path)
    if rows is not None and rows < len(raw):
        raw = raw.sample(n=rows, random_state=0).reset_index(drop=True)
    kinds = {name: (types or {}).get(name) or _infer(raw[name]) for name in raw.columns}
    frame = pd.DataFrame({name: _typed(raw[name], kind) for name, kind in kinds.items()})
    attributes = tuple(Attribute(name, kind) for name, kind in kinds.items())
    return frame, DataSchema(attributes=attributes, target_attribute_name=target)


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
        return values.astype(str).str.strip().str.lower().map(_BINARY_WORDS).astype(np.float64)
    return pd.Series([None if pd.isna(value) else str(value) for value in values], dtype=object)


@pytest.fixture
def load_dataset(datasets_dir: Path) -> Callable[..., TypedData]:
    """``load_dataset("titanic.csv", "survived", rows=300)`` → (typed frame, schema)."""

    def load(file_name: str, target: str, **options: object) -> TypedData:
        return typed_dataset(datasets_dir / file_name, target, **options)  # type: ignore[arg-type]

    return load


def synthetic_data(
    rows: int = 400, seed: int = 0, target_type: AttributeType = AttributeType.BINARY
) -> TypedData:
    """A small learnable problem with every attribute type, missing values and a rare category.

    The target depends on the number ``x``, the category ``colour`` and the words in ``note``.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    noise = rng.normal(size=rows)
    colour = rng.choice(["red", "green", "blue"], size=rows, p=[0.4, 0.3, 0.3]).astype(object)
    colour[3] = "violet"  # seen once: too rare to get a code of its own
    flag = rng.integers(0, 2, size=rows).astype(np.float64)
    good = rng.random(rows) < 0.5
    note = np.where(good, "great fine value", "awful broken junk")
    signal = x + (colour == "red") * 1.0 + good * 1.5 + 0.3 * rng.normal(size=rows)
    x[rng.random(rows) < 0.1] = np.nan
    target: pd.Series
    if target_type is AttributeType.NUMERIC:
        target = pd.Series(signal * 10.0 + 3.0)
    elif target_type is AttributeType.CATEGORICAL:
        target = pd.Series(np.where(signal < 0.3, "low", np.where(signal < 1.6, "mid", "high")), dtype=object)
    else:
        target = pd.Series((signal > 1.0).astype(np.float64))
    frame = pd.DataFrame(
        {
            "x": x,
            "noise": noise,
            "colour": pd.Series([None if i % 17 == 0 else c for i, c in enumerate(colour)], dtype=object),
            "flag": flag,
            "note": pd.Series(note, dtype=object),
            "y": target,
        }
    )
    schema = DataSchema(
        attributes=(
            Attribute("x", AttributeType.NUMERIC),
            Attribute("noise", AttributeType.NUMERIC),
            Attribute("colour", AttributeType.CATEGORICAL),
            Attribute("flag", AttributeType.BINARY),
            Attribute("note", AttributeType.TEXT),
            Attribute("y", target_type),
        ),
        target_attribute_name="y",
    )
    return frame, schema


@pytest.fixture
def synthetic() -> Callable[..., TypedData]:
    """``synthetic(rows=400, seed=0, target_type=AttributeType.BINARY)`` → (typed frame, schema)."""
    return synthetic_data
