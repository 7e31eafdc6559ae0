"""Helpers of the batch prediction tests: trained models, batch files, in-memory outputs, a fake model."""

from __future__ import annotations

import contextlib
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import pandas as pd

from openaml.engine.data.files import DataFile
from openaml.engine.data.inference import infer_schema
from openaml.engine.data.ingest import read_frame
from openaml.engine.data.schema import DataSchema
from openaml.engine.models import ModelType, TrainedModel
from openaml.engine.sgd import train_sgd_model


@dataclass(frozen=True)
class Trained:
    """A tiny SGD model with its training schema and the typed training frame (in file order)."""

    model: TrainedModel
    schema: DataSchema
    frame: pd.DataFrame
    raw: pd.DataFrame

    @property
    def target(self) -> str:
        assert self.schema.target_attribute_name is not None
        return self.schema.target_attribute_name


def train_on(path: Path, target: str, model_type: ModelType) -> Trained:
    file = DataFile.from_path(path)
    schema = infer_schema([file], target_attribute_name=target)
    frame = read_frame([file], schema, require_target=False)
    labelled = frame[frame[target].notna()]
    model = train_sgd_model(
        labelled, schema, model_type, {"sgd.shuffleType": "auto"}, recipe_text=None, statistics=None
    )
    return Trained(model, schema, frame, pd.read_csv(path, dtype=str, keep_default_na=False))


def write_batch_csv(
    path: Path, raw: pd.DataFrame, *, drop: tuple[str, ...] = (), ids: list[str] | None = None
) -> DataFile:
    """Write ``raw`` (all text) as a CSV batch file, without ``drop`` and with a first ``id`` column."""
    table = raw.drop(columns=list(drop))
    if ids is not None:
        table.insert(0, "id", ids)
    table.to_csv(path, index=False)
    return DataFile.from_path(path)


@dataclass
class MemoryOutputs:
    """An ``open_output`` for tests: keeps what was written, and which outputs were abandoned."""

    files: dict[str, bytes] = field(default_factory=dict)
    discarded: list[str] = field(default_factory=list)

    @contextlib.contextmanager
    def open(self, uri: str) -> Iterator[BinaryIO]:
        buffer = io.BytesIO()
        try:
            yield buffer
        except BaseException:
            self.discarded.append(uri)
            raise
        self.files[uri] = buffer.getvalue()

    def text(self, uri: str) -> str:
        """A gzip CSV output, decompressed."""
        return gzip.decompress(self.files[uri]).decode("utf-8")

    def frame(self, uri: str) -> pd.DataFrame:
        """A gzip CSV output read by pandas, a blank line becoming a row of NaN."""
        return pd.read_csv(
            io.BytesIO(self.files[uri]), compression="gzip", skip_blank_lines=False, dtype={"tag": str}
        )


def result_name(file: DataFile) -> str:
    """``output_name_for`` of the tests: the input's file name under ``out/``."""
    return "out/" + file.uri.rsplit("/", 1)[-1] + ".gz"


class FixedModel:
    """A test double of :class:`TrainedModel` whose scores come from a function of the frame."""

    algorithm = "fixed"

    def __init__(self, model_type: ModelType, classes: tuple[str, ...] | None, column: str) -> None:
        self.model_type = model_type
        self.classes = classes
        self.column = column

    def predict_scores(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        """The ``column`` values themselves (BINARY, REGRESSION) or spread over the classes (MULTICLASS)."""
        values = frame[self.column].to_numpy(dtype=np.float64)
        if self.model_type is not ModelType.MULTICLASS:
            return values
        assert self.classes is not None
        first = np.clip(values, 0.0, 1.0)
        rest = np.repeat(((1.0 - first) / (len(self.classes) - 1))[:, None], len(self.classes) - 1, axis=1)
        return np.column_stack([first, rest])
