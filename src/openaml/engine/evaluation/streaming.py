"""Scoring evaluation data batch by batch: memory bounded by one batch, whatever the data's size.

An evaluation needs every record's target and score (to compute the metrics), and a sample of the
records (to compare with the training data for drift) — not a frame of all records. :func:`score_frames`
reads typed frames one at a time, keeps the target and the scores (a few bytes per record) and the
records at chosen positions, and lets each frame go.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from openaml.engine.models import TrainedModel


@dataclass(frozen=True)
class ScoredRecords:
    """The targets and scores of all records read, and the sampled records."""

    targets: npt.NDArray[Any]
    scores: npt.NDArray[np.float64]
    #: The records at the sample positions (in input order), as one typed frame.
    sample: pd.DataFrame
    records: int


def sample_positions(expected_records: int, size: int, seed: int = 0) -> npt.NDArray[np.int64]:
    """``size`` distinct positions below ``expected_records``, sorted (all of them when fewer)."""
    if expected_records <= size:
        return np.arange(expected_records, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(expected_records, size=size, replace=False)).astype(np.int64)


def score_frames(
    model: TrainedModel, frames: Iterable[pd.DataFrame], target: str, positions: npt.NDArray[np.int64]
) -> ScoredRecords:
    """Score each typed frame of ``frames`` (input order) with ``model``; keep the records at
    ``positions`` (sorted positions among all records; those past the end are simply not found)."""
    targets: list[npt.NDArray[Any]] = []
    scores: list[npt.NDArray[np.float64]] = []
    sampled: list[pd.DataFrame] = []
    first = 0
    for frame in frames:
        if frame.empty:
            continue
        scores.append(np.asarray(model.predict_scores(frame)))
        # a copy: a view would keep the frame's whole block of float64 columns alive
        targets.append(frame[target].to_numpy(copy=True))
        start, end = np.searchsorted(positions, [first, first + len(frame)])
        if end > start:
            sampled.append(frame.iloc[positions[start:end] - first])
        first += len(frame)
    sample = pd.concat(sampled, ignore_index=True) if sampled else pd.DataFrame()
    return ScoredRecords(
        targets=np.concatenate(targets) if targets else np.empty(0),
        scores=np.concatenate(scores) if scores else np.empty(0),
        sample=sample,
        records=first,
    )
