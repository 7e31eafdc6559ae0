"""Drift report pictures: an attribute's baseline and current distributions overlaid, as SVG."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest

from openaml.charts.render import render_drift_chart
from openaml.errors import NotFoundException

REPORT: dict[str, Any] = {
    "attributes": [
        {
            "name": "age",
            "method": "psi",
            "score": 0.31,
            "histogram": {
                "edges": [0.0, 10.0, 20.0, 30.0],
                "baseline": [0.5, 0.3, 0.2],
                "current": [0.2, 0.3, 0.5],
            },
        },
        {
            "name": "city <&>",
            "method": "jensenShannon",
            "score": 0.02,
            "categories": {"values": ["paris", "(other)"], "baseline": [0.6, 0.4], "current": [0.55, 0.45]},
        },
        {"name": "empty", "method": "psi", "score": None, "histogram": None},
    ],
    "predictionDrift": {
        "method": "psi",
        "score": 0.01,
        "histogram": {"edges": [0.0, 0.5, 1.0], "baseline": [0.5, 0.5], "current": [0.4, 0.6]},
    },
}


@pytest.mark.parametrize("attribute", ["age", "city <&>", "(prediction)"])
def test_each_attribute_is_a_valid_svg_with_both_series(attribute: str) -> None:
    body, media_type = render_drift_chart(REPORT, f"{attribute}.svg")
    assert media_type == "image/svg+xml"
    root = ElementTree.fromstring(body)  # well-formed, names escaped
    texts = [element.text for element in root.iter() if element.tag.endswith("text")]
    assert "baseline" in texts and "current" in texts
    assert any(text and text.startswith(attribute) for text in texts)


def test_unknown_or_empty_attributes_and_other_formats_are_not_found() -> None:
    for chart in ("nope.svg", "empty.svg", "age.png", "age"):
        with pytest.raises(NotFoundException):
            render_drift_chart(REPORT, chart)
