"""Chart file names (``roc-curve.svg``, ``summary.png``...) to pictures: the server's one entry point."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from openaml.charts.comparison import ComparisonFigure
from openaml.charts.png import ChartKind, comparison_png_bytes, png_bytes, statistics_png_bytes
from openaml.charts.svg import (
    comparison_svg,
    confusion_matrix_svg,
    drift_svg,
    feature_importance_svg,
    residual_histogram_svg,
    roc_curve_svg,
)
from openaml.errors import InvalidInputException, NotFoundException

#: Chart name -> (PNG kind, SVG renderer or None where the chart is PNG only).
CHARTS: dict[str, tuple[ChartKind, Callable[[Mapping[str, Any]], str] | None]] = {
    "confusion-matrix": ("confusion_matrix", confusion_matrix_svg),
    "roc-curve": ("roc_curve", roc_curve_svg),
    "residual-histogram": ("residual_histogram", residual_histogram_svg),
    "summary": ("summary", None),
}
CHART_FILES = tuple(
    f"{name}.{extension}"
    for name, (_, svg) in CHARTS.items()
    for extension in (("svg", "png") if svg is not None else ("png",))
)

#: The pictures of a datasource's statistics.
STATISTICS_CHART_FILES = ("histograms.png",)
#: The pictures of a model's feature importance.
IMPORTANCE_CHART_FILES = ("feature-importance.svg",)
#: The pictures of a champion–challenger comparison.
COMPARISON_CHART_FILES = ("comparison.svg", "comparison.png")


def render_chart(report: Mapping[str, Any], chart: str, title: str = "") -> tuple[bytes, str]:
    """Chart file ``chart`` of ``report`` as (body, media type); ``title`` heads the PNG summary.

    ``NotFoundException`` for a name not in :data:`CHART_FILES`; ``InvalidInputException`` when the
    report lacks the chart, or for a PNG when matplotlib (the ``reports`` extra) is not installed.
    """
    if chart not in CHART_FILES:
        raise NotFoundException(f"Charts are {', '.join(CHART_FILES)}.")
    name, _, extension = chart.partition(".")
    kind, draw_svg = CHARTS[name]
    if extension == "svg" and draw_svg is not None:
        return draw_svg(report).encode("utf-8"), "image/svg+xml"
    return _png(lambda: png_bytes(report, kind, title if kind == "summary" else ""))


def render_statistics_chart(statistics: Mapping[str, Any], chart: str, title: str = "") -> tuple[bytes, str]:
    """Chart file ``chart`` of a datasource's statistics JSON as (body, media type), errors as above."""
    if chart not in STATISTICS_CHART_FILES:
        raise NotFoundException(f"Statistics charts are {', '.join(STATISTICS_CHART_FILES)}.")
    return _png(lambda: statistics_png_bytes(statistics, title))


def render_importance_chart(document: Mapping[str, Any], chart: str) -> tuple[bytes, str]:
    """Chart file ``chart`` of a model's feature-importance JSON as (body, media type)."""
    if chart not in IMPORTANCE_CHART_FILES:
        raise NotFoundException(f"Model charts are {', '.join(IMPORTANCE_CHART_FILES)}.")
    return feature_importance_svg(document).encode("utf-8"), "image/svg+xml"


def render_drift_chart(report: Mapping[str, Any], chart: str) -> tuple[bytes, str]:
    """``<attribute>.svg`` of a drift report: the attribute's two distributions overlaid."""
    attribute, dot, extension = chart.rpartition(".")
    if not dot or extension != "svg":
        raise NotFoundException("Drift report charts are <attribute>.svg (or (prediction).svg).")
    return drift_svg(report, attribute).encode("utf-8"), "image/svg+xml"


def render_comparison_chart(figure: ComparisonFigure, chart: str) -> tuple[bytes, str]:
    """Chart file ``chart`` (``comparison.svg`` or ``.png``) of a champion–challenger comparison."""
    if chart not in COMPARISON_CHART_FILES:
        raise NotFoundException(f"Comparison charts are {', '.join(COMPARISON_CHART_FILES)}.")
    if chart.endswith(".svg"):
        return comparison_svg(figure).encode("utf-8"), "image/svg+xml"
    return _png(lambda: comparison_png_bytes(figure))


def _png(draw: Callable[[], bytes]) -> tuple[bytes, str]:
    try:
        return draw(), "image/png"
    except ModuleNotFoundError as exc:
        raise InvalidInputException(
            f"PNG charts need matplotlib: {exc}. SVG charts work without it."
        ) from exc
