"""Batch scoring split by input file, so that each file is scored on another Dask worker.

Each worker runs :func:`score_part`: the same :func:`~.scoring.score_files` pipeline on one input
file, writing that file's result through the picklable ``open_output`` it is handed (the object
store, with its location checks, rebuilt in the worker's process). The caller merges the parts'
results with :func:`~.scoring.merge_results` and writes the manifest, so the output layout is the
one a single process writes, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openaml.engine.batch.scoring import BatchResult, OutputOpener, score_files
from openaml.engine.data.errors import DataError
from openaml.engine.data.parts import Part
from openaml.engine.data.rearrangement import Rearrangement
from openaml.engine.data.schema import DataSchema
from openaml.engine.models import ModelType, TrainedModel


@dataclass(frozen=True)
class ScoringPart:
    """One input file and the (resolved, checked) URI its results go to."""

    part: Part
    output_uri: str


@dataclass(frozen=True)
class ScoringPlan:
    """What every part is scored with, apart from the model (sent to the workers once)."""

    schema: DataSchema
    model_schema: DataSchema
    model_type: ModelType
    classes: Sequence[str] | None
    score_threshold: float
    rearrangement: Rearrangement | None
    open_output: OutputOpener
    max_logged_invalid: int
    threads: int = 1


def score_part(item: ScoringPart, plan: ScoringPlan, model: TrainedModel) -> BatchResult | str:
    """Score one file (a task function); a data error comes back as its message, not raised, so the
    cluster does not retry it."""
    part = item.part
    try:
        return score_files(
            [part.file],
            plan.schema,
            model,
            plan.model_schema,
            model_type=plan.model_type,
            classes=plan.classes,
            score_threshold=plan.score_threshold,
            rearrangement=plan.rearrangement,
            open_output=plan.open_output,
            output_name_for=lambda _file: item.output_uri,
            workers=plan.threads,
            max_logged_invalid=plan.max_logged_invalid,
            first_index=part.first_index,
            total_records=part.total_records,
        )
    except DataError as exc:
        return exc.message
