"""Scoring evaluation data frame by frame gives what scoring one frame of all records gives."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from openaml.engine.evaluation.streaming import sample_positions, score_frames


class _TwiceX:
    """A stand-in model: the score of a record is twice its ``x``."""

    def predict_scores(self, frame: pd.DataFrame) -> Any:
        return frame["x"].to_numpy(dtype=np.float64) * 2


def test_frame_by_frame_scores_equal_one_frames_and_the_sample_is_the_chosen_records() -> None:
    frame = pd.DataFrame({"x": np.arange(100, dtype=np.float64), "y": np.arange(100) % 2})
    frames = [frame.iloc[start : start + 30].reset_index(drop=True) for start in range(0, 100, 30)]
    positions = sample_positions(100, 10, seed=3)

    scored = score_frames(_TwiceX(), iter([*frames[:2], frame.iloc[:0], *frames[2:]]), "y", positions)  # type: ignore[arg-type]

    assert scored.records == 100
    np.testing.assert_array_equal(scored.scores, frame["x"].to_numpy() * 2)
    np.testing.assert_array_equal(scored.targets, frame["y"].to_numpy())
    assert scored.sample["x"].tolist() == positions.astype(float).tolist()


def test_sample_positions_are_sorted_distinct_and_all_records_when_few() -> None:
    positions = sample_positions(1_000, 50)
    assert len(set(positions.tolist())) == 50 and np.all(np.diff(positions) > 0) and positions.max() < 1_000
    assert sample_positions(5, 50).tolist() == [0, 1, 2, 3, 4]
