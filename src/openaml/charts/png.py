"""PNG pictures of an evaluation report, drawn with matplotlib (the optional ``reports`` extra).

The figures of :mod:`.figures` in the look of :mod:`.style`, as :mod:`.svg` draws them. matplotlib
is imported only when a PNG is asked for, and only its object-oriented API with the Agg canvas is
used, so the process-wide backend and pyplot state are left alone.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from openaml.charts import style
from openaml.charts.comparison import ComparisonFigure
from openaml.charts.figures import (
    ConfusionMatrixFigure,
    Figure,
    ResidualsFigure,
    RocCurveFigure,
    confusion_matrix_figure,
    report_figures,
    residuals_figure,
    roc_curve_figure,
)
from openaml.charts.statistics import AttributeFigure, attribute_figures
from openaml.errors import InvalidInputException

ChartKind = Literal["confusion_matrix", "roc_curve", "residual_histogram", "summary"]
CHART_KINDS: tuple[ChartKind, ...] = ("confusion_matrix", "roc_curve", "residual_histogram", "summary")
_READERS: dict[str, Callable[[Mapping[str, Any]], Figure]] = {
    "confusion_matrix": confusion_matrix_figure,
    "roc_curve": roc_curve_figure,
    "residual_histogram": residuals_figure,
}
_SINGLE_CHART_INCHES = (6.4, 5.6)
_SUMMARY_COLUMNS = 2
_SUMMARY_PANEL_INCHES = 5.0
_STATISTICS_COLUMNS = 4
_STATISTICS_PANEL_INCHES = 3.2


def png_bytes(report: Mapping[str, Any], kind: ChartKind, title: str = "") -> bytes:
    """Chart ``kind`` of ``report`` as PNG bytes; ``summary`` puts every chart the report has in one
    picture, under ``title``.

    Raises ``ModuleNotFoundError`` naming the extra to install when matplotlib is absent, and
    ``InvalidInputException`` when the report lacks what the chart draws.
    """
    if kind not in CHART_KINDS:
        raise ValueError(f"unknown chart kind {kind!r}; use one of {', '.join(CHART_KINDS)}")
    if kind != "summary":
        return _picture([_READERS[kind](report)], _draw, title=title)
    figures = report_figures(report)
    if not figures:
        raise InvalidInputException("This evaluation report has no chart to draw.")
    return _picture(figures, _draw, title, _SUMMARY_COLUMNS, _SUMMARY_PANEL_INCHES)


def statistics_png_bytes(statistics: Mapping[str, Any], title: str = "") -> bytes:
    """The histograms (numeric) and top-value bars (others) of the attributes most related to the
    target, as one PNG picture under ``title`` (errors as :func:`png_bytes`)."""
    figures = attribute_figures(statistics)
    if not figures:
        raise InvalidInputException("These statistics have no histogram or value counts to draw.")
    return _picture(figures, _draw_attribute, title, _STATISTICS_COLUMNS, _STATISTICS_PANEL_INCHES)


def comparison_png_bytes(figure: ComparisonFigure) -> bytes:
    """The champion–challenger chart as PNG bytes (errors as :func:`png_bytes`)."""
    return _picture([figure], lambda picture, axes, drawn: _draw_comparison(axes, drawn))


def render_png(report: Mapping[str, Any], kind: ChartKind, path: Path | str) -> Path:
    """Draw chart ``kind`` of ``report`` into the PNG file ``path`` and return it (see :func:`png_bytes`)."""
    body = png_bytes(report, kind)
    target = Path(path)
    target.write_bytes(body)
    return target


def _picture(
    figures: Sequence[Any],
    draw: Callable[[Any, Any, Any], None],
    title: str = "",
    columns: int = 1,
    panel_inches: float | None = None,
) -> bytes:
    """``figures`` drawn by ``draw(picture, axes, figure)`` in a grid of ``columns``, as PNG bytes.

    Without ``panel_inches`` the picture has the size of a single chart.
    """
    figure_class, canvas_class = _matplotlib()
    columns = max(1, min(columns, len(figures)))
    rows = math.ceil(len(figures) / columns)
    if panel_inches is None:
        size = _SINGLE_CHART_INCHES
    else:
        size = (columns * panel_inches, rows * panel_inches * 0.85 + 0.4)
    picture = figure_class(figsize=size, dpi=100, layout="constrained")
    canvas_class(picture)
    if title:
        picture.suptitle(title)
    for index, figure in enumerate(figures):
        draw(picture, picture.add_subplot(rows, columns, index + 1), figure)
    buffer = io.BytesIO()
    picture.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _matplotlib() -> tuple[Any, Any]:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure as MatplotlibFigure
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            "PNG export needs matplotlib; install it with: pip install 'openaml[reports]' "
            "(SVG export works without it)."
        ) from error
    return MatplotlibFigure, FigureCanvasAgg


def _draw(picture: Any, axes: Any, figure: Figure) -> None:
    if isinstance(figure, ConfusionMatrixFigure):
        _draw_confusion_matrix(picture, axes, figure)
    elif isinstance(figure, RocCurveFigure):
        _draw_roc_curve(axes, figure)
    else:
        _draw_residuals(axes, figure)


def _draw_confusion_matrix(picture: Any, axes: Any, figure: ConfusionMatrixFigure) -> None:
    from matplotlib.colors import LinearSegmentedColormap

    colours = LinearSegmentedColormap.from_list(
        "openaml-shares", [style.share_colour(0.0), style.share_colour(1.0)]
    )
    image = axes.imshow([list(row) for row in figure.shares], cmap=colours, vmin=0.0, vmax=1.0)
    picture.colorbar(image, ax=axes, label=figure.colour_label)
    ticks = range(len(figure.labels))
    axes.set_xticks(ticks, figure.labels, rotation=style.COLUMN_LABEL_ROTATION)
    axes.set_yticks(ticks, figure.labels)
    axes.set_xlabel(figure.x_label)
    axes.set_ylabel(figure.y_label)
    axes.set_title(figure.title)
    if figure.shows_counts:
        for row, counts in enumerate(figure.counts):
            for column, count in enumerate(counts):
                colour = style.count_colour(figure.shares[row][column])
                axes.text(column, row, str(count), ha="center", va="center", color=colour, fontsize=8)


def _draw_roc_curve(axes: Any, figure: RocCurveFigure) -> None:
    xs, ys = [f for f, _ in figure.points], [t for _, t in figure.points]
    axes.plot(xs, ys, color=style.SERIES, linewidth=2, label=figure.series_label)
    axes.plot([0, 1], [0, 1], color=style.REFERENCE, linestyle="--", label=figure.reference_label)
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_aspect("equal")
    axes.grid(color=style.GRID)
    axes.set_xlabel(figure.x_label)
    axes.set_ylabel(figure.y_label)
    axes.set_title(figure.title)
    axes.legend(loc="lower right")


def _draw_residuals(axes: Any, figure: ResidualsFigure) -> None:
    axes.stairs(list(figure.counts), list(figure.edges), fill=True, color=style.SERIES)
    axes.grid(axis="y", color=style.GRID)
    axes.set_xlabel(figure.x_label)
    axes.set_ylabel(figure.y_label)
    axes.set_title(figure.title)


def _draw_comparison(axes: Any, figure: ComparisonFigure) -> None:
    """Two bars per metric (each metric scaled to its larger value), values at the bar ends."""
    rows = list(figure.rows)
    for offset, (who, label, colour) in enumerate(
        (
            ("champion", figure.champion_label, style.CHAMPION),
            ("challenger", figure.challenger_label, style.CHALLENGER),
        )
    ):
        values = [row.champion if who == "champion" else row.challenger for row in rows]
        scales = [max(abs(row.champion), abs(row.challenger)) or 1.0 for row in rows]
        positions = [index + offset * 0.4 for index in range(len(rows))]
        lengths = [max(value, 0.0) / scale for value, scale in zip(values, scales, strict=True)]
        axes.barh(positions, lengths, height=0.38, color=colour, label=label)
        for position, length, value, row in zip(positions, lengths, values, rows, strict=True):
            weight = "bold" if row.winner == who else "normal"
            axes.text(length + 0.01, position, f"{value:.4g}", va="center", fontsize=8, fontweight=weight)
    axes.set_yticks(
        [index + 0.2 for index in range(len(rows))],
        [("★ " if figure.decides(row) else "") + f"{row.metric}\n({figure.direction(row)})" for row in rows],
        fontsize=8,
    )
    axes.invert_yaxis()
    axes.set_xlim(0, 1.25)
    axes.set_xticks([])
    axes.set_title(f"{figure.title}\n{figure.subtitle}", fontsize=10)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=2, fontsize=8, frameon=False)


def _draw_attribute(picture: Any, axes: Any, figure: AttributeFigure) -> None:
    if figure.edges:
        axes.stairs(list(figure.counts), list(figure.edges), fill=True, color=style.SERIES)
        axes.locator_params(axis="x", nbins=4)
    else:
        axes.barh(list(figure.values), list(figure.counts), color=style.SERIES)
    axes.set_title(figure.title, fontsize=8)
    axes.tick_params(labelsize=7)
