"""What a drift report's pictures show: per attribute, the baseline's and the current distribution overlaid.

Read from the drift report JSON (``openaml.engine.drift.report``): a NUMERIC attribute's ``histogram``
(shares of each side on one grid of equal-width bins) or a categorical attribute's ``categories``
(shares of the baseline's most frequent values and ``(other)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openaml.charts.style import short_label
from openaml.errors import NotFoundException


@dataclass(frozen=True)
class DriftFigure:
    """Two distributions on the same bins: ``edges`` (numbers) or ``labels`` (categories)."""

    title: str
    baseline: tuple[float, ...]
    current: tuple[float, ...]
    edges: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()


def drift_figure(report: Mapping[str, Any], attribute: str) -> DriftFigure:
    """The figure of ``attribute`` (``"(prediction)"``: prediction drift); NotFoundException otherwise."""
    entries = {str(entry.get("name")): entry for entry in report.get("attributes") or []}
    if report.get("predictionDrift"):
        entries["(prediction)"] = {"name": "(prediction)", **report["predictionDrift"]}
    entry = entries.get(attribute)
    if entry is None:
        raise NotFoundException(f"The drift report has no attribute {attribute!r}.")
    score = entry.get("score")
    title = f"{attribute}: {entry.get('method')} {score:.3f}" if isinstance(score, int | float) else attribute
    histogram = entry.get("histogram") or {}
    if histogram.get("edges"):
        return DriftFigure(
            title, tuple(histogram["baseline"]), tuple(histogram["current"]), edges=tuple(histogram["edges"])
        )
    categories = entry.get("categories") or {}
    if categories.get("values"):
        return DriftFigure(
            title,
            tuple(categories["baseline"]),
            tuple(categories["current"]),
            labels=tuple(short_label(v) for v in categories["values"]),
        )
    raise NotFoundException(f"Attribute {attribute!r} has no values on one side to draw.")
