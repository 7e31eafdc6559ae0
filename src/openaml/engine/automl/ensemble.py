"""Greedy ensemble selection (Caruana et al., 2004) and the ensemble model it produces.

Selection adds, one step at a time and with replacement, the candidate whose validation scores
most improve the averaged ensemble, and keeps the best prefix. The number of distinct members is
capped, and so are their total refit cost (the time budget) and their total serving cost (what one
real-time prediction costs, see ``Family.serving_cost``; the best candidate is always allowed).
Then members the ensemble does (almost) as well without are dropped, least picked first: every
member costs time on every prediction — a forest or k-NN member several times a linear model's —
so one that adds less than :data:`PRUNE_TOLERANCE` of the loss is not worth serving. The resulting
:class:`EnsembleModel` is what gets saved and served: the fitted feature encoders plus the weighted,
refit (or bagged) members, and the stacking layer over them when it validated better than the
weighted average (:mod:`.stacking`). It scores typed frames and, for real-time prediction, typed
records (the same encoders and members, without pandas).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from openaml.engine.automl.columns import Columns, FrameColumns, RecordColumns
from openaml.engine.automl.families import FittedLearner
from openaml.engine.automl.families.base import FloatArray, Labels
from openaml.engine.automl.features import Encoding, FeatureEncoder
from openaml.engine.automl.stacking import Stacker
from openaml.engine.metrics import Metric
from openaml.engine.models import ModelType
from openaml.engine.predictors.scoring import TypedRecord

SELECTION_STEPS = 25
#: A member is dropped when the ensemble without it has a validation loss at most this share above
#: the selected ensemble's (0.5%: e.g. an AUC of 0.8850 instead of 0.8855).
PRUNE_TOLERANCE = 0.005
_IMPROVEMENT = 1e-12


def select_ensemble(
    predictions: Sequence[FloatArray],
    y: Labels,
    metric: Metric,
    *,
    max_members: int,
    costs: Sequence[float] | None = None,
    cost_limit: float = float("inf"),
    serving_costs: Sequence[float] | None = None,
    serving_cost_limit: float = float("inf"),
    steps: int = SELECTION_STEPS,
) -> dict[int, float]:
    """Weights per index of ``predictions`` (validation scores, best candidate first).

    A candidate whose cost (its refit time) would push the members' total past ``cost_limit`` is
    never added; if no candidate fits, the cheapest one is used alone. Nor is one added whose
    serving cost would push the members' total past ``serving_cost_limit``, unless it is the first.
    """
    count = len(predictions)
    costs = list(costs) if costs is not None else [0.0] * count
    serving = list(serving_costs) if serving_costs is not None else [0.0] * count
    affordable = [index for index in range(count) if costs[index] <= cost_limit]
    if not affordable:
        return {int(np.argmin(costs)): 1.0}
    first = min(affordable, key=lambda index: (metric.loss(y, predictions[index]), index))
    chosen: Counter[int] = Counter({first: 1})
    total = predictions[first].astype(np.float64, copy=True)
    spent, served = costs[first], serving[first]
    best_loss, best = metric.loss(y, total), Counter(chosen)
    for step in range(2, steps + 1):
        options = [
            index
            for index in range(count)
            if index in chosen
            or (
                len(chosen) < max_members
                and spent + costs[index] <= cost_limit
                and served + serving[index] <= serving_cost_limit
            )
        ]
        losses = [metric.loss(y, (total + predictions[index]) / step) for index in options]
        pick = options[int(np.argmin(losses))]
        if pick not in chosen:
            spent += costs[pick]
            served += serving[pick]
        chosen[pick] += 1
        total += predictions[pick]
        if min(losses) < best_loss - _IMPROVEMENT:
            best_loss, best = min(losses), Counter(chosen)
    kept = _pruned(best, predictions, y, metric, best_loss * (1.0 + PRUNE_TOLERANCE))
    size = sum(kept.values())
    return {index: times / size for index, times in sorted(kept.items())}


def _pruned(
    chosen: Counter[int], predictions: Sequence[FloatArray], y: Labels, metric: Metric, allowed_loss: float
) -> Counter[int]:
    """``chosen`` without the members it can do without: a member is removed, its picks given back
    greedily to the others, when the loss stays within ``allowed_loss``. The least picked are tried
    first, until no member can go."""
    kept = Counter(chosen)
    pruning = True
    while pruning and len(kept) > 1:
        pruning = False
        for index in sorted(kept, key=lambda member: (kept[member], member)):
            others = Counter({member: times for member, times in kept.items() if member != index})
            total = np.asarray(
                sum(times * predictions[member] for member, times in others.items()), np.float64
            )
            size = sum(others.values())
            loss = metric.loss(y, total / size)
            for _ in range(kept[index]):  # the removed member's picks, each to whichever helps most
                size += 1
                losses = {member: metric.loss(y, (total + predictions[member]) / size) for member in others}
                pick = min(losses, key=lambda member: (losses[member], member))
                others[pick] += 1
                total += predictions[pick]
                loss = losses[pick]
            if loss <= allowed_loss:
                kept, pruning = others, True
                break
    return kept


@dataclass(frozen=True)
class EnsembleMember:
    """One refit model of the ensemble with its weight and the encoding it reads."""

    family: str
    weight: float
    learner: FittedLearner
    encoding: Encoding
    #: The leaderboard trial this member was refit from.
    candidate: int


class EnsembleModel:
    """The AutoML result: a weighted average of refit members over shared feature encoders.

    Satisfies :class:`~openaml.engine.models.TrainedModel`.
    """

    def __init__(
        self,
        model_type: ModelType,
        classes: tuple[str, ...] | None,
        encoders: dict[Encoding, FeatureEncoder],
        members: Sequence[EnsembleMember],
        stacker: Stacker | None = None,
    ) -> None:
        self.model_type = model_type
        self.classes = classes
        self.encoders = encoders
        self.members = tuple(members)
        #: The stacking layer over the members' scores; ``None``: their weighted average.
        self.stacker = stacker
        families = list(dict.fromkeys(member.family for member in self.members))
        self.algorithm = families[0] if len(self.members) == 1 else f"ensemble({', '.join(families)})"

    def predict_scores(self, frame: pd.DataFrame) -> FloatArray:
        """Scores in the :class:`~openaml.engine.models.TrainedModel` layout for every row of ``frame``."""
        return self._blend(FrameColumns(frame))

    def predict_records(self, records: Sequence[TypedRecord]) -> FloatArray:
        """:meth:`predict_scores` for typed records (see :mod:`openaml.engine.predictors.scoring`)."""
        return self._blend(RecordColumns(records))

    def _blend(self, columns: Columns) -> FloatArray:
        """The weighted average of the members' scores, each encoding computed once."""
        matrices = {
            encoding: self.encoders[encoding].transform_columns(columns)
            for encoding in dict.fromkeys(member.encoding for member in self.members)
        }
        stacker: Stacker | None = getattr(self, "stacker", None)  # models saved before stacking have none
        if stacker is not None:
            return stacker.predict(
                [member.learner.predict(matrices[member.encoding]) for member in self.members]
            )
        total: FloatArray | None = None
        for member in self.members:
            scores = member.weight * member.learner.predict(matrices[member.encoding])
            total = scores if total is None else total + scores
        assert total is not None, "an ensemble always has members"
        if self.model_type is ModelType.BINARY:
            return np.clip(total, 0.0, 1.0)
        if self.model_type is ModelType.MULTICLASS:
            normalised: FloatArray = total / total.sum(axis=1, keepdims=True)
            return normalised
        return total
