"""Real datasets read as the service reads them, and their rows as ``Predict`` sends them (strings)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from openaml.engine.data.files import DataFile
from openaml.engine.data.inference import infer_schema
from openaml.engine.data.ingest import read_frame
from openaml.engine.data.schema import DataSchema


@dataclass(frozen=True)
class ServiceData:
    """A datasource's schema and typed frame, and the same rows as string records."""

    schema: DataSchema
    frame: pd.DataFrame
    records: list[dict[str, str]]


@pytest.fixture(scope="session")
def service_data(datasets_dir: Path) -> Callable[[str, str], ServiceData]:
    """``service_data("titanic.csv", "survived")``: the file typed by the inferred schema; records
    leave out empty fields (missing values), as a client sending only what it knows would."""
    cache: dict[tuple[str, str], ServiceData] = {}

    def load(file_name: str, target: str) -> ServiceData:
        if (file_name, target) not in cache:
            file = DataFile.from_path(datasets_dir / file_name)
            schema = infer_schema([file], target_attribute_name=target)
            raw = pd.read_csv(datasets_dir / file_name, dtype=str, keep_default_na=False)
            records = [
                {name: value for name, value in row.items() if value} for row in raw.to_dict("records")
            ]
            cache[file_name, target] = ServiceData(
                schema, read_frame([file], schema, require_target=True), records
            )
        return cache[file_name, target]

    return load
