"""evaluate(): Amazon ML's properties and the report, per model type, with hand-checked numbers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.metrics import f1_score

from openaml.engine.evaluation.evaluate import evaluate
from openaml.engine.metrics import metric_for
from openaml.engine.models import ModelType
from openaml.errors import InvalidInputException

BINARY_CLASSES = ("0", "1")


def _binary(y: list[float], scores: list[float], threshold: float = 0.5):
    return evaluate(
        ModelType.BINARY, np.array(y), np.array(scores), classes=BINARY_CLASSES, score_threshold=threshold
    )


def _assert_json_ready(report: dict) -> None:
    json.dumps(report, allow_nan=False)


# --- BINARY ------------------------------------------------------------------------------------


def test_binary_metrics_match_hand_computed_values() -> None:
    result = _binary([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])

    metrics = result.report["metrics"]
    assert metrics["BinaryAUC"] == pytest.approx(0.75)
    # At 0.5 only the 0.8 record is predicted 1: TP 1, FP 0, TN 2, FN 1.
    assert metrics["BinaryAccuracy"] == pytest.approx(0.75)
    assert metrics["BinaryPrecision"] == pytest.approx(1.0)
    assert metrics["BinaryRecall"] == pytest.approx(0.5)
    assert metrics["BinaryF1Score"] == pytest.approx(2 / 3)
    expected_log_loss = -np.mean(np.log([0.9, 0.6, 0.35, 0.8]))
    assert metrics["BinaryLogLoss"] == pytest.approx(expected_log_loss)
    assert metrics["BaselineBinaryAUC"] == 0.5
    assert result.report["confusionMatrix"]["counts"] == [[2, 0], [1, 1]]


def test_properties_are_amazon_style_strings_of_the_metrics() -> None:
    result = _binary([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])

    assert set(result.properties) == set(result.report["metrics"])
    assert all(isinstance(value, str) for value in result.properties.values())
    assert result.properties["BinaryAUC"] == "0.75"
    assert float(result.properties["BinaryF1Score"]) == result.report["metrics"]["BinaryF1Score"]


def test_perfect_and_inverted_rankings_give_auc_one_and_zero() -> None:
    y = [0, 0, 0, 1, 1, 1]
    scores = [0.1, 0.2, 0.3, 0.7, 0.8, 0.9]

    assert _binary(y, scores).properties["BinaryAUC"] == "1.0"
    assert _binary(y, [1 - s for s in scores]).properties["BinaryAUC"] == "0.0"


def test_score_threshold_moves_the_cut_off() -> None:
    result = _binary([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], threshold=0.3)

    # At 0.3 the 0.4, 0.35 and 0.8 records are predicted 1: TP 2, FP 1, TN 1, FN 0.
    assert result.report["confusionMatrix"]["counts"] == [[1, 1], [0, 2]]
    assert result.properties["BinaryScoreThreshold"] == "0.3"
    assert result.report["metrics"]["BinaryPrecision"] == pytest.approx(2 / 3)
    assert result.report["metrics"]["BinaryRecall"] == 1.0
    assert result.report["scoreThreshold"] == 0.3


def test_a_score_equal_to_the_threshold_predicts_class_one() -> None:
    result = _binary([1], [0.5])

    assert result.report["confusionMatrix"]["counts"] == [[0, 0], [0, 1]]


def test_binary_report_shapes() -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 5000).astype(float)
    scores = np.clip(0.35 * y + 0.65 * rng.random(5000), 0.0, 1.0)
    report = evaluate(ModelType.BINARY, y, scores, classes=BINARY_CLASSES).report
    _assert_json_ready(report)

    roc = report["rocCurve"]
    assert 2 <= len(roc["fpr"]) <= 200
    assert len(roc["fpr"]) == len(roc["tpr"]) == len(roc["thresholds"])
    assert (roc["fpr"][0], roc["tpr"][0]) == (0.0, 0.0)
    assert (roc["fpr"][-1], roc["tpr"][-1]) == (1.0, 1.0)
    assert roc["thresholds"][0] is None  # +inf: nothing predicted positive
    pr = report["precisionRecallCurve"]
    assert len(pr["precision"]) == len(pr["recall"]) == len(pr["thresholds"]) <= 200
    histograms = report["scoreHistograms"]
    assert len(histograms["edges"]) == 51
    assert (histograms["edges"][0], histograms["edges"][-1]) == (0.0, 1.0)
    assert sum(histograms["positives"]) == int(y.sum())
    assert sum(histograms["negatives"]) == int(len(y) - y.sum())
    matrix = report["confusionMatrix"]
    assert matrix["labels"] == ["0", "1"]
    assert [entry["support"] for entry in matrix["perClass"]] == [int(len(y) - y.sum()), int(y.sum())]
    assert all(sum(row) == pytest.approx(1.0) for row in matrix["normalized"])
    assert report["records"] == {"total": 5000, "evaluated": 5000, "withoutTarget": 0, "withoutScore": 0}


def test_threshold_table_is_monotone_and_consistent() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400).astype(float)
    scores = rng.random(400)
    table = evaluate(ModelType.BINARY, y, scores, classes=BINARY_CLASSES).report["thresholdTable"]

    assert len(table["threshold"]) == 101
    assert table["threshold"][0] == 0.0 and table["threshold"][50] == 0.5 and table["threshold"][-1] == 1.0
    for column in ("tp", "fp", "recall", "fpr"):
        assert np.all(np.diff(table[column]) <= 0), column
    for column in ("tn", "fn"):
        assert np.all(np.diff(table[column]) >= 0), column
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    assert table["tp"][0] == positives and table["fp"][0] == negatives  # cut-off 0: all predicted 1
    tp, fp, tn, fn = (np.array(table[c]) for c in ("tp", "fp", "tn", "fn"))
    assert np.all(tp + fn == positives) and np.all(fp + tn == negatives)
    assert np.allclose(table["accuracy"], (tp + tn) / len(y))
    # The row at the model's threshold agrees with the confusion matrix.
    result = evaluate(ModelType.BINARY, y, scores, classes=BINARY_CLASSES, score_threshold=0.5)
    assert result.report["confusionMatrix"]["counts"] == [[tn[50], fp[50]], [fn[50], tp[50]]]


@pytest.mark.parametrize(("label", "present"), [(1.0, "'1'"), (0.0, "'0'")])
def test_a_single_class_makes_the_auc_undefined_without_failing(label: float, present: str) -> None:
    result = _binary([label] * 4, [0.2, 0.4, 0.6, 0.8])

    assert result.properties["BinaryAUC"] == "NaN"
    assert result.report["metrics"]["BinaryAUC"] is None
    assert result.report["rocCurve"] is None
    assert [warning["code"] for warning in result.warnings] == ["BinaryAUCUndefined"]
    assert present in result.warnings[0]["message"]
    assert result.report["metrics"]["BinaryAccuracy"] == 0.5
    _assert_json_ready(result.report)


def test_precision_recall_curve_needs_positives() -> None:
    assert _binary([0, 0], [0.2, 0.7]).report["precisionRecallCurve"] is None
    assert _binary([1, 1], [0.2, 0.7]).report["precisionRecallCurve"] is not None


def test_records_without_target_or_score_are_left_out_and_counted() -> None:
    result = _binary([0, 1, math.nan, 1, 0], [0.1, 0.9, 0.5, math.nan, 0.2])

    assert result.report["records"] == {"total": 5, "evaluated": 3, "withoutTarget": 1, "withoutScore": 1}
    assert result.properties["BinaryAUC"] == "1.0"
    assert {warning["code"] for warning in result.warnings} == {"RecordsWithoutTarget", "RecordsWithoutScore"}


def test_empty_input_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputException, match="no records"):
        evaluate(ModelType.BINARY, np.array([]), np.array([]), classes=BINARY_CLASSES)


def test_no_evaluable_record_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputException, match="target value"):
        _binary([math.nan, math.nan], [0.1, 0.2])


def test_threshold_outside_zero_one_is_rejected() -> None:
    with pytest.raises(InvalidInputException, match="between 0 and 1"):
        _binary([0, 1], [0.1, 0.9], threshold=1.5)


def test_scores_of_the_wrong_shape_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="shape"):
        evaluate(ModelType.BINARY, np.array([0.0, 1.0]), np.array([0.5]), classes=BINARY_CLASSES)
    with pytest.raises(ValueError, match="shape"):
        evaluate(ModelType.MULTICLASS, np.array(["a"]), np.array([[0.5, 0.5]]), classes=("a", "b", "c"))


# --- MULTICLASS --------------------------------------------------------------------------------

CLASSES = ("a", "b", "c")
LABELS = np.array(["a", "a", "b", "b", "c", "c"], dtype=object)
# Predicted (argmax): a, b, b, b, c, a.
SCORES = np.array(
    [
        [0.6, 0.3, 0.1],
        [0.2, 0.7, 0.1],
        [0.1, 0.8, 0.1],
        [0.3, 0.4, 0.3],
        [0.1, 0.1, 0.8],
        [0.5, 0.1, 0.4],
    ]
)


def test_multiclass_metrics_match_hand_computed_values() -> None:
    result = evaluate(ModelType.MULTICLASS, LABELS, SCORES, classes=CLASSES)

    metrics = result.report["metrics"]
    # Per class: precision 1/2, 2/3, 1; recall 1/2, 1, 1/2; F1 1/2, 4/5, 2/3.
    assert metrics["MulticlassAvgFScore"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert metrics["MulticlassAvgFScore"] == pytest.approx(
        f1_score(LABELS.tolist(), ["a", "b", "b", "b", "c", "a"], average="macro")
    )
    assert metrics["MulticlassAccuracy"] == pytest.approx(4 / 6)
    assert metrics["MulticlassMacroPrecision"] == pytest.approx((0.5 + 2 / 3 + 1) / 3)
    assert metrics["MulticlassMacroRecall"] == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert metrics["MulticlassWeightedFScore"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    true_class_probabilities = [0.6, 0.2, 0.8, 0.4, 0.8, 0.4]
    assert metrics["MulticlassLogLoss"] == pytest.approx(-np.mean(np.log(true_class_probabilities)))
    # Always predicting "a" (first of the tied majority): F1 of a = 2·(1/3)·1/(4/3) = 1/2, others 0.
    assert metrics["BaselineMulticlassAvgFScore"] == pytest.approx(1 / 6)
    assert result.report["baselineClass"] == "a"
    assert all(isinstance(value, str) for value in result.properties.values())


def test_multiclass_confusion_matrix_section() -> None:
    report = evaluate(ModelType.MULTICLASS, LABELS, SCORES, classes=CLASSES).report
    _assert_json_ready(report)

    matrix = report["confusionMatrix"]
    assert matrix["labels"] == ["a", "b", "c"]
    assert matrix["counts"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert matrix["normalized"] == [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5]]
    per_class = {entry["label"]: entry for entry in matrix["perClass"]}
    assert per_class["b"] == {
        "label": "b",
        "precision": 2 / 3,
        "recall": 1.0,
        "f1": 0.8,
        "support": 2,
        "predicted": 3,
    }


def test_training_majority_class_sets_the_baseline() -> None:
    result = evaluate(ModelType.MULTICLASS, LABELS, SCORES, classes=CLASSES, majority_class="c")

    assert result.report["baselineClass"] == "c"
    assert result.report["metrics"]["BaselineMulticlassAvgFScore"] == pytest.approx(1 / 6)


def test_classes_absent_from_data_and_predictions_do_not_lower_macro_averages() -> None:
    with_unused = np.hstack([SCORES, np.zeros((6, 1))])
    result = evaluate(ModelType.MULTICLASS, LABELS, with_unused, classes=(*CLASSES, "z"))

    assert result.report["metrics"]["MulticlassAvgFScore"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert result.report["confusionMatrix"]["labels"] == ["a", "b", "c", "z"]


def test_automl_optimises_the_macro_f1_the_evaluation_reports() -> None:
    with_unused = np.hstack([SCORES, np.zeros((6, 1))])
    reported = evaluate(ModelType.MULTICLASS, LABELS, with_unused, classes=(*CLASSES, "z"))
    class_indices = np.array([CLASSES.index(label) for label in LABELS])

    optimised = metric_for("macro_f1", ModelType.MULTICLASS).compute(class_indices, with_unused)

    assert optimised == pytest.approx(reported.report["metrics"]["MulticlassAvgFScore"])


def test_classes_unknown_to_the_model_count_as_errors_and_are_reported() -> None:
    labels = np.array(["a", "b", "new"], dtype=object)
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    result = evaluate(ModelType.MULTICLASS, labels, scores, classes=("a", "b"))

    assert result.report["confusionMatrix"]["labels"] == ["a", "b", "new"]
    assert result.report["confusionMatrix"]["counts"][2] == [1, 0, 0]
    assert result.report["metrics"]["MulticlassAccuracy"] == pytest.approx(2 / 3)
    assert [warning["code"] for warning in result.warnings] == ["UnknownTargetClasses"]
    assert "'new'" in result.warnings[0]["message"]
    _assert_json_ready(result.report)


def test_multiclass_target_may_be_a_pandas_string_column_with_missing_values() -> None:
    import pandas as pd

    labels = pd.Series(["a", None, "b"], dtype="str")
    scores = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]])
    result = evaluate(ModelType.MULTICLASS, labels, scores, classes=("a", "b"))

    assert result.report["records"]["withoutTarget"] == 1
    assert result.properties["MulticlassAccuracy"] == "1.0"


# --- REGRESSION --------------------------------------------------------------------------------


def test_regression_metrics_match_hand_computed_values() -> None:
    result = evaluate(ModelType.REGRESSION, np.array([1.0, 2, 3, 4]), np.array([1.0, 2, 3, 8]), classes=None)

    metrics = result.report["metrics"]
    assert metrics["RegressionRMSE"] == pytest.approx(2.0)  # sqrt(16 / 4)
    assert metrics["RegressionMAE"] == pytest.approx(1.0)
    assert metrics["RegressionMedianAbsoluteError"] == 0.0
    assert metrics["RegressionR2"] == pytest.approx(1 - 16 / 5)
    assert metrics["BaselineRegressionRMSE"] == pytest.approx(math.sqrt(1.25))  # mean 2.5
    assert result.properties["RegressionRMSE"] == "2.0"
    assert result.report["baselineMean"] == 2.5


def test_training_target_mean_sets_the_regression_baseline() -> None:
    result = evaluate(
        ModelType.REGRESSION,
        np.array([1.0, 2, 3, 4]),
        np.array([1.0, 2, 3, 8]),
        classes=None,
        target_mean=0.0,
    )

    assert result.report["metrics"]["BaselineRegressionRMSE"] == pytest.approx(math.sqrt(30 / 4))


def test_regression_report_shapes() -> None:
    rng = np.random.default_rng(11)
    y = rng.normal(10.0, 3.0, 2000)
    predicted = y + rng.normal(0.0, 1.0, 2000)
    predicted[0] += 100.0  # one wild prediction must not squash the histogram
    report = evaluate(ModelType.REGRESSION, y, predicted, classes=None).report
    _assert_json_ready(report)

    histogram = report["residualHistogram"]
    assert len(histogram["edges"]) == 51 and len(histogram["counts"]) == 50
    assert histogram["edges"][0] == pytest.approx(-histogram["edges"][-1])
    assert sum(histogram["counts"]) + histogram["below"] + histogram["above"] == 2000
    assert histogram["below"] >= 1
    quantiles = report["errorQuantiles"]
    assert list(quantiles["residual"]) == ["0.01", "0.05", "0.25", "0.5", "0.75", "0.95", "0.99"]
    assert all(value >= 0 for value in quantiles["absoluteError"].values())
    bins = report["predictedVsActual"]["bins"]
    assert len(bins["count"]) == 20 and sum(bins["count"]) == 2000
    assert np.all(np.diff(bins["predictedMean"]) >= 0)
    assert all(
        low <= mid <= high
        for low, mid, high in zip(bins["actualP10"], bins["actualMedian"], bins["actualP90"], strict=True)
    )
    sample = report["predictedVsActual"]["sample"]
    assert len(sample["predicted"]) == len(sample["actual"]) == 500
    assert "confusionMatrix" not in report


def test_a_single_regression_record_has_no_r2() -> None:
    result = evaluate(ModelType.REGRESSION, np.array([3.0]), np.array([2.0]), classes=None)

    assert result.properties["RegressionR2"] == "NaN"
    assert result.properties["RegressionRMSE"] == "1.0"
    _assert_json_ready(result.report)


def test_perfect_regression_has_a_centred_histogram() -> None:
    y = np.array([1.0, 2.0, 3.0])
    report = evaluate(ModelType.REGRESSION, y, y.copy(), classes=None).report

    assert report["metrics"]["RegressionRMSE"] == 0.0
    assert sum(report["residualHistogram"]["counts"]) == 3
