"""Real datasets as typed frames (CONTRACTS §2) with hand-written schemas, split into train and test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from openaml.engine.data.schema import Attribute, AttributeType, DataSchema

T = AttributeType
_TRUE = {"1", "y", "yes", "t", "true"}
_FALSE = {"0", "n", "no", "f", "false"}


@dataclass(frozen=True)
class Dataset:
    schema: DataSchema
    train: pd.DataFrame
    test: pd.DataFrame

    @property
    def target(self) -> str:
        assert self.schema.target_attribute_name is not None
        return self.schema.target_attribute_name


def typed_frame(raw: pd.DataFrame, schema: DataSchema) -> pd.DataFrame:
    """Convert a frame of CSV values to the typed frame the engine consumes."""
    columns: dict[str, object] = {}
    for attribute in schema.attributes:
        values = raw[attribute.name]
        if attribute.type is T.NUMERIC:
            columns[attribute.name] = pd.to_numeric(values).astype(np.float64)
        elif attribute.type is T.BINARY:
            literals = values.astype(str).str.strip().str.lower()
            columns[attribute.name] = np.where(
                literals.isin(_TRUE), 1.0, np.where(literals.isin(_FALSE), 0.0, np.nan)
            )
        else:
            columns[attribute.name] = pd.Series(
                [None if pd.isna(value) else str(value) for value in values], dtype=object
            )
    return pd.DataFrame(columns)


def load_dataset(path: Path, target: str, types: dict[str, AttributeType]) -> Dataset:
    """Read ``path``; columns not in ``types`` are NUMERIC; a fixed 70/30 random split."""
    raw = pd.read_csv(path)
    schema = DataSchema(
        attributes=tuple(Attribute(name, types.get(name, T.NUMERIC)) for name in raw.columns),
        target_attribute_name=target,
    )
    frame = typed_frame(raw, schema)
    order = np.random.default_rng(0).permutation(len(frame))
    cut = int(0.7 * len(frame))
    return Dataset(
        schema, frame.iloc[order[:cut]].reset_index(drop=True), frame.iloc[order[cut:]].reset_index(drop=True)
    )


@pytest.fixture(scope="session")
def titanic(datasets_dir: Path) -> Dataset:
    categorical = ("sex", "embarked", "class", "who", "deck", "embark_town")
    types = {name: T.CATEGORICAL for name in categorical} | {
        name: T.BINARY for name in ("survived", "adult_male", "alone")
    }
    return load_dataset(datasets_dir / "titanic.csv", "survived", types)


@pytest.fixture(scope="session")
def sentiment(datasets_dir: Path) -> Dataset:
    types = {"text": T.TEXT, "source": T.CATEGORICAL, "sentiment": T.BINARY}
    return load_dataset(datasets_dir / "sentiment_sentences.csv", "sentiment", types)


@pytest.fixture(scope="session")
def penguins(datasets_dir: Path) -> Dataset:
    types = {"species": T.CATEGORICAL, "island": T.CATEGORICAL, "sex": T.CATEGORICAL}
    return load_dataset(datasets_dir / "penguins.csv", "species", types)


@pytest.fixture(scope="session")
def wine_quality(datasets_dir: Path) -> Dataset:
    return load_dataset(datasets_dir / "wine_quality.csv", "quality", {"color": T.CATEGORICAL})
