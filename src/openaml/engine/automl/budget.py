"""Keeping the time-budget promise: the job's clock, per-fit deadlines and cancellation.

The budget covers the whole call: search, ensemble selection and the final refit. The search stops
early enough to leave a reserve for the refit (estimated from measured fit times). Every fit checks
its deadline between boosting rounds, tree batches or epochs and, when it is reached, stops and
keeps what it has trained: fewer rounds, trees or epochs still make a valid model. Linear models and
k-NN fit in one call and are not interrupted; they are the cheap families. A candidate that has no
time left for its next validation fold is dropped (:class:`FitInterrupted`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from openaml.engine.models import TrainingCancelled

HARD_LIMIT_FACTOR = 1.1
# Everything after the nominal budget must fit in this share of it, so that the job ends within
# HARD_LIMIT_FACTOR x budget even when the refit estimate was optimistic.
REFIT_DEADLINE_FACTOR = 1.05
_CANCEL_CHECK_INTERVAL_SECONDS = 0.25


class FitInterrupted(Exception):
    """A search candidate ran out of time before finishing its validation; it is dropped."""


class Budget:
    """The wall clock of one AutoML run, and the caller's cancellation flag (polled sparingly)."""

    def __init__(
        self,
        seconds: float,
        should_stop: Callable[[], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._should_stop = should_stop
        self.start = clock()
        self._next_cancel_check = self.start

    def now(self) -> float:
        """The current time on the budget's clock."""
        return self._clock()

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return self._clock() - self.start

    @property
    def end(self) -> float:
        """When the run should be done (clock time)."""
        return self.start + self.seconds

    @property
    def refit_deadline(self) -> float:
        """The last moment a final refit may still be training (clock time)."""
        return self.start + self.seconds * REFIT_DEADLINE_FACTOR

    def check_cancelled(self, *, force: bool = False) -> None:
        """Raise :class:`TrainingCancelled` if the caller asked to stop (checked at most every 0.25 s)."""
        if self._should_stop is None:
            return
        now = self._clock()
        if not force and now < self._next_cancel_check:
            return
        self._next_cancel_check = now + _CANCEL_CHECK_INTERVAL_SECONDS
        if self._should_stop():
            raise TrainingCancelled("training was cancelled")

    def limits(self, deadline: float, threads: int = 2) -> FitLimits:
        """Limits for one fit that must end by ``deadline`` (clock time)."""
        return FitLimits(budget=self, deadline=deadline, threads=threads)


@dataclass(frozen=True)
class FitLimits:
    """What one fit must respect: a deadline, cancellation and a thread count."""

    budget: Budget
    deadline: float
    threads: int = 2

    def should_end(self) -> bool:
        """Call between units of work: ``True`` means stop now and keep what was trained.

        Raises :class:`TrainingCancelled` when the caller cancelled.
        """
        self.budget.check_cancelled()
        return self.budget.now() >= self.deadline

    def check_cancelled(self) -> None:
        """For fits that cannot stop part-way: raise :class:`TrainingCancelled` if the caller cancelled."""
        self.budget.check_cancelled()

    def seconds_left(self) -> float:
        """Seconds until the deadline (negative once past it)."""
        return self.deadline - self.budget.now()
