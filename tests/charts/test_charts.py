"""SVG and PNG pictures of evaluation reports."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openaml.charts.png import render_png
from openaml.charts.svg import confusion_matrix_svg, roc_curve_svg
from openaml.engine.evaluation.evaluate import evaluate
from openaml.engine.models import ModelType
from openaml.errors import InvalidInputException

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
    return evaluate(ModelType.REGRESSION, np.array([1.0, 2.0]), np.array([1.5, 2.5]), classes=None).report


def _texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def test_confusion_matrix_svg_is_well_formed_with_one_cell_per_pair() -> None:
    root = ET.fromstring(confusion_matrix_svg(_binary_report()))

    assert root.tag == f"{SVG}svg"
    cells = [rect for rect in root.iter(f"{SVG}rect") if rect.get("stroke") == "#ffffff"]
    assert len(cells) == 4
    assert {"0", "1", "predicted class", "true class"} <= set(_texts(root))


def test_confusion_matrix_svg_escapes_labels() -> None:
    root = ET.fromstring(confusion_matrix_svg(_multiclass_report(["<a&b>", 'say "hi"', "c"])))

    assert "<a&b>" in _texts(root)


def test_a_large_confusion_matrix_keeps_every_cell_without_counts() -> None:
    classes = [f"class-{number:02d}" for number in range(40)]
    root = ET.fromstring(confusion_matrix_svg(_multiclass_report(classes)))

    cells = [rect for rect in root.iter(f"{SVG}rect") if rect.get("stroke") == "#ffffff"]
    assert len(cells) == 1600
    assert not any(text.isdigit() for text in _texts(root))


def test_roc_curve_svg_is_well_formed_and_names_the_auc() -> None:
    report = _binary_report()
    root = ET.fromstring(roc_curve_svg(report))

    polyline = root.find(f"{SVG}polyline")
    assert polyline is not None
    assert len(polyline.get("points", "").split()) == len(report["rocCurve"]["fpr"])
    assert any(text.startswith("ROC curve (AUC 0.") for text in _texts(root))


def test_charts_refuse_reports_without_their_section() -> None:
    with pytest.raises(InvalidInputException, match="ROC curve"):
        roc_curve_svg(_multiclass_report(["a", "b"]))
    with pytest.raises(InvalidInputException, match="confusion matrix"):
        confusion_matrix_svg(_regression_report())


@pytest.mark.parametrize("kind", ["confusion_matrix", "roc_curve"])
def test_png_export_writes_a_png_file(tmp_path: Path, kind: Any) -> None:
    pytest.importorskip("matplotlib")
    path = render_png(_binary_report(), kind, tmp_path / f"{kind}.png")

    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_png_export_without_matplotlib_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)

    with pytest.raises(ModuleNotFoundError, match=r"openaml\[reports\]"):
        render_png(_binary_report(), "roc_curve", tmp_path / "roc.png")


def test_png_export_refuses_an_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown chart kind"):
        render_png(_binary_report(), "pie", tmp_path / "pie.png")  # type: ignore[arg-type]
