"""What each chart of an evaluation report shows, read once from the report JSON for every format.

The report is contract 5 of docs/contracts.md (``engine/evaluation/evaluate.py`` writes it). A chart
whose section the report lacks raises ``InvalidInputException`` naming the evaluations that have it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openaml.charts.style import MAX_COUNTED_CLASSES, short_label
from openaml.errors import InvalidInputException

_CHART_NEEDS = {
    "confusionMatrix": "a confusion matrix (BINARY and MULTICLASS evaluations)",
    "rocCurve": "a ROC curve (BINARY evaluations whose data holds both classes)",
    "residualHistogram": "a residual histogram (REGRESSION evaluations)",
}


@dataclass(frozen=True)
class ConfusionMatrixFigure:
    """Row-normalized confusion matrix: rows are true classes, colour is the share of the row."""

    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    shares: tuple[tuple[float, ...], ...]
    title: str = "Confusion matrix"
    subtitle: str = "rows: true class; colour: share of the row"
    colour_label: str = "share of the true class"
    x_label: str = "predicted class"
    y_label: str = "true class"

    @property
    def shows_counts(self) -> bool:
        """Whether the counts are written in the cells (one rule for every format)."""
        return len(self.labels) <= MAX_COUNTED_CLASSES


@dataclass(frozen=True)
class RocCurveFigure:
    """The ROC curve against the diagonal of random ranking."""

    points: tuple[tuple[float, float], ...]
    title: str
    x_label: str = "false positive rate"
    y_label: str = "true positive rate"
    series_label: str = "model"
    reference_label: str = "random (AUC 0.5)"


@dataclass(frozen=True)
class ResidualsFigure:
    """The histogram of residuals (true − predicted) of a regression."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    title: str = "Residuals"
    x_label: str = "true − predicted"
    y_label: str = "records"


Figure = ConfusionMatrixFigure | RocCurveFigure | ResidualsFigure


def chart_section(report: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The report section ``key`` a chart draws; ``InvalidInputException`` when the report has none."""
    section = report.get(key)
    if not isinstance(section, Mapping):
        raise InvalidInputException(
            f"This evaluation report has no {key!r} section; "
            f"only reports with {_CHART_NEEDS[key]} can draw it."
        )
    return section


def confusion_matrix_figure(report: Mapping[str, Any]) -> ConfusionMatrixFigure:
    matrix = chart_section(report, "confusionMatrix")
    return ConfusionMatrixFigure(
        labels=tuple(short_label(label) for label in matrix["labels"]),
        counts=tuple(tuple(row) for row in matrix["counts"]),
        shares=tuple(tuple(share or 0.0 for share in row) for row in matrix["normalized"]),
    )


def roc_curve_figure(report: Mapping[str, Any]) -> RocCurveFigure:
    curve = chart_section(report, "rocCurve")
    auc = (report.get("metrics") or {}).get("BinaryAUC")
    return RocCurveFigure(
        points=tuple(
            (fpr, tpr)
            for fpr, tpr in zip(curve["fpr"], curve["tpr"], strict=True)
            if fpr is not None and tpr is not None
        ),
        title="ROC curve" + (f" (AUC {auc:.4f})" if isinstance(auc, int | float) else ""),
    )


def residuals_figure(report: Mapping[str, Any]) -> ResidualsFigure:
    histogram = chart_section(report, "residualHistogram")
    return ResidualsFigure(edges=tuple(histogram["edges"]), counts=tuple(histogram["counts"]))


def report_figures(report: Mapping[str, Any]) -> list[Figure]:
    """Every chart the report has, in the order a summary shows them; empty when it has none."""
    readers = (
        ("confusionMatrix", confusion_matrix_figure),
        ("rocCurve", roc_curve_figure),
        ("residualHistogram", residuals_figure),
    )
    figures: list[Figure] = [read(report) for key, read in readers if report.get(key)]
    return figures
