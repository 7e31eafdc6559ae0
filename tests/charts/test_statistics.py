"""The statistics picture: panels in order of relation to the target, one palette, clear refusals."""

from __future__ import annotations

import io
from typing import Any

import pytest

from openaml.charts import style
from openaml.charts.render import render_statistics_chart
from openaml.charts.statistics import attribute_figures, ordered_attributes
from openaml.errors import InvalidInputException, NotFoundException


def _statistics() -> dict[str, Any]:
    return {
        "attributes": [
            {
                "name": "weight",
                "type": "NUMERIC",
                "numeric": {"histogram": {"edges": [0.0, 1.0, 2.0], "counts": [3, 5]}},
                "correlationToTarget": {"value": 0.1},
            },
            {
                "name": "colour",
                "type": "CATEGORICAL",
                "topValues": [{"value": "a-very-long-category-name", "count": 7}, {"value": "b", "count": 2}],
                "correlationToTarget": {"value": 0.4},
            },
            {"name": "notes", "type": "TEXT", "text": {"tokens": 3, "distinctTokens": 2}},
        ]
    }


def test_panels_come_most_related_first_with_short_labels() -> None:
    figures = attribute_figures(_statistics())

    assert [figure.title for figure in figures] == ["colour (CATEGORICAL)", "weight (NUMERIC)"]
    assert [attribute["name"] for attribute in ordered_attributes(_statistics())] == [
        "colour",
        "weight",
        "notes",
    ]
    assert figures[0].values == ("b", style.short_label("a-very-long-category-name"))
    assert figures[1].edges == (0.0, 1.0, 2.0) and figures[1].counts == (3, 5)


def test_the_histograms_png_is_a_png() -> None:
    pytest.importorskip("matplotlib")
    from PIL import Image

    body, media_type = render_statistics_chart(_statistics(), "histograms.png", "DataSource ds-1")

    assert media_type == "image/png" and Image.open(io.BytesIO(body)).format == "PNG"


def test_statistics_without_anything_to_draw_or_an_unknown_chart_are_refused() -> None:
    with pytest.raises(InvalidInputException, match="no histogram"):
        render_statistics_chart({"attributes": [{"name": "notes", "type": "TEXT"}]}, "histograms.png")
    with pytest.raises(NotFoundException, match=r"histograms\.png"):
        render_statistics_chart(_statistics(), "histograms.svg")
