"""What a training run reports while it works, and how it ends when the caller cancels it."""

from __future__ import annotations

from dataclasses import dataclass


class TrainingCancelled(Exception):
    """The caller's ``should_stop()`` asked a training run to stop; no model was produced."""


@dataclass(frozen=True)
class TrainingProgress:
    """A snapshot of a running training job, for the model's ``Message`` while it is INPROGRESS.

    ``best_score`` is ``None`` until the first candidate has been validated.
    """

    elapsed_seconds: float
    budget_seconds: float
    phase: str
    trials_done: int
    metric_name: str
    best_score: float | None = None
    best_family: str | None = None

    def describe(self) -> str:
        """One line for people, e.g. ``"search: 12 s of 60 s, 7 candidates, best auc 0.8712 (lightgbm)"``."""
        line = (
            f"{self.phase}: {self.elapsed_seconds:.0f} s of {self.budget_seconds:.0f} s, "
            f"{self.trials_done} candidate{'s' if self.trials_done != 1 else ''}"
        )
        if self.best_score is not None:
            line += f", best {self.metric_name} {self.best_score:.4f}"
            if self.best_family:
                line += f" ({self.best_family})"
        return line
