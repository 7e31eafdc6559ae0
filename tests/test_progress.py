"""JobProgress: the one structure behind a running job's ``Message``, and its wire form."""

from __future__ import annotations

from openaml.domain.ml_models import training_progress
from openaml.engine.models import TrainingProgress
from openaml.progress import JobProgress


def test_messages_keep_their_wording() -> None:
    assert JobProgress("Reading the data").message() == "Reading the data"
    assert (
        JobProgress("Reading the data", bytes_done=5_000_000, bytes_total=12_500_000).message()
        == "Reading the data: 40% of 12.5 MB"
    )
    empty = JobProgress("Reading the data", bytes_done=0, bytes_total=0)
    assert empty.message() == "Reading the data: 0.0 MB"
    assert JobProgress("Scoring", bytes_done=1, bytes_total=4_000_000).message() == "Scoring: 0% of 4.0 MB"
    assert JobProgress("Training", detail="SGD pass 2 of at most 10").message() == (
        "Training: SGD pass 2 of at most 10"
    )


def test_training_reports_read_as_before_and_keep_their_numbers() -> None:
    for report in (
        TrainingProgress(12.3, 60, "search", 7, "auc", 0.87123, "lightgbm"),
        TrainingProgress(0.2, 60, "search", 1, "rmse"),
        TrainingProgress(59.9, 60, "ensemble", 12, "macro_f1", -0.5),
    ):
        progress = training_progress(report)
        assert progress.message() == f"Training: {report.describe()}"
        assert progress.fraction_done == min(1.0, report.elapsed_seconds / report.budget_seconds)
        assert (progress.candidates_tried, progress.best_score) == (report.trials_done, report.best_score)


def test_the_wire_form_round_trips() -> None:
    progress = JobProgress(
        "Training",
        seconds_elapsed=14.5,
        step="search",
        budget_seconds_used=12.0,
        budget_seconds=60.0,
        candidates_tried=7,
        metric="auc",
        best_score=0.8712,
        best_family="lightgbm",
    )
    shape = progress.to_json()
    assert shape["fractionDone"] == 0.2 and shape["message"] == progress.message()
    assert "bytesDone" not in shape
    assert JobProgress.from_json(shape) == progress
    assert progress.best() == "auc 0.8712 (lightgbm)"
