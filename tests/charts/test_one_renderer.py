"""The SVG and the PNG of a chart come from the same figure, palette and label rules."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest

from openaml.charts import style
from openaml.charts.figures import confusion_matrix_figure, report_figures, residuals_figure, roc_curve_figure
from openaml.charts.png import png_bytes
from openaml.charts.render import CHART_FILES, render_chart
from openaml.charts.svg import confusion_matrix_svg, residual_histogram_svg, roc_curve_svg
from openaml.engine.evaluation.evaluate import evaluate
from openaml.engine.models import ModelType
from openaml.errors import InvalidInputException, NotFoundException

SVG = "{http://www.w3.org/2000/svg}"


def _binary_report() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300).astype(float)
    scores = np.clip(0.4 * y + 0.6 * rng.random(300), 0, 1)
    return evaluate(ModelType.BINARY, y, scores, classes=("0", "1")).report


def _multiclass_report(classes: list[str]) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    labels = np.array(rng.choice(classes, 200), dtype=object)
    scores = rng.dirichlet(np.ones(len(classes)), 200)
    return evaluate(ModelType.MULTICLASS, labels, scores, classes=tuple(classes)).report


def _regression_report() -> dict[str, Any]:
    rng = np.random.default_rng(2)
    y = rng.normal(size=200)
    return evaluate(ModelType.REGRESSION, y, y + rng.normal(scale=0.3, size=200), classes=None).report


def _svg_texts(document: str) -> list[str]:
    return [element.text or "" for element in ET.fromstring(document).iter(f"{SVG}text")]


def _png_texts(report: dict[str, Any], kind: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text matplotlib draws into the PNG of ``kind``, caught as the Agg renderer draws it."""
    from matplotlib.backends.backend_agg import RendererAgg

    drawn: list[str] = []
    original = RendererAgg.draw_text

    def record(self: Any, gc: Any, x: float, y: float, text: str, *args: Any, **kwargs: Any) -> Any:
        drawn.append(text)
        return original(self, gc, x, y, text, *args, **kwargs)

    monkeypatch.setattr(RendererAgg, "draw_text", record)
    png_bytes(report, kind)
    return drawn


@pytest.mark.parametrize(
    ("kind", "draw_svg", "read", "report"),
    [
        ("confusion_matrix", confusion_matrix_svg, confusion_matrix_figure, _binary_report),
        ("roc_curve", roc_curve_svg, roc_curve_figure, _binary_report),
        ("residual_histogram", residual_histogram_svg, residuals_figure, _regression_report),
    ],
)
def test_the_svg_and_the_png_show_the_same_titles_and_axis_labels(
    kind: Any, draw_svg: Any, read: Any, report: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    evaluation_report = report()
    figure = read(evaluation_report)
    shared = {figure.title, figure.x_label, figure.y_label}

    assert shared <= set(_svg_texts(draw_svg(evaluation_report)))
    assert shared <= set(_png_texts(evaluation_report, kind, monkeypatch))


def test_both_formats_cut_long_class_names_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    long_name = "a-very-long-class-name-indeed"
    report = _multiclass_report([long_name, "b", "c"])
    cut = style.short_label(long_name)

    assert cut != long_name and cut in confusion_matrix_figure(report).labels
    assert cut in _svg_texts(confusion_matrix_svg(report))
    png_texts = _png_texts(report, "confusion_matrix", monkeypatch)
    assert cut in png_texts and long_name not in png_texts


def test_both_formats_use_the_one_palette_and_counts_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    report = _multiclass_report([f"class-{number:02d}" for number in range(style.MAX_COUNTED_CLASSES + 1)])
    assert not confusion_matrix_figure(report).shows_counts
    assert not any(text.isdigit() for text in _svg_texts(confusion_matrix_svg(report)))
    assert not any(text.isdigit() for text in _png_texts(report, "confusion_matrix", monkeypatch))

    colour_maps: list[Any] = []
    original = Figure.colorbar
    monkeypatch.setattr(
        Figure,
        "colorbar",
        lambda self, image, **kw: colour_maps.append(image.get_cmap()) or original(self, image, **kw),
    )
    png_bytes(_binary_report(), "confusion_matrix")
    low, high = (tuple(round(channel * 255) for channel in colour_maps[0](share)[:3]) for share in (0.0, 1.0))
    assert (low, high) == (style.SHARE_LOW, style.SHARE_HIGH)


def test_the_summary_png_holds_every_chart_of_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    from PIL import Image

    report = _binary_report()
    titles = [figure.title for figure in report_figures(report)]
    assert titles[0] == "Confusion matrix" and titles[1].startswith("ROC curve")
    body, media_type = render_chart(report, "summary.png", "Evaluation ev-1")

    assert media_type == "image/png"
    assert Image.open(io.BytesIO(body)).format == "PNG"
    drawn = _png_texts(report, "summary", monkeypatch)
    assert set(titles) <= set(drawn)


def test_chart_files_are_named_and_checked() -> None:
    assert {"confusion-matrix.svg", "roc-curve.png", "residual-histogram.svg", "summary.png"} <= set(
        CHART_FILES
    )
    assert "summary.svg" not in CHART_FILES
    with pytest.raises(NotFoundException, match=r"summary\.png"):
        render_chart(_binary_report(), "pie.svg")
    with pytest.raises(InvalidInputException, match="residual histogram"):
        render_chart(_binary_report(), "residual-histogram.svg")
    body, media_type = render_chart(_regression_report(), "residual-histogram.svg")
    assert media_type == "image/svg+xml" and ET.fromstring(body).tag == f"{SVG}svg"
