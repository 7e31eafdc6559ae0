"""SVG pictures of an evaluation report, as plain text: no plotting library needed.

:func:`confusion_matrix_svg` draws the row-normalized confusion matrix as a heat map (rows = true
class) with the counts in the cells while they fit; :func:`roc_curve_svg` draws the ROC curve against
the diagonal of random ranking. Both read the report JSON of :mod:`.evaluate` and raise
``InvalidInputException`` when the report lacks what they draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from openaml.errors import InvalidInputException

_FONT = 'font-family="sans-serif"'
_LABEL_CHARACTERS = 18
_MAX_CELL = 56.0
_MATRIX_SIDE = 560.0
_NUMBERS_DOWN_TO = 22.0  # below this cell size, counts no longer fit in the cells
_CHART_NEEDS = {
    "confusionMatrix": "a confusion matrix (BINARY and MULTICLASS evaluations)",
    "rocCurve": "a ROC curve (BINARY evaluations whose data holds both classes)",
}


def confusion_matrix_svg(report: Mapping[str, Any]) -> str:
    """The report's confusion matrix as an SVG document."""
    matrix = chart_section(report, "confusionMatrix")
    labels = [_short(label) for label in matrix["labels"]]
    size = len(labels)
    cell = min(_MAX_CELL, _MATRIX_SIDE / size)
    font = max(6.0, min(12.0, cell * 0.35))
    # Room for the class names: beside the rows, and turned upright above the columns.
    label_room = 0.6 * font * max(len(label) for label in labels) + 10.0
    left, top = 30.0 + label_room, 70.0 + label_room
    side = cell * size
    width, height = max(left + side + 20.0, 360.0), top + side + 20.0
    parts = [
        _text(width / 2, 22, "Confusion matrix", 14, "middle"),
        _text(width / 2, 40, "rows: true class; colour: share of the row", 11, "middle", "#555555"),
        _text(left + side / 2, 62, "predicted class", 12, "middle"),
        _text(16, top + side / 2, "true class", 12, "middle", rotate=True),
    ]
    for row, (counts, shares) in enumerate(zip(matrix["counts"], matrix["normalized"], strict=True)):
        y = top + row * cell
        parts.append(_text(left - 6, y + cell / 2 + font / 3, labels[row], font, "end"))
        for column, (count, share) in enumerate(zip(counts, shares, strict=True)):
            x = left + column * cell
            parts.append(
                f'<rect x="{x:.2f}" y="{y:.2f}" width="{cell:.2f}" height="{cell:.2f}" '
                f'fill="{_blue(share or 0.0)}" stroke="#ffffff" stroke-width="0.5"/>'
            )
            if cell >= _NUMBERS_DOWN_TO:
                colour = "#ffffff" if (share or 0.0) > 0.55 else "#1a1a1a"
                parts.append(_text(x + cell / 2, y + cell / 2 + font / 3, str(count), font, "middle", colour))
    for column, label in enumerate(labels):
        x = left + column * cell + cell / 2 + font / 3
        parts.append(_text(x, top - 6, label, font, "start", rotate=True))
    return _document(width, height, parts)


def roc_curve_svg(report: Mapping[str, Any]) -> str:
    """The report's ROC curve as an SVG document, with the AUC in the title."""
    curve = chart_section(report, "rocCurve")
    plot, left, top = 400.0, 60.0, 40.0
    auc = report.get("metrics", {}).get("BinaryAUC")
    title = "ROC curve" + (f" (AUC {auc:.4f})" if isinstance(auc, int | float) else "")
    parts = [_text(left + plot / 2, 24, title, 14, "middle")]
    for tick in range(6):
        share = tick / 5
        x, y = left + share * plot, top + (1 - share) * plot
        parts += [
            f'<line x1="{x:.2f}" y1="{top}" x2="{x:.2f}" y2="{top + plot}" stroke="#e0e0e0"/>',
            f'<line x1="{left}" y1="{y:.2f}" x2="{left + plot}" y2="{y:.2f}" stroke="#e0e0e0"/>',
            _text(x, top + plot + 16, f"{share:.1f}", 10, "middle"),
            _text(left - 6, y + 4, f"{share:.1f}", 10, "end"),
        ]
    parts += [
        f'<rect x="{left}" y="{top}" width="{plot}" height="{plot}" fill="none" stroke="#333333"/>',
        f'<line x1="{left}" y1="{top + plot}" x2="{left + plot}" y2="{top}" stroke="#999999" '
        'stroke-dasharray="4 4"/>',
        _text(left + plot / 2, top + plot + 36, "false positive rate", 12, "middle"),
        _text(18, top + plot / 2, "true positive rate", 12, "middle", rotate=True),
    ]
    points = " ".join(
        f"{left + fpr * plot:.2f},{top + (1 - tpr) * plot:.2f}"
        for fpr, tpr in zip(curve["fpr"], curve["tpr"], strict=True)
        if fpr is not None and tpr is not None
    )
    parts.append(f'<polyline points="{points}" fill="none" stroke="#1f5fa8" stroke-width="2"/>')
    return _document(left + plot + 20, top + plot + 50, parts)


def chart_section(report: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The report section ``key`` a chart draws; ``InvalidInputException`` when the report has none."""
    section = report.get(key)
    if not isinstance(section, Mapping):
        raise InvalidInputException(
            f"This evaluation report has no {key!r} section; "
            f"only reports with {_CHART_NEEDS[key]} can draw it."
        )
    return section


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
    colour: str = "#1a1a1a",
    *,
    rotate: bool = False,
) -> str:
    """A text element; ``rotate`` turns it a quarter left around (``x``, ``y``)."""
    turn = f' transform="rotate(-90 {x:.2f} {y:.2f})"' if rotate else ""
    return (
        f'<text x="{x:.2f}" y="{y:.2f}" font-size="{size:.1f}" text-anchor={quoteattr(anchor)} '
        f'fill="{colour}" {_FONT}{turn}>{escape(content)}</text>'
    )


def _short(label: object) -> str:
    text = str(label)
    return text if len(text) <= _LABEL_CHARACTERS else text[: _LABEL_CHARACTERS - 1] + "…"


def _blue(share: float) -> str:
    """White for 0 through to a deep blue for 1."""
    share = min(max(share, 0.0), 1.0)
    low, high = (247, 251, 255), (8, 48, 107)
    red, green, blue = (round(a + (b - a) * share) for a, b in zip(low, high, strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"
