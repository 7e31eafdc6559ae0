"""Bagged members: the k models of a candidate's validation folds kept as its final model.

With k-fold cross-validation every candidate is already fitted k times, each on k-1 folds, and
scored on the fold it did not see. Instead of refitting the chosen members on all rows, a member
can keep those k models and predict the mean of their scores (k-fold bagging): its out-of-fold
predictions are then honest predictions *of the final model itself*, which is what ensemble
selection and the stacking layer (:mod:`.stacking`) learn from, and the refit, with its share of
the budget, is not needed at all.

The rule (see docs/models.md):

* bagging applies when validation is k-fold cross-validation on every training row: by default
  up to 10,000 rows (above, a holdout; with ``openaml.timeAttribute``, a time-ordered holdout),
  and not when the search worked on a subsample (its fold models never saw the other rows). With
  ``openaml.groupAttribute`` the folds are the group folds, so each fold model is validated on
  groups it never saw;
* a candidate can be bagged only when none of its fold fits was cut short by the time budget;
* a bagged member serves k models, so it costs k times its family's serving cost: members are
  bagged best first while the ensemble's total serving cost stays within the bagging limit; the
  others are refit on all rows as before. That limit is ``openaml.maxServingCost`` (default 10, the
  limit the members were chosen with: real-time cost stays what an unbagged ensemble's is; 50 lets
  every chosen member of small data serve its k fold models).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from openaml.engine.automl.families import Config, FittedLearner
from openaml.engine.automl.families.base import FloatArray
from openaml.engine.automl.features import Matrix


class BaggedLearner:
    """The fold models of one candidate; predicts the mean of their scores."""

    def __init__(self, learners: Sequence[FittedLearner], refit_config: Config) -> None:
        self.learners = tuple(learners)
        #: The candidate's learned settings (the folds' mean), recorded like a refit member's.
        self.refit_config: Config = dict(refit_config)
        self.complete = all(learner.complete for learner in self.learners)

    @property
    def folds(self) -> int:
        return len(self.learners)

    def predict(self, features: Matrix) -> FloatArray:
        total = self.learners[0].predict(features)
        for learner in self.learners[1:]:
            total = total + learner.predict(features)
        mean: FloatArray = np.asarray(total / len(self.learners), dtype=np.float64)
        return mean


def bagging_applies(*, enabled: bool, cross_validation: bool, subsampled: bool) -> bool:
    """Whether the search keeps its candidates' fold models to bag them (see the module docstring)."""
    return enabled and cross_validation and not subsampled


def choose_bagged(
    serving_costs: Sequence[float], baggable: Sequence[bool], folds: int, serving_cost_limit: float
) -> list[bool]:
    """Which members (best first) to bag: each one whose k-fold serving cost still fits the limit
    beside the others' (a member not bagged costs its family's serving cost once)."""
    bagged = [False] * len(serving_costs)
    total = float(sum(serving_costs))
    for index, cost in enumerate(serving_costs):
        extra = cost * (folds - 1)
        if baggable[index] and total + extra <= serving_cost_limit:
            bagged[index] = True
            total += extra
    return bagged


def weighted_parts(weight: float, learner: FittedLearner) -> list[tuple[float, FittedLearner]]:
    """The (weight, model) pairs whose weighted sum is ``weight`` times ``learner``'s scores: a bagged
    member's fold models each weighted ``weight / k`` (its prediction is their mean), else itself.

    Explanations and exports read a bagged member through this, which keeps them exact."""
    if isinstance(learner, BaggedLearner):
        return [(weight / learner.folds, fold) for fold in learner.learners]
    return [(weight, learner)]
