"""SVG pictures of an evaluation report (and of a drift report), as plain text: no plotting library needed.

Each function draws one figure of :mod:`.figures` in the look of :mod:`.style`; :mod:`.png` draws the
same figures with matplotlib.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from openaml.charts import style
from openaml.charts.comparison import ComparisonFigure
from openaml.charts.drift import drift_figure
from openaml.charts.figures import confusion_matrix_figure, residuals_figure, roc_curve_figure
from openaml.charts.importance import importance_figure

_FONT = 'font-family="sans-serif"'
_MAX_CELL = 56.0
_MATRIX_SIDE = 560.0
_PLOT = 400.0


def confusion_matrix_svg(report: Mapping[str, Any]) -> str:
    """The report's confusion matrix as an SVG document: a heat map with counts while they fit."""
    figure = confusion_matrix_figure(report)
    labels = figure.labels
    size = len(labels)
    cell = min(_MAX_CELL, _MATRIX_SIDE / size)
    font = max(6.0, min(12.0, cell * 0.35))
    # Room for the class names: beside the rows, and turned upright above the columns.
    label_room = 0.6 * font * max(len(label) for label in labels) + 10.0
    left, top = 30.0 + label_room, 70.0 + label_room
    side = cell * size
    width, height = max(left + side + 20.0, 360.0), top + side + 20.0
    parts = [
        _text(width / 2, 22, figure.title, 14, "middle"),
        _text(width / 2, 40, figure.subtitle, 11, "middle", style.MUTED_TEXT),
        _text(left + side / 2, 62, figure.x_label, 12, "middle"),
        _text(16, top + side / 2, figure.y_label, 12, "middle", rotate=True),
    ]
    for row, (counts, shares) in enumerate(zip(figure.counts, figure.shares, strict=True)):
        y = top + row * cell
        parts.append(_text(left - 6, y + cell / 2 + font / 3, labels[row], font, "end"))
        for column, (count, share) in enumerate(zip(counts, shares, strict=True)):
            x = left + column * cell
            parts.append(
                f'<rect x="{x:.2f}" y="{y:.2f}" width="{cell:.2f}" height="{cell:.2f}" '
                f'fill="{style.share_colour(share)}" stroke="#ffffff" stroke-width="0.5"/>'
            )
            if figure.shows_counts:
                parts.append(
                    _text(
                        x + cell / 2,
                        y + cell / 2 + font / 3,
                        str(count),
                        font,
                        "middle",
                        style.count_colour(share),
                    )
                )
    for column, label in enumerate(labels):
        x = left + column * cell + cell / 2 + font / 3
        parts.append(_text(x, top - 6, label, font, "start", rotate=True))
    return _document(width, height, parts)


def roc_curve_svg(report: Mapping[str, Any]) -> str:
    """The report's ROC curve as an SVG document, with the AUC in the title."""
    figure = roc_curve_figure(report)
    left, top = 60.0, 40.0
    parts = [_text(left + _PLOT / 2, 24, figure.title, 14, "middle"), *_unit_axes(left, top)]
    parts += [
        f'<line x1="{left}" y1="{top + _PLOT}" x2="{left + _PLOT}" y2="{top}" stroke="{style.REFERENCE}" '
        'stroke-dasharray="4 4"/>',
        *_axis_titles(left, top, figure.x_label, figure.y_label),
    ]
    points = " ".join(f"{left + fpr * _PLOT:.2f},{top + (1 - tpr) * _PLOT:.2f}" for fpr, tpr in figure.points)
    parts.append(f'<polyline points="{points}" fill="none" stroke="{style.SERIES}" stroke-width="2"/>')
    return _document(left + _PLOT + 20, top + _PLOT + 50, parts)


def residual_histogram_svg(report: Mapping[str, Any]) -> str:
    """The report's residual histogram (true − predicted) as an SVG document."""
    figure = residuals_figure(report)
    left, top = 60.0, 40.0
    low, high = figure.edges[0], figure.edges[-1]
    span, tallest = (high - low) or 1.0, max(figure.counts, default=0) or 1
    parts = [_text(left + _PLOT / 2, 24, figure.title, 14, "middle")]
    for tick in range(6):
        share = tick / 5
        x, y = left + share * _PLOT, top + (1 - share) * _PLOT
        parts += [
            f'<line x1="{left}" y1="{y:.2f}" x2="{left + _PLOT}" y2="{y:.2f}" stroke="{style.GRID}"/>',
            _text(x, top + _PLOT + 16, f"{low + share * span:.3g}", 10, "middle"),
            _text(left - 6, y + 4, f"{share * tallest:.0f}", 10, "end"),
        ]
    for count, start, end in zip(figure.counts, figure.edges, figure.edges[1:], strict=False):
        x, bar = left + (start - low) / span * _PLOT, count / tallest * _PLOT
        parts.append(
            f'<rect x="{x:.2f}" y="{top + _PLOT - bar:.2f}" width="{(end - start) / span * _PLOT:.2f}" '
            f'height="{bar:.2f}" fill="{style.SERIES}"/>'
        )
    parts += [
        f'<rect x="{left}" y="{top}" width="{_PLOT}" height="{_PLOT}" fill="none" stroke="{style.FRAME}"/>',
        *_axis_titles(left, top, figure.x_label, figure.y_label),
    ]
    return _document(left + _PLOT + 20, top + _PLOT + 50, parts)


def feature_importance_svg(document: Mapping[str, Any]) -> str:
    """A model's feature importance as an SVG document: one horizontal bar per attribute."""
    figure = importance_figure(document)
    bar, gap, font = 18.0, 6.0, 11.0
    left = 30.0 + 0.6 * font * max(len(label) for label in figure.labels)
    top = 44.0
    height = len(figure.labels) * (bar + gap)
    low = min(0.0, *figure.values)
    span = (max(0.0, *figure.values) - low) or 1.0
    zero = left + (0.0 - low) / span * _PLOT
    parts = [_text(left + _PLOT / 2, 24, figure.title, 14, "middle")]
    for tick in range(6):
        share = tick / 5
        x = left + share * _PLOT
        parts += [
            f'<line x1="{x:.2f}" y1="{top}" x2="{x:.2f}" y2="{top + height:.2f}" stroke="{style.GRID}"/>',
            _text(x, top + height + 16, f"{low + share * span:.3g}", 10, "middle"),
        ]
    for row, (label, value) in enumerate(zip(figure.labels, figure.values, strict=True)):
        y = top + row * (bar + gap) + gap / 2
        start, end = sorted((zero, left + (value - low) / span * _PLOT))
        parts += [
            _text(left - 6, y + bar / 2 + font / 3, label, font, "end"),
            f'<rect x="{start:.2f}" y="{y:.2f}" width="{end - start:.2f}" height="{bar:.2f}" '
            f'fill="{style.SERIES}"/>',
        ]
    parts += [
        f'<line x1="{zero:.2f}" y1="{top}" x2="{zero:.2f}" y2="{top + height:.2f}" stroke="{style.FRAME}"/>',
        _text(left + _PLOT / 2, top + height + 36, figure.x_label, 12, "middle"),
    ]
    return _document(left + _PLOT + 20, top + height + 50, parts)


_METRIC_LABEL_WIDTH = 210.0
_BAR_HEIGHT = 14.0
_ROW_GAP = 14.0


def comparison_svg(figure: ComparisonFigure) -> str:
    """Champion and challenger metrics as an SVG document: two bars per metric, each metric scaled to
    its larger value, the value written at the end of each bar and the better one in bold."""
    left, top, bar_room = 20.0 + _METRIC_LABEL_WIDTH, 78.0, 300.0
    width = left + bar_room + 90.0
    row_height = 2 * _BAR_HEIGHT + _ROW_GAP
    parts = [
        _text(width / 2, 22, figure.title, 14, "middle"),
        _text(width / 2, 40, figure.subtitle, 11, "middle", style.MUTED_TEXT),
    ]
    legend_x = left
    for label, colour in (
        (figure.champion_label, style.CHAMPION),
        (figure.challenger_label, style.CHALLENGER),
    ):
        parts += [
            f'<rect x="{legend_x:.2f}" y="52" width="12" height="12" fill="{colour}"/>',
            _text(legend_x + 16, 62, label, 11, "start"),
        ]
        legend_x += 30 + 7 * len(label)
    for index, row in enumerate(figure.rows):
        y = top + index * row_height
        scale = max(abs(row.champion), abs(row.challenger)) or 1.0
        marker = "★ " if figure.decides(row) else ""
        parts += [
            _text(left - 8, y + _BAR_HEIGHT, marker + row.metric, 11, "end"),
            _text(left - 8, y + 2 * _BAR_HEIGHT, figure.direction(row), 9, "end", style.MUTED_TEXT),
        ]
        for offset, (who, value, colour) in enumerate(
            (("champion", row.champion, style.CHAMPION), ("challenger", row.challenger, style.CHALLENGER))
        ):
            bar_y = y + offset * _BAR_HEIGHT
            length = max(value, 0.0) / scale * bar_room
            parts.append(
                f'<rect x="{left:.2f}" y="{bar_y:.2f}" width="{length:.2f}" height="{_BAR_HEIGHT - 2:.2f}" '
                f'fill="{colour}"><title>{escape(f"{who}: {value:.6g}")}</title></rect>'
            )
            parts.append(
                _text(
                    left + length + 4,
                    bar_y + _BAR_HEIGHT - 3,
                    f"{value:.4g}",
                    10,
                    "start",
                    bold=row.winner == who,
                )
            )
    height = top + len(figure.rows) * row_height + 10
    return _document(width, height, parts)


def _unit_axes(left: float, top: float) -> list[str]:
    """Grid lines and 0.0–1.0 ticks on both axes, and the frame of a unit square plot."""
    parts = []
    for tick in range(6):
        share = tick / 5
        x, y = left + share * _PLOT, top + (1 - share) * _PLOT
        parts += [
            f'<line x1="{x:.2f}" y1="{top}" x2="{x:.2f}" y2="{top + _PLOT}" stroke="{style.GRID}"/>',
            f'<line x1="{left}" y1="{y:.2f}" x2="{left + _PLOT}" y2="{y:.2f}" stroke="{style.GRID}"/>',
            _text(x, top + _PLOT + 16, f"{share:.1f}", 10, "middle"),
            _text(left - 6, y + 4, f"{share:.1f}", 10, "end"),
        ]
    parts.append(
        f'<rect x="{left}" y="{top}" width="{_PLOT}" height="{_PLOT}" fill="none" stroke="{style.FRAME}"/>'
    )
    return parts


def _axis_titles(left: float, top: float, x_label: str, y_label: str) -> list[str]:
    return [
        _text(left + _PLOT / 2, top + _PLOT + 36, x_label, 12, "middle"),
        _text(18, top + _PLOT / 2, y_label, 12, "middle", rotate=True),
    ]


def _document(width: float, height: float, parts: list[str]) -> str:
    body = "\n".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}">\n'
        f'<rect width="100%" height="100%" fill="#ffffff"/>\n{body}\n</svg>\n'
    )


def _text(
    x: float,
    y: float,
    content: str,
    size: float,
    anchor: str,
    colour: str = style.TEXT,
    *,
    rotate: bool = False,
    bold: bool = False,
) -> str:
    """A text element; ``rotate`` turns it by the one column-label rotation around (``x``, ``y``)."""
    turn = f' transform="rotate(-{style.COLUMN_LABEL_ROTATION} {x:.2f} {y:.2f})"' if rotate else ""
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.2f}" y="{y:.2f}" font-size="{size:.1f}" text-anchor={quoteattr(anchor)} '
        f'fill="{colour}" {_FONT}{turn}{weight}>{escape(content)}</text>'
    )


def drift_svg(report: Mapping[str, Any], attribute: str) -> str:
    """One attribute of a drift report: baseline bars filled, current bars outlined, on the same bins."""
    figure = drift_figure(report, attribute)
    bins = len(figure.baseline)
    left, top, width, height = 60.0, 40.0, 520.0, 240.0
    peak = max((*figure.baseline, *figure.current), default=0.0) or 1.0
    step = width / max(bins, 1)
    parts = [_text(left, 22, figure.title, 13, "start")]
    for tick in range(5):
        share = peak * tick / 4
        y = top + height - height * tick / 4
        parts += [
            f'<line x1="{left}" y1="{y:.2f}" x2="{left + width}" y2="{y:.2f}" stroke="{style.GRID}"/>',
            _text(left - 6, y + 4, f"{share:.0%}" if peak >= 0.1 else f"{share:.1%}", 10, "end"),
        ]
    for index, (base, current) in enumerate(zip(figure.baseline, figure.current, strict=True)):
        x = left + index * step
        base_height, current_height = height * base / peak, height * current / peak
        parts += [
            f'<rect x="{x + 1:.2f}" y="{top + height - base_height:.2f}" width="{max(step - 2, 1):.2f}" '
            f'height="{base_height:.2f}" fill="{style.REFERENCE}" fill-opacity="0.55"/>',
            f'<rect x="{x + 1:.2f}" y="{top + height - current_height:.2f}" width="{max(step - 2, 1):.2f}" '
            f'height="{current_height:.2f}" fill="{style.SERIES}" fill-opacity="0.35" '
            f'stroke="{style.SERIES}"/>',
        ]
    if figure.labels:
        for index, label in enumerate(figure.labels):
            x = left + (index + 0.5) * step
            parts.append(_text(x, top + height + 14, label, 10, "end", rotate=True))
    else:
        for index in (0, bins // 2, bins):
            x = left + index * step
            parts.append(_text(x, top + height + 16, f"{figure.edges[index]:.4g}", 10, "middle"))
    parts += [
        f'<rect x="{left}" y="{top}" width="{width}" height="{height}" fill="none" stroke="{style.FRAME}"/>',
        f'<rect x="{left + width - 150}" y="{top + 6}" width="12" height="12" fill="{style.REFERENCE}" '
        'fill-opacity="0.55"/>',
        _text(left + width - 134, top + 16, "baseline", 11, "start"),
        f'<rect x="{left + width - 76}" y="{top + 6}" width="12" height="12" fill="{style.SERIES}" '
        f'fill-opacity="0.35" stroke="{style.SERIES}"/>',
        _text(left + width - 60, top + 16, "current", 11, "start"),
    ]
    bottom = top + height + (110 if figure.labels else 30)
    return _document(left + width + 20, bottom, parts)
