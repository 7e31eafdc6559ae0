"""Plotly figures (plain ``{"data", "layout"}`` dicts) built from statistics and evaluation reports.

The pages embed these as JSON and ``console.js`` draws them with plotly.js, so all knowledge of the
statistics (contract 3) and report layouts stays here in Python, where it is tested. Every function
accepts the documented layout and tolerates missing parts by drawing nothing (returning ``None``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

Figure = dict[str, Any]

POSITIVE_COLOUR = "#d9480f"
NEGATIVE_COLOUR = "#1c7ed6"
NEUTRAL_COLOUR = "#4263eb"
#: Bars shown for the most frequent categories or tokens of one attribute.
TOP_BARS = 20
MUTUAL_INFORMATION = "mutual information"
#: Attributes shown in the correlation ranking chart (all are in the table).
TOP_CORRELATIONS = 30
#: White to dark blue: the darker a confusion-matrix cell, the larger its share of the row.
SHARE_COLOURS = [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#08306b"]]
#: Longest category tick label drawn whole; longer ones end in "…" (the hover text is whole).
TICK_LABEL_CHARACTERS = 28
#: Category labels up to this long fit under the plot level; longer ones get room to slant.
SHORT_LABEL_CHARACTERS = 10
#: Pixels between an axis' tick labels and its title; set, it makes ``automargin`` place the title
#: beyond the longest tick label (without it plotly.js draws the title over long labels).
TITLE_STANDOFF = 10
#: Legends go under the plot, so they never cover data on a narrow screen.
_LEGEND_BELOW = {"legend": {"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0}}


def _layout(
    title: str,
    x_title: str = "",
    y_title: str = "",
    *,
    xaxis: Mapping[str, Any] | None = None,
    yaxis: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A layout whose axes grow their margins to fit tick labels and titles (``automargin``).

    ``xaxis``/``yaxis`` add to the axis defaults rather than replace them: an axis without
    ``automargin`` keeps the 50 px margin and plotly cuts long tick labels at the figure's edge.
    """
    return {
        "title": {"text": title, "font": {"size": 14}},
        "xaxis": {
            "title": {"text": x_title, "standoff": TITLE_STANDOFF},
            "automargin": True,
            **(xaxis or {}),
        },
        "yaxis": {
            "title": {"text": y_title, "standoff": TITLE_STANDOFF},
            "automargin": True,
            **(yaxis or {}),
        },
        "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
        "height": 320,
        "bargap": 0.05,
        **extra,
    }


def _category_axis(labels: Sequence[str], **extra: Any) -> dict[str, Any]:
    """A category axis whose tick labels are cut to :data:`TICK_LABEL_CHARACTERS` (hover shows them whole).

    Labels are cut at their end, so ``WALKING_DOWNSTAIRS`` and ``WALKING_UPSTAIRS`` stay apart; where
    cutting would make two labels read the same, they are shown whole.
    """
    shown = [_shortened(label) for label in labels]
    axis: dict[str, Any] = {"type": "category", **extra}
    if shown != list(labels) and len(set(shown)) == len(set(labels)):
        axis |= {"tickmode": "array", "tickvals": list(labels), "ticktext": shown}
    return axis


def _label_room(labels: Sequence[str]) -> int:
    """Extra height for a category x axis whose long labels plotly.js slants under the plot."""
    longest = min(max((len(label) for label in labels), default=0), TICK_LABEL_CHARACTERS)
    return 4 * longest if longest > SHORT_LABEL_CHARACTERS else 0


def _shortened(label: str) -> str:
    if len(label) <= TICK_LABEL_CHARACTERS:
        return label
    return label[: TICK_LABEL_CHARACTERS - 1] + "…"


def _with_legend() -> dict[str, Any]:
    """Layout members of a chart with a legend: below the plot, with room for it."""
    return {**_LEGEND_BELOW, "margin": {"l": 50, "r": 20, "t": 40, "b": 80}, "height": 360}


def _centres(edges: Sequence[float]) -> tuple[list[float], list[float]]:
    centres = [(low + high) / 2 for low, high in itertools.pairwise(edges)]
    widths = [high - low for low, high in itertools.pairwise(edges)]
    return centres, widths


def _histogram_trace(
    histogram: Mapping[str, Any], counts_key: str = "counts", **extra: Any
) -> dict[str, Any]:
    centres, widths = _centres(histogram["edges"])
    return {"type": "bar", "x": centres, "width": widths, "y": histogram[counts_key], **extra}


def attribute_figure(attribute: Mapping[str, Any]) -> Figure | None:
    """The distribution of one attribute: histogram (NUMERIC), top values or top tokens (TEXT)."""
    name, kind = attribute.get("name", "?"), attribute.get("type", "")
    title = f"{name} ({kind})"
    histogram = (attribute.get("numeric") or {}).get("histogram")
    if histogram and histogram.get("edges"):
        trace = _histogram_trace(histogram, marker={"color": NEUTRAL_COLOUR}, name=name)
        return {"data": [trace], "layout": _layout(title, name, "records")}
    top_values = attribute.get("topValues")
    if top_values:
        values = [str(entry["value"]) for entry in top_values[:TOP_BARS]]
        trace = {
            "type": "bar",
            "x": values,
            "y": [entry["count"] for entry in top_values[:TOP_BARS]],
            "marker": {"color": NEUTRAL_COLOUR},
        }
        layout = _layout(
            title, "value", "records", xaxis=_category_axis(values), height=320 + _label_room(values)
        )
        return {"data": [trace], "layout": layout}
    tokens = (attribute.get("text") or {}).get("topTokens")
    if tokens:
        shown = list(reversed(tokens[:TOP_BARS]))
        words = [str(entry["token"]) for entry in shown]
        trace = {
            "type": "bar",
            "orientation": "h",
            "y": words,
            "x": [entry["count"] for entry in shown],
            "marker": {"color": NEUTRAL_COLOUR},
        }
        layout = _layout(f"{title}: most frequent tokens", "occurrences", "", yaxis=_category_axis(words))
        return {"data": [trace], "layout": layout}
    return None


def correlation_ranking(statistics: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The input attributes with their correlation to the target, strongest first (None last)."""
    entries = [a for a in statistics.get("attributes", []) if a.get("role", "input") == "input"]

    def strength(attribute: Mapping[str, Any]) -> float:
        value = (attribute.get("correlationToTarget") or {}).get("value")
        return float(value) if value is not None else float("-inf")

    return sorted(entries, key=strength, reverse=True)


def measure_label(measure: str | None) -> str:
    """What the statistics' ``correlationToTarget.measure`` is, in words (``mutualInformation``: in bits)."""
    if measure in (None, "mutualInformation"):
        return MUTUAL_INFORMATION
    return str(measure)


def correlation_figure(statistics: Mapping[str, Any]) -> Figure | None:
    ranked = [a for a in correlation_ranking(statistics) if a.get("correlationToTarget")][:TOP_CORRELATIONS]
    if not ranked:
        return None
    measure = measure_label(ranked[0]["correlationToTarget"].get("measure"))
    shown = list(reversed(ranked))
    names = [str(a["name"]) for a in shown]
    trace = {
        "type": "bar",
        "orientation": "h",
        "y": names,
        "x": [a["correlationToTarget"]["value"] for a in shown],
        "marker": {"color": NEUTRAL_COLOUR},
    }
    layout = _layout(
        f"Attributes ranked by {measure} with the target",
        f"{measure} (bits)" if measure == MUTUAL_INFORMATION else measure,
        "",
        height=max(320, 22 * len(shown) + 80),
        yaxis=_category_axis(names),
    )
    return {"data": [trace], "layout": layout}


def target_figure(statistics: Mapping[str, Any]) -> Figure | None:
    """The target's class distribution, or its histogram for a NUMERIC target."""
    target = statistics.get("target") or {}
    name = target.get("name", "target")
    if target.get("distribution"):
        classes = [str(entry["value"]) for entry in target["distribution"]]
        trace = {
            "type": "bar",
            "x": classes,
            "y": [entry["count"] for entry in target["distribution"]],
            "marker": {"color": POSITIVE_COLOUR},
        }
        return {
            "data": [trace],
            "layout": _layout(
                f"Target {name}",
                "class",
                "records",
                xaxis=_category_axis(classes),
                height=320 + _label_room(classes),
            ),
        }
    histogram = (target.get("numeric") or {}).get("histogram")
    if histogram and histogram.get("edges"):
        trace = _histogram_trace(histogram, marker={"color": POSITIVE_COLOUR})
        return {"data": [trace], "layout": _layout(f"Target {name}", name, "records")}
    return None


def confusion_figure(matrix: Mapping[str, Any]) -> Figure:
    """Row-normalized heat map (rows: true class); hovering shows the counts."""
    labels = [str(label) for label in matrix["labels"]]
    normalized = [[share if share is not None else 0.0 for share in row] for row in matrix["normalized"]]
    trace = {
        "type": "heatmap",
        "x": labels,
        "y": labels,
        "z": normalized,
        "zmin": 0,
        "zmax": 1,
        "customdata": matrix["counts"],
        "colorscale": SHARE_COLOURS,
        "hovertemplate": "true %{y}<br>predicted %{x}<br>%{z:.1%} of the row<br>%{customdata} records"
        "<extra></extra>",
        "colorbar": {"title": {"text": "share of row"}, "tickformat": ".0%"},
    }
    size = len(labels)
    annotations = (
        [
            {
                "x": labels[column],
                "y": labels[row],
                "text": f"{normalized[row][column]:.0%}",
                "showarrow": False,
                "font": {"color": "#fff" if normalized[row][column] > 0.55 else "#1a1a1a"},
            }
            for row in range(size)
            for column in range(size)
        ]
        if size <= 12
        else []
    )
    layout = _layout(
        "Confusion matrix (rows: true class)",
        "predicted class",
        "true class",
        height=max(360, 28 * size + 140) + _label_room(labels),
        annotations=annotations,
        xaxis=_category_axis(labels, side="bottom"),
        yaxis=_category_axis(labels, autorange="reversed"),
    )
    return {"data": [trace], "layout": layout}


def _cutoff_line(threshold: float) -> dict[str, Any]:
    return {
        "type": "line",
        "x0": threshold,
        "x1": threshold,
        "yref": "paper",
        "y0": 0,
        "y1": 1,
        "line": {"color": "#212529", "width": 2, "dash": "dash"},
    }


def score_histogram_figure(histograms: Mapping[str, Any], threshold: float) -> Figure:
    """Scores of actual positives and negatives, overlaid, with the cut-off as a dashed line."""
    data = [
        _histogram_trace(
            histograms, "negatives", name="actual 0", opacity=0.6, marker={"color": NEGATIVE_COLOUR}
        ),
        _histogram_trace(
            histograms, "positives", name="actual 1", opacity=0.6, marker={"color": POSITIVE_COLOUR}
        ),
    ]
    layout = _layout(
        "Score distributions",
        "score (probability of 1)",
        "records",
        barmode="overlay",
        shapes=[_cutoff_line(threshold)],
    )
    layout["xaxis"]["range"] = [0, 1]
    return {"data": data, "layout": layout}


def roc_figure(roc: Mapping[str, Any], point: tuple[float, float] | None) -> Figure:
    """ROC curve against the diagonal of random ranking; ``point`` (FPR, TPR) marks the cut-off."""
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines", "x": roc["fpr"], "y": roc["tpr"], "name": "model"},
        {
            "type": "scatter",
            "mode": "lines",
            "x": [0, 1],
            "y": [0, 1],
            "name": "random",
            "line": {"dash": "dot", "color": "#adb5bd"},
        },
    ]
    if point is not None:
        data.append(_point_trace(point))
    layout = _layout("ROC curve", "false-positive rate", "true-positive rate (recall)", **_with_legend())
    layout["xaxis"]["range"], layout["yaxis"]["range"] = [0, 1], [0, 1.02]
    return {"data": data, "layout": layout}


def precision_recall_figure(curve: Mapping[str, Any], point: tuple[float, float] | None) -> Figure:
    """Precision against recall; ``point`` (recall, precision) marks the cut-off."""
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines", "x": curve["recall"], "y": curve["precision"], "name": "model"}
    ]
    if point is not None:
        data.append(_point_trace(point))
    layout = _layout("Precision–recall curve", "recall", "precision", **_with_legend())
    layout["xaxis"]["range"], layout["yaxis"]["range"] = [0, 1], [0, 1.02]
    return {"data": data, "layout": layout}


def _point_trace(point: tuple[float, float]) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "markers",
        "x": [point[0]],
        "y": [point[1]],
        "name": "cut-off",
        "marker": {"size": 11, "color": "#212529"},
    }


def residual_figure(histogram: Mapping[str, Any]) -> Figure:
    trace = _histogram_trace(histogram, marker={"color": NEUTRAL_COLOUR}, name="residuals")
    layout = _layout("Residuals (true − predicted)", "residual", "records", shapes=[_cutoff_line(0.0)])
    return {"data": [trace], "layout": layout}


def predicted_vs_actual_figure(summary: Mapping[str, Any]) -> Figure | None:
    sample = summary.get("sample") or {}
    if not sample.get("predicted"):
        return None
    bounds = summary.get("range") or {
        "min": min(sample["predicted"] + sample["actual"]),
        "max": max(sample["predicted"] + sample["actual"]),
    }
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "x": sample["predicted"],
            "y": sample["actual"],
            "name": "records",
            "marker": {"size": 5, "opacity": 0.5, "color": NEUTRAL_COLOUR},
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": [bounds["min"], bounds["max"]],
            "y": [bounds["min"], bounds["max"]],
            "name": "perfect",
            "line": {"dash": "dot", "color": "#adb5bd"},
        },
    ]
    layout = _layout("Predicted against actual (sample)", "predicted", "actual", **_with_legend())
    return {"data": data, "layout": layout}


def scores_figure(scores: Mapping[str, float]) -> Figure | None:
    """The scores of one real-time prediction, one bar per class."""
    if len(scores) < 2:
        return None
    ordered = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    labels = [label for label, _ in ordered]
    trace = {
        "type": "bar",
        "x": labels,
        "y": [score for _, score in ordered],
        "marker": {"color": NEUTRAL_COLOUR},
    }
    layout = _layout(
        "Predicted scores",
        "class",
        "probability",
        xaxis=_category_axis(labels),
        height=320 + _label_room(labels),
    )
    return {"data": [trace], "layout": layout}
