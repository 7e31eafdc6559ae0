"""The training target: rows with a usable value, encoded as numbers (class indices for MULTICLASS).

BINARY targets must be 0/1; MULTICLASS labels become class indices (numeric-looking labels in
numeric order, others alphabetically); REGRESSION targets are finite numbers. Frames and compact
tables (:mod:`.table`) are prepared the same way; only the target column of a table is read.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from openaml.engine.automl.families.base import Labels
from openaml.engine.automl.table import target_values
from openaml.engine.models import ModelType
from openaml.errors import InvalidInputException

MIN_TRAINING_ROWS = 10


def prepare_target(
    frame: pd.DataFrame, target: str, model_type: ModelType
) -> tuple[pd.DataFrame, Labels, tuple[str, ...] | None]:
    """Rows with a usable target, the encoded target and the class labels."""
    if target not in frame.columns:
        raise InvalidInputException(f"The training data has no target column {target!r}.")
    present, y, classes = _encode_target(frame[target], target, model_type)
    # Typed frames read for training hold only rows with a target: no copy of (possibly) millions of
    # rows then. Nothing here changes the frame in place, so sharing it with the caller is safe.
    whole = bool(present.all()) and frame.index.equals(pd.RangeIndex(len(frame)))
    rows = frame if whole else frame.loc[present].reset_index(drop=True)
    return rows, y, classes


def _encode_target(
    values: pd.Series, target: str, model_type: ModelType
) -> tuple[npt.NDArray[np.bool_], Labels, tuple[str, ...] | None]:
    """Which rows have a usable target, their encoded target and the class labels (checked)."""
    present = values.notna().to_numpy(copy=True)
    classes: tuple[str, ...] | None
    if model_type is ModelType.REGRESSION:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        present &= np.isfinite(numbers)
        y: Labels = numbers[present]
        classes = None
    elif model_type is ModelType.BINARY:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        unexpected = present & ~np.isin(numbers, (0.0, 1.0))
        if unexpected.any():
            example = values[unexpected].iloc[0]
            raise InvalidInputException(
                f"A BINARY model needs a 0/1 target, but {target!r} has the value {example!r}; "
                "use MULTICLASS or REGRESSION for other targets."
            )
        y = numbers[present].astype(np.int64)
        classes = ("0", "1")
    else:
        labels = values[present].astype(str).to_numpy()
        classes = _ordered_labels(np.unique(labels))
        y = pd.Series(labels).map({label: index for index, label in enumerate(classes)}).to_numpy(np.int64)
    _check_training_rows(y, model_type, target)
    return present, y, classes


def prepare_table_target(
    table: pa.Table, target: str, model_type: ModelType
) -> tuple[pa.Table, Labels, tuple[str, ...] | None]:
    """:func:`prepare_target` for a compact table: only the target column becomes a pandas column."""
    values = target_values(table, target)
    if values is None:
        raise InvalidInputException(f"The training data has no target column {target!r}.")
    present, y, classes = _encode_target(values, target, model_type)
    del values
    if not present.all():
        table = table.filter(pa.array(present))
    return table, y, classes


def _ordered_labels(labels: np.ndarray) -> tuple[str, ...]:
    """Class labels in numeric order when they all look like numbers, alphabetically otherwise."""
    try:
        return tuple(sorted(labels.tolist(), key=float))
    except ValueError:
        return tuple(sorted(labels.tolist()))


def _check_training_rows(y: Labels, model_type: ModelType, target: str) -> None:
    if len(y) < MIN_TRAINING_ROWS:
        raise InvalidInputException(
            f"Only {len(y)} records have a value for the target {target!r}; "
            f"training needs at least {MIN_TRAINING_ROWS}."
        )
    if model_type is ModelType.REGRESSION:
        return
    counts = np.bincount(y)
    if np.count_nonzero(counts) < 2:
        raise InvalidInputException(
            f"The target {target!r} has a single value; a classifier needs at least two."
        )
    if model_type is ModelType.BINARY and counts.min() < 2:
        raise InvalidInputException(
            f"The target {target!r} needs at least two records of each class 0 and 1."
        )
