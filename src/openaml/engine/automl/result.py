"""What an AutoML run returns: the model, the leaderboard (trial log) and the time bookkeeping."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from openaml.engine.automl.budget import Budget
from openaml.engine.automl.lineage import MemberSpec
from openaml.engine.automl.trials import Candidate
from openaml.engine.metrics import Metric
from openaml.engine.models import TrainedModel


@dataclass(frozen=True)
class AutoMLTimings:
    """Where the time went, in seconds since the run started (``*_at``) or as durations.

    ``search_deadline_at`` is the deadline the search last computed (budget minus the refit
    reserve); ``refit_deadline_at`` the point past which refits stop and keep their partial model.
    """

    budget_seconds: float
    preparation_seconds: float
    search_seconds: float
    ensemble_seconds: float
    refit_seconds: float
    total_seconds: float
    search_deadline_at: float
    refit_deadline_at: float
    reserved_refit_seconds: float
    estimated_refit_seconds: float

    @classmethod
    def without_search(cls, budget: Budget, preparation_seconds: float) -> AutoMLTimings:
        """The timings of a run that only fitted a parent's members (a refit or a warm start)."""
        total = budget.elapsed()
        return cls(
            budget_seconds=budget.seconds,
            preparation_seconds=preparation_seconds,
            search_seconds=0.0,
            ensemble_seconds=0.0,
            refit_seconds=total - preparation_seconds,
            total_seconds=total,
            search_deadline_at=0.0,
            refit_deadline_at=budget.refit_deadline - budget.start,
            reserved_refit_seconds=0.0,
            estimated_refit_seconds=0.0,
        )

    def to_dict(self) -> dict[str, float]:
        """JSON-ready, camelCase keys (for the model manifest)."""
        return {_camel(key): round(value, 3) for key, value in asdict(self).items()}


@dataclass(frozen=True)
class AutoMLResult:
    """The outcome of :func:`~openaml.engine.automl.train_automl`.

    ``validation_score`` is the ensemble's score on the internal validation rows, in
    ``metric_name``'s own scale (``None`` for a refit of a parent, which validates nothing);
    ``members`` are the ensemble's members as configuration (kept in the artifact, see
    :mod:`.lineage`); ``leaderboard`` lists every candidate best first
    (see :func:`build_leaderboard`). ``warnings`` are for the person reading the leaderboard (a
    random split that looks much better than the group- or time-aware validation);
    ``split_check`` is that comparison (see :mod:`.honesty`), when it was made.
    """

    model: TrainedModel
    leaderboard: list[dict[str, Any]]
    metric_name: str
    validation_score: float | None
    validation: str
    training_rows: int
    search_rows: int
    timings: AutoMLTimings
    warnings: tuple[str, ...] = ()
    split_check: dict[str, Any] | None = None
    #: How the members are combined, e.g. ``weighted average of 3 members (2 bagged over 5 folds)``.
    ensemble: str = ""
    members: tuple[MemberSpec, ...] = ()


def build_leaderboard(
    candidates: Sequence[Candidate],
    weights: dict[int, float],
    metric: Metric,
    bagged_folds: dict[int, int] | None = None,
) -> list[dict[str, Any]]:
    """One JSON-ready entry per candidate: validated ones by rank, then the rest in trial order.

    Keys: ``rank`` (``None`` unless validated), ``family``, ``parameters`` (the configuration plus
    learned settings such as boosting rounds), ``validationScore``, ``fitSeconds`` and
    ``predictSeconds`` (summed over validation folds), ``ensembleWeight``, ``baggedFolds`` (for a
    bagged ensemble member, the number of fold models it serves; 0 otherwise), ``status`` (ok,
    failed, timeout, skipped or pruned by successive halving), ``message`` (why a candidate failed, was
    skipped or pruned) and ``origin``
    (where its configuration came from: ``parent``, ``portfolio``, ``tuning`` or ``refit``).
    """
    folds = bagged_folds or {}
    validated = sorted((c for c in candidates if c.ok), key=Candidate.rank_key)
    others = [c for c in candidates if not c.ok]
    entries = []
    for rank, candidate in enumerate(validated, start=1):
        entries.append(
            _entry(candidate, rank, metric.from_loss(candidate.loss), weights.get(candidate.number, 0.0))
            | {"baggedFolds": folds.get(candidate.number, 0)}
        )
    entries.extend(_entry(candidate, None, None, 0.0) | {"baggedFolds": 0} for candidate in others)
    return entries


def refit_leaderboard(candidates: Sequence[Candidate], weights: dict[int, float]) -> list[dict[str, Any]]:
    """The leaderboard of a refit without search: the refit members in the parent's order, ranked by
    that order, without validation scores (see :mod:`.refit`)."""
    ranked = [c for c in candidates if c.ok]
    entries = [_entry(c, rank, None, weights.get(c.number, 0.0)) for rank, c in enumerate(ranked, start=1)]
    entries.extend(_entry(c, None, None, 0.0) for c in candidates if not c.ok)
    return entries


def _entry(candidate: Candidate, rank: int | None, score: float | None, weight: float) -> dict[str, Any]:
    return {
        "rank": rank,
        "family": candidate.family,
        "parameters": candidate.config | candidate.refit_config,
        "validationScore": score,
        "fitSeconds": round(candidate.fit_seconds, 4),
        "predictSeconds": round(candidate.predict_seconds, 4),
        "ensembleWeight": round(weight, 4),
        "status": candidate.status,
        "message": candidate.message,
        "origin": candidate.origin,
    }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
