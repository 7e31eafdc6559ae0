"""The feature-importance bar chart, drawn from the importance JSON by the one SVG renderer."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from openaml.charts.importance import MAX_BARS, importance_figure
from openaml.charts.render import render_importance_chart
from openaml.errors import InvalidInputException, NotFoundException

SVG = "{http://www.w3.org/2000/svg}"


def document(count: int, method: str = "meanAbsoluteContribution") -> dict[str, object]:
    return {
        "method": method,
        "space": "logodds",
        "metric": "log_loss" if method == "permutation" else None,
        "attributes": [{"name": f"attribute {i}", "importance": 1.0 / (i + 1)} for i in range(count)],
    }


def test_one_bar_per_attribute_largest_first() -> None:
    body, media_type = render_importance_chart(document(3), "feature-importance.svg")

    root = ET.fromstring(body)
    bars = [rect for rect in root.iter(f"{SVG}rect") if rect.get("height") == "18.00"]
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert media_type == "image/svg+xml"
    assert len(bars) == 3
    widths = [float(bar.get("width") or 0) for bar in bars]
    assert widths == sorted(widths, reverse=True)
    assert "attribute 0" in texts and "Feature importance (mean |contribution|)" in texts
    assert "mean absolute contribution (logodds)" in texts


def test_many_attributes_show_the_top_ones_and_permutation_says_so() -> None:
    figure = importance_figure(document(50, "permutation"))

    assert len(figure.labels) == MAX_BARS
    assert figure.title == f"Feature importance (permutation): top {MAX_BARS} of 50"
    assert "log_loss" in figure.x_label


def test_negative_permutation_importance_draws_left_of_zero() -> None:
    doc = document(2, "permutation")
    doc["attributes"] = [{"name": "a", "importance": 0.5}, {"name": "b", "importance": -0.1}]

    body, _ = render_importance_chart(doc, "feature-importance.svg")

    assert b">b</text>" in body


def test_unknown_charts_and_empty_documents_are_refused() -> None:
    with pytest.raises(NotFoundException):
        render_importance_chart(document(2), "feature-importance.png")
    with pytest.raises(InvalidInputException):
        render_importance_chart({"attributes": []}, "feature-importance.svg")
