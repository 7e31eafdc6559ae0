"""Parity of an export: the native model and the exported graph score the same rows, compared.

:func:`check_parity` scores a typed frame (CONTRACTS §2) with the model's ``predict_scores`` and with
onnxruntime, and reports the largest absolute score difference, the share of rows whose scores differ
by more than :data:`DIFFERENCE_TOLERANCE`, and the label agreement: the share of rows given the same
label (BINARY: the score threshold; MULTICLASS: the most probable class; REGRESSION: values within
:data:`DIFFERENCE_TOLERANCE` × max(1, |value|)). An export whose agreement is below
:data:`MIN_AGREEMENT` is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from openaml.engine.automl.columns import column, numeric_block
from openaml.engine.models import ModelType, TrainedModel

DIFFERENCE_TOLERANCE = 1e-4
MIN_AGREEMENT = 0.999
#: Rows the graph scores per run: text inputs become (rows × tokens or characters) string tensors.
PARITY_CHUNK_ROWS = 1_000


@dataclass(frozen=True)
class ParityReport:
    """How closely the export reproduces the native model on ``rows`` rows."""

    rows: int
    max_abs_difference: float
    label_agreement: float
    share_above_tolerance: float
    source: str

    @property
    def passed(self) -> bool:
        return self.label_agreement >= MIN_AGREEMENT

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "maxAbsScoreDifference": self.max_abs_difference,
            "labelAgreement": self.label_agreement,
            "shareAboveTolerance": self.share_above_tolerance,
            "tolerance": DIFFERENCE_TOLERANCE,
            "minLabelAgreement": MIN_AGREEMENT,
            "source": self.source,
            "passed": self.passed,
        }


def onnx_feeds(frame: pd.DataFrame, inputs: Mapping[str, str]) -> dict[str, npt.NDArray[Any]]:
    """The graph inputs for the rows of ``frame``: ``inputs`` maps each input to ``double`` or
    ``string``; missing numbers are NaN, missing strings ``""`` (absent columns are all missing)."""
    feeds: dict[str, npt.NDArray[Any]] = {}
    for name, kind in inputs.items():
        if kind == "double":
            feeds[name] = numeric_block(frame, [name])
        else:
            values = column(frame, name).to_numpy(dtype=object)
            strings = ["" if pd.isna(value) else str(value) for value in values]
            feeds[name] = np.array(strings, dtype=object).reshape(-1, 1)
    return feeds


def check_parity(
    model: TrainedModel,
    onnx_bytes: bytes,
    frame: pd.DataFrame,
    *,
    score_threshold: float | None,
    source: str,
) -> ParityReport:
    """Score ``frame`` natively and with onnxruntime and compare (see the module docstring)."""
    import json

    import onnxruntime

    session = onnxruntime.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    properties = session.get_modelmeta().custom_metadata_map
    inputs = {entry["name"]: entry["onnxType"] for entry in json.loads(properties["openaml.inputs"])}
    native = np.asarray(model.predict_scores(frame), dtype=np.float64)
    chunks = [
        session.run(["score"], onnx_feeds(frame.iloc[start : start + PARITY_CHUNK_ROWS], inputs))[0]
        for start in range(0, len(frame), PARITY_CHUNK_ROWS)
    ]
    exported = np.concatenate(chunks).astype(np.float64) if chunks else np.empty(native.shape)
    difference = np.abs(native - exported)
    per_row = difference.max(axis=1) if difference.ndim == 2 else difference
    if model.model_type is ModelType.BINARY:
        threshold = 0.5 if score_threshold is None else score_threshold
        agree = (native >= threshold) == (exported >= threshold)
    elif model.model_type is ModelType.MULTICLASS:
        agree = native.argmax(axis=1) == exported.argmax(axis=1)
    else:
        agree = per_row <= DIFFERENCE_TOLERANCE * np.maximum(1.0, np.abs(native))
    rows = len(frame)
    return ParityReport(
        rows=rows,
        max_abs_difference=float(np.nan_to_num(per_row.max(), nan=np.inf)) if rows else 0.0,
        label_agreement=float(agree.mean()) if rows else 1.0,
        share_above_tolerance=float((~(per_row <= DIFFERENCE_TOLERANCE)).mean()) if rows else 0.0,
        source=source,
    )
