"""The champion–challenger chart: both models' metrics on the shared holdout, in SVG and PNG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest

from openaml.charts.comparison import comparison_figure
from openaml.charts.render import render_comparison_chart
from openaml.engine.evaluation.evaluate import evaluate
from openaml.engine.models import ModelType
from openaml.errors import InvalidInputException, NotFoundException

SVG = "{http://www.w3.org/2000/svg}"
LOWER_IS_BETTER = {"BinaryLogLoss", "RegressionRMSE", "RegressionMAE"}


def binary_report(noise: float) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300).astype(float)
    scores = np.clip((1 - noise) * y + noise * rng.random(300), 0, 1)
    return evaluate(ModelType.BINARY, y, scores, classes=("0", "1")).report


def regression_report(noise: float) -> dict[str, Any]:
    rng = np.random.default_rng(2)
    y = rng.normal(size=200)
    return evaluate(ModelType.REGRESSION, y, y + rng.normal(scale=noise, size=200), classes=None).report


def test_each_metric_of_both_reports_with_its_winner() -> None:
    figure = comparison_figure(
        binary_report(0.8),
        binary_report(0.4),
        lower_is_better=LOWER_IS_BETTER,
        challenger_label="churn.v2",
        promotion_metric="auc",
    )
    rows = {row.metric: row for row in figure.rows}
    assert "BinaryAUC" in rows and "BinaryScoreThreshold" not in rows and "BaselineBinaryAUC" not in rows
    assert rows["BinaryAUC"].winner == "challenger" and rows["BinaryLogLoss"].winner == "challenger"
    assert rows["BinaryLogLoss"].lower_is_better and not rows["BinaryAUC"].lower_is_better
    assert figure.decides(rows["BinaryAUC"]) and not figure.decides(rows["BinaryAccuracy"])


def test_lower_is_better_metrics_pick_the_smaller_error() -> None:
    figure = comparison_figure(
        regression_report(0.2),
        regression_report(0.5),
        lower_is_better=LOWER_IS_BETTER,
        promotion_metric="RegressionRMSE",
    )
    rmse = next(row for row in figure.rows if row.metric == "RegressionRMSE")
    assert rmse.champion < rmse.challenger and rmse.winner == "champion" and figure.decides(rmse)


def test_svg_names_every_metric_both_models_and_marks_the_promotion_metric() -> None:
    figure = comparison_figure(
        binary_report(0.8),
        binary_report(0.4),
        lower_is_better=LOWER_IS_BETTER,
        challenger_label="churn.v2",
        promotion_metric="auc",
    )
    body, media_type = render_comparison_chart(figure, "comparison.svg")
    assert media_type == "image/svg+xml"
    texts = [element.text or "" for element in ET.fromstring(body).iter(f"{SVG}text")]
    assert "★ BinaryAUC" in texts and "BinaryLogLoss" in texts and "churn.v2" in texts and "champion" in texts
    assert len(list(ET.fromstring(body).iter(f"{SVG}rect"))) >= 2 * len(figure.rows)


def test_png_and_refusals() -> None:
    pytest.importorskip("matplotlib")
    figure = comparison_figure(binary_report(0.8), binary_report(0.4), lower_is_better=LOWER_IS_BETTER)
    body, media_type = render_comparison_chart(figure, "comparison.png")
    assert media_type == "image/png" and body.startswith(b"\x89PNG")
    with pytest.raises(NotFoundException):
        render_comparison_chart(figure, "comparison.gif")
    with pytest.raises(InvalidInputException, match="no metric in common"):
        comparison_figure(binary_report(0.5), regression_report(0.5), lower_is_better=LOWER_IS_BETTER)
