"""Early stopping whose patience grows with the best round so far, for the boosting families.

A fixed patience of 50 rounds ends a slow learner on its first long plateau: on diamonds a CatBoost
at learning rate 0.1 stopped after 1,886 rounds with 50 and after 2,948 with 200, and the longer one
was 1.1 % better in test RMSE (docs/performance.md, issue 17). A plateau after a thousand rounds is
no sign that the next hundred will not help; one after twenty is. So the patience is
:data:`MIN_PATIENCE` rounds or :data:`PATIENCE_SHARE` of the best round, whichever is more: the
rounds spent past the best grow in proportion to the rounds kept, and no long fit ends on a
plateau shorter than 0.3 × its best round; the fit's deadline still ends it in time. (AutoGluon's
adaptive early stopping also grows its patience in proportion to the best round.)
"""

from __future__ import annotations

import math

MIN_PATIENCE = 50
PATIENCE_SHARE = 0.3


class AdaptivePatience:
    """Tracks a validation loss round by round and says when boosting should stop."""

    def __init__(self) -> None:
        self.best_round = -1
        self.best_loss = math.inf

    def should_stop(self, round_index: int, loss: float) -> bool:
        """Record ``loss`` (lower is better) after round ``round_index`` (0-based); ``True`` once no
        round has improved on the best for :func:`patience` rounds."""
        if loss < self.best_loss:
            self.best_round, self.best_loss = round_index, loss
            return False
        return round_index - self.best_round >= patience(self.best_round + 1)


def patience(best_rounds: int) -> int:
    """How many rounds without improvement end boosting whose best model has ``best_rounds`` rounds."""
    return max(MIN_PATIENCE, math.ceil(PATIENCE_SHARE * best_rounds))
