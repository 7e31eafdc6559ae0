"""PNG pictures of an evaluation report, drawn with matplotlib (the optional ``reports`` extra).

matplotlib is imported only when a PNG is asked for, and only its object-oriented API with the Agg
canvas is used, so the process-wide backend and pyplot state are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from openaml.engine.evaluation.charts import chart_section

ChartKind = Literal["confusion_matrix", "roc_curve"]
CHART_KINDS: tuple[ChartKind, ...] = ("confusion_matrix", "roc_curve")
_MAX_ANNOTATED_CLASSES = 20


def render_png(report: Mapping[str, Any], kind: ChartKind, path: Path | str) -> Path:
    """Draw chart ``kind`` of ``report`` into the PNG file ``path`` and return the path.

    Raises ``ModuleNotFoundError`` naming the extra to install when matplotlib is absent, and
    ``InvalidInputException`` when the report lacks the chart's section.
    """
    if kind not in CHART_KINDS:
        raise ValueError(f"unknown chart kind {kind!r}; use one of {', '.join(CHART_KINDS)}")
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            "PNG export needs matplotlib; install it with: pip install 'openaml[reports]' "
            "(SVG export works without it)."
        ) from error

    figure = Figure(figsize=(6.4, 5.6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    if kind == "confusion_matrix":
        _draw_confusion_matrix(figure, chart_section(report, "confusionMatrix"))
    else:
        _draw_roc_curve(figure, chart_section(report, "rocCurve"), report.get("metrics", {}).get("BinaryAUC"))
    target = Path(path)
    figure.savefig(target, format="png")
    return target


def _draw_confusion_matrix(figure: Any, matrix: Mapping[str, Any]) -> None:
    axes = figure.add_subplot()
    labels = [str(label) for label in matrix["labels"]]
    shares = [[share or 0.0 for share in row] for row in matrix["normalized"]]
    image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=axes, label="share of the true class")
    axes.set_xticks(range(len(labels)), labels, rotation=90)
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    axes.set_title("Confusion matrix")
    if len(labels) <= _MAX_ANNOTATED_CLASSES:
        for row, counts in enumerate(matrix["counts"]):
            for column, count in enumerate(counts):
                colour = "white" if shares[row][column] > 0.55 else "black"
                axes.text(column, row, str(count), ha="center", va="center", color=colour, fontsize=8)


def _draw_roc_curve(figure: Any, curve: Mapping[str, Any], auc: object) -> None:
    axes = figure.add_subplot()
    points = [
        (f, t) for f, t in zip(curve["fpr"], curve["tpr"], strict=True) if f is not None and t is not None
    ]
    axes.plot([f for f, _ in points], [t for _, t in points], color="#1f5fa8", linewidth=2, label="model")
    axes.plot([0, 1], [0, 1], color="#999999", linestyle="--", label="random (AUC 0.5)")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_aspect("equal")
    axes.grid(color="#e0e0e0")
    axes.set_xlabel("false positive rate")
    axes.set_ylabel("true positive rate")
    axes.set_title("ROC curve" + (f" (AUC {auc:.4f})" if isinstance(auc, int | float) else ""))
    axes.legend(loc="lower right")
