"""Is validation honest? One random-split fit of the best model against the group or time split.

With ``openaml.groupAttribute`` or ``openaml.timeAttribute``, validation keeps groups (or the newest
records) apart. To show what that changes, the search fits its best configuration once more on a
stratified random 20% holdout of the same rows, once every family's first portfolio configuration
was tried, if the fit fits in the time left. The rule: when the model's error on the random split is at most
:data:`OPTIMISM_RATIO` of its error on the honest split, the leaderboard warns that a random split
would have looked much better than the model will do on new groups (or later records). The error is
``1 - score`` for metrics where 1 is perfect (AUC, accuracy, F1, R²) and the score itself for the
others (log loss, RMSE, MAE).
"""

from __future__ import annotations

from dataclasses import dataclass

from openaml.engine.automl.budget import FitLimits
from openaml.engine.automl.families import Family, Task
from openaml.engine.automl.families.base import Labels
from openaml.engine.automl.features import Matrix
from openaml.engine.automl.validation import ValidationPlan
from openaml.engine.metrics import Metric

#: The random split's error at most this share of the honest one counts as "much better".
OPTIMISM_RATIO = 0.75


@dataclass(frozen=True)
class SplitCheck:
    """The best candidate's score on the honest split and on a random split of the same rows."""

    family: str
    metric_name: str
    honest_score: float
    random_score: float
    greater_is_better: bool

    @property
    def optimistic(self) -> bool:
        """Whether the random split looks much better (see the module docstring)."""
        honest, random = self._error(self.honest_score), self._error(self.random_score)
        return random <= OPTIMISM_RATIO * honest and random < honest

    def warning(self, validation: str) -> str | None:
        """The leaderboard warning, or ``None`` when the random split is not much better."""
        if not self.optimistic:
            return None
        return (
            f"A random split would overstate this model: the best {self.family} model scores "
            f"{self.metric_name} {self.honest_score:.4f} on the {validation}, but "
            f"{self.random_score:.4f} on a random split of the same rows. Records of one group (or "
            "nearby in time) resemble each other; expect new data to score like the former."
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, for the leaderboard."""
        return {
            "family": self.family,
            "honestScore": self.honest_score,
            "randomSplitScore": self.random_score,
            "optimistic": self.optimistic,
        }

    def _error(self, score: float) -> float:
        return 1.0 - score if self.greater_is_better else score


def random_split_score(
    family: Family,
    config: dict[str, object],
    features: Matrix,
    y: Labels,
    random_split: ValidationPlan,
    task: Task,
    metric: Metric,
    limits: FitLimits,
) -> float:
    """The score of ``config`` fitted on the random split's training rows, on its holdout."""
    train, holdout = random_split.folds[0]
    learner = family.fit(
        features[train], y[train], config, task, limits, validation=(features[holdout], y[holdout])
    )
    return metric.compute(y[holdout], learner.predict(features[holdout]))
