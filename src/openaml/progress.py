"""How far a running job is: one structure that the API's ``Message``, the console and the CLI all render.

A job body reports a :class:`JobProgress` (phase, seconds since it started, bytes read or scored, the
training budget used, candidates tried, the best validation score so far). The resource row keeps it as
JSON (:meth:`JobProgress.to_json`, camelCase, served at ``GET /openaml/v1/{collection}/{id}/progress``)
and :meth:`JobProgress.message` writes the one line people read as the API's ``Message``. Nothing parses
that line back: whoever wants numbers reads the structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobProgress:
    """One report of a running job; every field but ``phase`` is optional."""

    #: What the job does now, as people read it: ``"Reading the data"``, ``"Training"``, ``"Scoring"``.
    phase: str
    #: Seconds since the job started (set by the job template when it stores the report).
    seconds_elapsed: float | None = None
    #: A step within the phase, e.g. the AutoML search's ``"search"`` or ``"ensemble"``.
    step: str | None = None
    #: Free text when the phase has nothing structured to say (e.g. an SGD pass and its loss).
    detail: str | None = None
    #: Bytes of the input read (ingest) or scored (batch prediction) so far, of ``bytes_total``.
    bytes_done: int | None = None
    bytes_total: int | None = None
    #: The training time budget used so far, of ``budget_seconds``.
    budget_seconds_used: float | None = None
    budget_seconds: float | None = None
    #: Candidate models trained and validated so far.
    candidates_tried: int | None = None
    #: The validation metric, its best value so far and the model family that reached it.
    metric: str | None = None
    best_score: float | None = None
    best_family: str | None = None

    @property
    def fraction_done(self) -> float | None:
        """How much of the phase is done, 0 to 1, when it is known."""
        if self.bytes_total:
            return min(1.0, (self.bytes_done or 0) / self.bytes_total)
        if self.budget_seconds:
            return min(1.0, (self.budget_seconds_used or 0.0) / self.budget_seconds)
        return None

    def message(self) -> str:
        """The API's ``Message`` for this report, e.g. ``"Training: search: 12 s of 60 s, 7 candidates,
        best auc 0.8712 (lightgbm)"`` or ``"Scoring: 40% of 12.5 MB"``."""
        detail = self._detail()
        return f"{self.phase}: {detail}" if detail else self.phase

    def _detail(self) -> str | None:
        if self.bytes_total is not None:
            share = f"{100 * (self.bytes_done or 0) / self.bytes_total:.0f}% of " if self.bytes_total else ""
            return f"{share}{self.bytes_total / 1e6:.1f} MB"
        if self.budget_seconds is not None:
            tried = self.candidates_tried or 0
            line = (
                f"{self.step or 'training'}: {self.budget_seconds_used or 0:.0f} s of "
                f"{self.budget_seconds:.0f} s, {tried} candidate{'s' if tried != 1 else ''}"
            )
            if self.best_score is not None:
                line += f", best {self.metric} {self.best_score:.4f}"
                if self.best_family:
                    line += f" ({self.best_family})"
            return line
        return self.detail

    def best(self) -> str | None:
        """``"<metric> <score> (<family>)"`` once a candidate has been validated, else ``None``."""
        if self.best_score is None:
            return None
        return f"{self.metric} {self.best_score:.4f}" + (f" ({self.best_family})" if self.best_family else "")

    def to_json(self) -> dict[str, Any]:
        """The wire form (camelCase; ``fractionDone`` and ``message`` derived), ``None`` fields left out."""
        shape: dict[str, Any] = {
            "phase": self.phase,
            "secondsElapsed": self.seconds_elapsed,
            "step": self.step,
            "detail": self.detail,
            "bytesDone": self.bytes_done,
            "bytesTotal": self.bytes_total,
            "budgetSecondsUsed": self.budget_seconds_used,
            "budgetSeconds": self.budget_seconds,
            "candidatesTried": self.candidates_tried,
            "metric": self.metric,
            "bestScore": self.best_score,
            "bestFamily": self.best_family,
            "fractionDone": self.fraction_done,
            "message": self.message(),
        }
        return {key: value for key, value in shape.items() if value is not None}

    @classmethod
    def from_json(cls, shape: dict[str, Any]) -> JobProgress:
        """The inverse of :meth:`to_json` (derived and unknown keys are ignored)."""

        def number(key: str) -> float | None:
            value = shape.get(key)
            return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

        def whole(key: str) -> int | None:
            value = number(key)
            return int(value) if value is not None else None

        def text(key: str) -> str | None:
            value = shape.get(key)
            return str(value) if value is not None else None

        return cls(
            phase=str(shape.get("phase") or ""),
            seconds_elapsed=number("secondsElapsed"),
            step=text("step"),
            detail=text("detail"),
            bytes_done=whole("bytesDone"),
            bytes_total=whole("bytesTotal"),
            budget_seconds_used=number("budgetSecondsUsed"),
            budget_seconds=number("budgetSeconds"),
            candidates_tried=whole("candidatesTried"),
            metric=text("metric"),
            best_score=number("bestScore"),
            best_family=text("bestFamily"),
        )
