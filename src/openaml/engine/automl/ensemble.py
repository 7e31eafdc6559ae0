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
#: the selected ensemble's (0.5%: an RMSE of 10.05 instead of 10); where the metric moves in steps and
#: has a tie-breaker (AUC, F1, accuracy, macro-F1), when it scores as well without the member and its
#: tie loss (log loss) is at most this share above.
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
    Where ``metric`` rates blends equal, its tie-breaker (log loss) decides: on a small validation
    set several blends often misclassify the same records, and the better-calibrated one is the
    better bet on new data.
    """
    count = len(predictions)
    costs = list(costs) if costs is not None else [0.0] * count
    serving = list(serving_costs) if serving_costs is not None else [0.0] * count
    affordable = [index for index in range(count) if costs[index] <= cost_limit]
    if not affordable:
        return {int(np.argmin(costs)): 1.0}
    scores = _Scores(y, metric)
    first = min(affordable, key=lambda index: (*scores.key(predictions[index]), index))
    chosen: Counter[int] = Counter({first: 1})
    total = predictions[first].astype(np.float64, copy=True)
    spent, served = costs[first], serving[first]
    best_key, best = scores.key(total), Counter(chosen)
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
        pick, key = scores.best([(total + predictions[index]) / step for index in options])
        pick = options[pick]
        if pick not in chosen:
            spent += costs[pick]
            served += serving[pick]
        chosen[pick] += 1
        total += predictions[pick]
        if scores.better(key, best_key):
            best_key, best = key, Counter(chosen)
    if metric.tie_breaker is None:
        allowed = (metric.shifted(best_key[0], PRUNE_TOLERANCE), 0.0)
    else:  # a metric that moves in steps: no step back, and the tie loss within the tolerance
        allowed = (best_key[0] + _IMPROVEMENT, best_key[1] * (1.0 + PRUNE_TOLERANCE))
    kept = _pruned(best, predictions, scores, allowed)
    size = sum(kept.values())
    return {index: times / size for index, times in sorted(kept.items())}


class _Scores:
    """Blends' validation losses under a metric and its tie-breaker, compared as (loss, tie loss)
    pairs where the tie loss only counts between losses within :data:`_IMPROVEMENT`."""

    def __init__(self, y: Labels, metric: Metric) -> None:
        self.y, self.metric = y, metric

    def key(self, blend: FloatArray) -> tuple[float, float]:
        return self.metric.loss(self.y, blend), self.metric.tie_loss(self.y, blend)

    def best(self, blends: Sequence[FloatArray]) -> tuple[int, tuple[float, float]]:
        """The position of the best of ``blends`` (the first of equals) and its key; the tie loss
        is computed only for the blends tied on the metric."""
        losses = [self.metric.loss(self.y, blend) for blend in blends]
        lowest = min(losses)
        tied = [position for position, loss in enumerate(losses) if loss <= lowest + _IMPROVEMENT]
        if len(tied) == 1 or self.metric.tie_breaker is None:
            return tied[0], (losses[tied[0]], self.metric.tie_loss(self.y, blends[tied[0]]))
        ties = {position: self.metric.tie_loss(self.y, blends[position]) for position in tied}
        pick = min(tied, key=lambda position: ties[position])
        return pick, (losses[pick], ties[pick])

    @staticmethod
    def better(key: tuple[float, float], than: tuple[float, float]) -> bool:
        if key[0] < than[0] - _IMPROVEMENT:
            return True
        return key[0] <= than[0] + _IMPROVEMENT and key[1] < than[1] - _IMPROVEMENT


def _pruned(
    chosen: Counter[int], predictions: Sequence[FloatArray], scores: _Scores, allowed: tuple[float, float]
) -> Counter[int]:
    """``chosen`` without the members it can do without: a member is removed, its picks given back
    greedily to the others, when the loss and the tie loss stay within ``allowed``. The least
    picked are tried first, until no member can go."""
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
            key = scores.key(total / size)
            for _ in range(kept[index]):  # the removed member's picks, each to whichever helps most
                size += 1
                members = sorted(others)
                position, key = scores.best([(total + predictions[member]) / size for member in members])
                others[members[position]] += 1
                total += predictions[members[position]]
            if key[0] <= allowed[0] and key[1] <= allowed[1]:
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
