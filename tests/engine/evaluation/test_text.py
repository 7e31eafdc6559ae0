"""format_text_report(): the terminal rendering of a report."""

from __future__ import annotations

import numpy as np

from openaml.engine.evaluation.evaluate import evaluate
from openaml.engine.evaluation.text import format_text_report
from openaml.engine.models import ModelType


def test_binary_text_has_metrics_matrix_and_warnings() -> None:
    report = evaluate(
        ModelType.BINARY, np.array([1.0, 1.0, 1.0]), np.array([0.2, 0.6, 0.9]), classes=("0", "1")
    ).report
    text = format_text_report(report)

    assert text.startswith("BINARY evaluation: 3 of 3 records evaluated\n")
    assert "  BinaryAUC" in text and "NaN" in text
    assert "Confusion matrix (rows: true class, columns: predicted class)" in text
    assert "  1                 1 (33%)  2 (67%)" in text
    assert "[BinaryAUCUndefined]" in text
    assert all(line == line.rstrip() for line in text.splitlines())


def test_multiclass_text_lists_every_class() -> None:
    labels = np.array(["red", "green", "blue"], dtype=object)
    scores = np.eye(3)[[2, 1, 0]]
    text = format_text_report(
        evaluate(ModelType.MULTICLASS, labels, scores, classes=("blue", "green", "red")).report
    )

    assert "MulticlassAvgFScore          1" in text
    per_class = text.split("Per class\n")[1].splitlines()
    assert [line.split()[0] for line in per_class[1:4]] == ["blue", "green", "red"]


def test_regression_text_has_error_quantiles_and_no_matrix() -> None:
    report = evaluate(
        ModelType.REGRESSION, np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 3.0]), classes=None
    ).report
    text = format_text_report(report)

    assert "RegressionRMSE" in text and "Error quantiles" in text
    assert "Confusion matrix" not in text
