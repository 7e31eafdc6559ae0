"""Internal validation: stratified k-fold cross-validation on small data, a holdout on large data.

Folds are stratified by class (by target decile for regression) with a seeded round-robin over each
stratum, which works for any class sizes, even a class with a single row. The same module draws the
stratified subsample the search works on when the data exceeds the search row limit.

Records that come in groups (``openaml.groupAttribute``: readings of one subject, sales of one
store) are split group by group: a random split would put records of the same group on both sides
and validate on groups the model has seen, which overstates how it will do on new ones. Records
ordered in time (``openaml.timeAttribute``) are validated on the newest share, which is what
predicting the future from the past looks like.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.model_selection import GroupKFold, GroupShuffleSplit

from openaml.engine.data.names import unknown_column_message
from openaml.engine.data.schema import DataSchema
from openaml.engine.models import ModelType
from openaml.errors import InvalidInputException

IndexArray = npt.NDArray[np.intp]

HOLDOUT_FRACTION = 0.2
_SMALL_ROWS = 2_500
_MEDIUM_ROWS = 10_000
_WIDE_CELLS = 500_000
_REGRESSION_STRATA = 10


@dataclass(frozen=True)
class ValidationPlan:
    """Train/validation index pairs over the search rows, and the rows that get validation scores."""

    folds: tuple[tuple[IndexArray, IndexArray], ...]
    validation_rows: IndexArray
    description: str
    #: Whether a bagged forest fitted on all search rows may be validated by its out-of-bag scores
    #: instead: only on a random holdout. Bootstrap samples ignore groups and time; and against
    #: cross-validation, whose models see (k-1)/k of the rows, out-of-bag scores (each row scored by
    #: trees that together saw every other row) are optimistic, most where records repeat.
    allows_out_of_bag: bool = False

    @property
    def is_cross_validation(self) -> bool:
        return len(self.folds) > 1


def check_validation_attributes(
    schema: DataSchema, group_attribute: str | None, time_attribute: str | None
) -> None:
    """Raise ``InvalidInputException`` when ``openaml.groupAttribute`` or ``openaml.timeAttribute`` is
    not an attribute of ``schema`` other than its target, naming the closest attribute there is.

    Either may be an attribute excluded from the inputs. Checked when the model is requested (against
    the training datasource's schema) and again when training starts.
    """
    names = [a.name for a in schema.attributes if a.name != schema.target_attribute_name]
    for key, name in (("groupAttribute", group_attribute), ("timeAttribute", time_attribute)):
        if name is None or name in names:
            continue
        if name == schema.target_attribute_name:
            raise InvalidInputException(
                f"openaml.{key} {name!r} is the target attribute; it must name another attribute."
            )
        raise InvalidInputException(
            unknown_column_message(f"openaml.{key}", name, names, "an attribute of the datasource's schema")
        )


def choose_folds(n_rows: int, n_columns: int, requested: int | None) -> int:
    """The number of folds, 0 meaning a holdout: the request, or a size-based default."""
    if requested is not None:
        return requested
    if n_rows <= _SMALL_ROWS:
        return 5 if n_rows * n_columns <= _WIDE_CELLS else 3
    if n_rows <= _MEDIUM_ROWS:
        return 3
    return 0


def plan_validation(
    y: npt.NDArray[np.generic], model_type: ModelType, folds: int, seed: int
) -> ValidationPlan:
    """Stratified ``folds``-fold cross-validation, or a 20% holdout when ``folds`` is 0."""
    n_rows = len(y)
    parts = folds if folds >= 2 else round(1 / HOLDOUT_FRACTION)
    assignment = _stratified_assignment(_strata(y, model_type), parts, seed)
    all_rows = np.arange(n_rows)
    if folds >= 2:
        pairs = tuple((all_rows[assignment != fold], all_rows[assignment == fold]) for fold in range(folds))
        return ValidationPlan(pairs, all_rows, f"{folds}-fold cross-validation on {n_rows} rows")
    holdout = all_rows[assignment == 0]
    return ValidationPlan(
        ((all_rows[assignment != 0], holdout),),
        holdout,
        f"{HOLDOUT_FRACTION:.0%} holdout ({len(holdout)} of {n_rows} rows)",
        allows_out_of_bag=True,
    )


def plan_group_validation(groups: pd.Series, folds: int, seed: int, attribute: str) -> ValidationPlan:
    """Group k-fold (at most one fold per group), or a 20% group holdout when ``folds`` is 0.

    ``groups`` holds each row's group label; a row without one is a group of its own.
    """
    codes, uniques = pd.factorize(groups, use_na_sentinel=True)
    n_groups = len(uniques)
    missing = codes < 0
    codes[missing] = n_groups + np.arange(int(missing.sum()))
    n_groups += int(missing.sum())
    if n_groups < 2:
        raise InvalidInputException(
            f"openaml.groupAttribute {attribute!r} has a single value, so validation cannot keep groups "
            "apart; name an attribute with at least two groups, or leave the parameter out."
        )
    n_rows = len(codes)
    rows = np.arange(n_rows)
    described = f"{n_groups} groups of {attribute!r}"
    if folds >= 2:
        parts = min(folds, n_groups)
        splitter = GroupKFold(n_splits=parts, shuffle=True, random_state=seed)
        pairs = tuple(
            (np.sort(train).astype(np.intp), np.sort(valid).astype(np.intp))
            for train, valid in splitter.split(rows, groups=codes)
        )
        return ValidationPlan(
            pairs, rows, f"{parts}-fold group cross-validation on {n_rows} rows ({described})"
        )
    holdout_split = GroupShuffleSplit(n_splits=1, test_size=HOLDOUT_FRACTION, random_state=seed)
    train, holdout = next(holdout_split.split(rows, groups=codes))
    train, holdout = np.sort(train).astype(np.intp), np.sort(holdout).astype(np.intp)
    return ValidationPlan(
        ((train, holdout),),
        holdout,
        f"{HOLDOUT_FRACTION:.0%} group holdout ({len(holdout)} of {n_rows} rows, {described})",
    )


def plan_time_validation(times: pd.Series, attribute: str) -> ValidationPlan:
    """A holdout of the newest 20% of rows by ``times`` (numbers, or text that sorts in time order such
    as ISO 8601 dates); rows without a time count as the oldest."""
    n_rows = len(times)
    if pd.api.types.is_numeric_dtype(times):
        keys = pd.to_numeric(times, errors="coerce").to_numpy(dtype=np.float64, na_value=-np.inf)
        ranks = np.argsort(keys, kind="stable")
    else:
        codes, _ = pd.factorize(times.astype("string"), sort=True, use_na_sentinel=True)
        ranks = np.argsort(codes, kind="stable")  # missing (-1) first
    newest = max(round(n_rows * HOLDOUT_FRACTION), 1)
    train, holdout = np.sort(ranks[:-newest]).astype(np.intp), np.sort(ranks[-newest:]).astype(np.intp)
    return ValidationPlan(
        ((train, holdout),),
        holdout,
        f"time-ordered holdout: the newest {HOLDOUT_FRACTION:.0%} by {attribute!r} "
        f"({len(holdout)} of {n_rows} rows)",
    )


def stratified_sample(y: npt.NDArray[np.generic], model_type: ModelType, limit: int, seed: int) -> IndexArray:
    """Sorted indices of ``min(limit, len(y))`` rows, keeping class (or target-decile) proportions."""
    n_rows = len(y)
    if n_rows <= limit:
        return np.arange(n_rows)
    strata = _strata(y, model_type)
    order = np.random.default_rng(seed).permutation(n_rows)
    grouped = order[np.argsort(strata[order], kind="stable")]
    counts = np.bincount(strata)
    group_of = strata[grouped]
    rank_in_group = np.arange(n_rows) - (np.cumsum(counts) - counts)[group_of]
    # Every prefix of this interleaving takes each stratum in proportion to its size.
    interleaved = grouped[np.argsort((rank_in_group + 0.5) / counts[group_of], kind="stable")]
    return np.sort(interleaved[:limit])


def _strata(y: npt.NDArray[np.generic], model_type: ModelType) -> npt.NDArray[np.int64]:
    if model_type is not ModelType.REGRESSION:
        return np.asarray(y, dtype=np.int64)
    values = np.asarray(y, dtype=np.float64)
    edges = np.unique(np.quantile(values, np.linspace(0, 1, _REGRESSION_STRATA + 1)[1:-1]))
    return np.searchsorted(edges, values, side="right").astype(np.int64)


def _stratified_assignment(strata: npt.NDArray[np.int64], parts: int, seed: int) -> npt.NDArray[np.int64]:
    """Assign each row a part 0..parts-1: shuffle, group by stratum, then deal rows out in turn."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(strata))
    grouped = order[np.argsort(strata[order], kind="stable")]
    assignment = np.empty(len(strata), dtype=np.int64)
    assignment[grouped] = np.arange(len(strata)) % parts
    return assignment
