"""What AutoML bounds at scale: the families left out or refit on the search sample, and the refit plan.

Above ``openaml.searchRowLimit`` records the search works on a sample, and the final refit is planned to
fit the time budget (:func:`plan_refit_rows`); above a family's ``max_training_rows`` it is not tried,
above its ``max_refit_rows`` it is refit on the search sample only. Each bound leaves a note on the
leaderboard (see docs/models.md, "Large data").
"""

from __future__ import annotations

from openaml.engine.automl.budget import Budget
from openaml.engine.automl.families import FAMILIES, Family
from openaml.engine.automl.features import MAX_TREE_TEXT_ROWS, Encoding
from openaml.engine.automl.trials import Candidate
from openaml.engine.data.schema import Attribute, AttributeType

#: The refit estimates are multiplied by this before they are compared with the time left.
REFIT_SAFETY = 1.25


def plan_refit_rows(
    chosen: list[tuple[Candidate, float]],
    rows: int,
    search_rows: int,
    encoding_seconds_per_row: float,
    budget: Budget,
) -> int:
    """How many of the ``rows`` training records the final refit can use and still end by the refit
    deadline: all of them when the members' refit estimates (measured per row in the search) and the
    encoding of the rows fit in the time left, else as many as do, but never fewer than the search
    saw (the members' deadlines then cut their boosting rounds short, as at any size)."""
    fitting = sum(c.refit_cost for c, _ in chosen if refits_on_all_rows(c, rows)) / rows
    per_row = (fitting + encoding_seconds_per_row) * REFIT_SAFETY
    time_left = budget.refit_deadline - budget.now()
    if per_row <= 0 or per_row * rows <= time_left:
        return rows
    return min(rows, max(search_rows, int(time_left / per_row)))


def refit_rows_note(refit_rows: int, rows: int) -> str:
    """The leaderboard note of a refit on ``refit_rows`` of ``rows`` records."""
    return (
        f"The final refit used {refit_rows:,} of the {rows:,} training records (a stratified sample): "
        "refitting on all of them would not have fit in the time budget; raise "
        "openaml.timeBudgetSeconds to use them all."
    )


def refits_on_all_rows(candidate: Candidate, rows: int) -> bool:
    """Whether ``candidate``'s refit trains on all ``rows`` (not on the search sample, nor bagged)."""
    if candidate.final_learner is not None or (candidate.bagged and candidate.fold_learners is not None):
        return False
    limit = FAMILIES[candidate.family].max_refit_rows
    return limit is None or rows <= limit


def sample_refit_notes(
    families: list[Family], attributes: tuple[Attribute, ...], rows: int, search_rows: int
) -> tuple[str, ...]:
    """Notes on what is bounded at ``rows`` training records: families refit on the search sample
    only, and TEXT attributes that the TREE encoding reads as counts only."""
    notes = [
        f"{family.name} is refit on the {search_rows:,} search records only: {rows:,} training records "
        f"are more than it is refit on ({family.max_refit_rows:,})."
        for family in families
        if family.max_refit_rows is not None and rows > family.max_refit_rows
    ]
    texts = [a.name for a in attributes if a.type is AttributeType.TEXT]
    if texts and rows > MAX_TREE_TEXT_ROWS and any(f.encoding is Encoding.TREE for f in families):
        notes.append(
            f"Above {MAX_TREE_TEXT_ROWS:,} training records, tree models read the text attributes "
            f"{', '.join(texts)} as their length in characters and words only (no word features)."
        )
    return tuple(notes)


def families_that_scale(families: list[Family], rows: int) -> tuple[list[Family], tuple[str, ...]]:
    """The families whose refit on ``rows`` records fits one machine, and a note for each one left out.

    When none would be left, all are kept (the caller asked for them alone).
    """
    kept = [f for f in families if f.max_training_rows is None or rows <= f.max_training_rows]
    if not kept:
        return families, ()
    notes = tuple(
        f"{family.name} was not tried: {rows:,} training records are more than it is refit on "
        f"({family.max_training_rows:,})."
        for family in families
        if family not in kept
    )
    return kept, notes
