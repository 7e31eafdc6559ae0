"""Plotly figures built from statistics and evaluation reports, including their missing parts."""

from __future__ import annotations

import math

from openaml.console import charts
from openaml.console.evaluations import cutoff_view, figures, headline_view, metric_values
from openaml.console.formatting import age, number, script_json, size

STATISTICS = {
    "attributes": [
        {
            "name": "age",
            "type": "NUMERIC",
            "role": "input",
            "numeric": {"histogram": {"edges": [0.0, 10.0, 20.0], "counts": [3, 5]}},
            "correlationToTarget": {"measure": "mutualInformation", "value": 0.1},
        },
        {
            "name": "sex",
            "type": "CATEGORICAL",
            "role": "input",
            "topValues": [{"value": "male", "count": 6}, {"value": "female", "count": 2}],
            "correlationToTarget": {"measure": "mutualInformation", "value": 0.3},
        },
        {
            "name": "note",
            "type": "TEXT",
            "role": "input",
            "text": {"topTokens": [{"token": "a", "count": 4}]},
        },
        {"name": "survived", "type": "BINARY", "role": "target", "topValues": [{"value": "0", "count": 5}]},
    ],
    "target": {"name": "survived", "distribution": [{"value": "0", "count": 5}, {"value": "1", "count": 3}]},
}


def test_attribute_figures_by_type() -> None:
    numeric, categorical, text, _ = (charts.attribute_figure(a) for a in STATISTICS["attributes"])
    assert numeric is not None and numeric["data"][0]["x"] == [5.0, 15.0]
    assert numeric["data"][0]["width"] == [10.0, 10.0]
    assert categorical is not None and categorical["data"][0]["x"] == ["male", "female"]
    assert text is not None and text["data"][0]["y"] == ["a"]
    assert charts.attribute_figure({"name": "empty", "type": "NUMERIC"}) is None


def test_correlation_ranking_puts_the_strongest_first_and_leaves_out_the_target() -> None:
    ranked = [a["name"] for a in charts.correlation_ranking(STATISTICS)]
    assert ranked == ["sex", "age", "note"]
    figure = charts.correlation_figure(STATISTICS)
    assert figure is not None and figure["data"][0]["y"] == ["age", "sex"]
    assert charts.correlation_figure({"attributes": []}) is None


def test_target_figure() -> None:
    figure = charts.target_figure(STATISTICS)
    assert figure is not None and figure["data"][0]["y"] == [5, 3]
    assert charts.target_figure({}) is None


BINARY_REPORT = {
    "modelType": "BINARY",
    "metrics": {"BinaryAUC": 0.9, "BaselineBinaryAUC": 0.5, "BinaryAccuracy": 0.8},
    "confusionMatrix": {
        "labels": ["0", "1"],
        "counts": [[5, 1], [2, 4]],
        "normalized": [[0.83, 0.17], [0.33, 0.67]],
    },
    "scoreHistograms": {"edges": [0.0, 0.5, 1.0], "positives": [1, 5], "negatives": [5, 1]},
    "rocCurve": {"fpr": [0, 0.2, 1], "tpr": [0, 0.8, 1], "thresholds": [None, 0.5, 0]},
    "precisionRecallCurve": {"precision": [0.5, 0.8, 1], "recall": [1, 0.8, 0], "thresholds": [0, 0.5, None]},
    "thresholdTable": {
        "threshold": [0.0, 0.5, 1.0],
        "tp": [6, 4, 0],
        "fp": [6, 1, 0],
        "tn": [0, 5, 6],
        "fn": [0, 2, 6],
        "precision": [0.5, 0.8, 0.0],
        "recall": [1.0, 0.67, 0.0],
        "fpr": [1.0, 0.17, 0.0],
        "accuracy": [0.5, 0.75, 0.5],
    },
}


def test_binary_report_views() -> None:
    cutoff = cutoff_view(BINARY_REPORT, 0.45)
    assert cutoff is not None and cutoff["threshold"] == 0.5
    assert cutoff["at"]["accuracy"] == 0.75
    drawn = figures(BINARY_REPORT, cutoff)
    assert set(drawn) == {"confusion", "scores", "roc", "pr"}
    assert drawn["roc"]["data"][-1]["x"] == [0.17] and drawn["roc"]["data"][-1]["name"] == "cut-off"
    assert drawn["scores"]["layout"]["shapes"][0]["x0"] == 0.5
    assert drawn["confusion"]["data"][0]["customdata"] == [[5, 1], [2, 4]]


def test_headline_compares_with_the_baseline_in_the_right_direction() -> None:
    evaluation = {
        "PerformanceMetrics": {"Properties": {"RegressionRMSE": "2.0", "BaselineRegressionRMSE": "3.5"}}
    }
    view = headline_view("REGRESSION", metric_values(evaluation, None))
    assert view is not None and view["value"] == 2.0 and view["better"] is True
    binary = headline_view(
        "BINARY", metric_values({}, {"metrics": {"BinaryAUC": 0.4, "BaselineBinaryAUC": 0.5}})
    )
    assert binary is not None and binary["better"] is False


def test_a_report_without_sections_draws_nothing() -> None:
    assert figures({"modelType": "MULTICLASS"}, None) == {}
    assert cutoff_view({}, 0.5) is None
    assert headline_view("BINARY", metric_values({}, {"metrics": {"BinaryAUC": None}})) is None


def test_regression_figures() -> None:
    report = {
        "residualHistogram": {"edges": [-1.0, 0.0, 1.0], "counts": [2, 3], "below": 0, "above": 0},
        "predictedVsActual": {
            "sample": {"predicted": [1.0, 2.0], "actual": [1.5, 1.8]},
            "range": {"min": 1, "max": 2},
        },
    }
    assert set(figures(report, None)) == {"residuals", "predicted_actual"}


def test_script_json_cannot_close_its_element_and_has_no_nan() -> None:
    text = str(script_json({"a": "</script><b>", "b": math.nan, "c": [math.inf, 1.5]}))
    assert "</script>" not in text and "<" not in text
    assert '"b":null' in text and "[null,1.5]" in text


def test_formatting() -> None:
    assert age(100.0, now=100.0 + 7200) == "2 h ago"
    assert age(100.0, now=100.0 + 3 * 86400) == "3 days ago"
    assert age(None) == "—"
    assert number(1234.0) == "1,234" and number("0.123456") == "0.1235" and number("NaN") == "NaN"
    assert size(2048) == "2.0 KB"


LONG = ["WALKING_DOWNSTAIRS_LONG_CLASS_NAME", "WALKING_UPSTAIRS_LONG_CLASS_NAME", "SITTING"]


def test_category_axes_keep_their_title_and_grow_their_margins_for_long_labels() -> None:
    matrix = {
        "labels": LONG,
        "normalized": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        "counts": [[5, 0, 0], [0, 5, 0], [0, 0, 5]],
    }
    statistics = {"target": {"name": "activity", "distribution": [{"value": c, "count": 5} for c in LONG]}}
    confusion, target = charts.confusion_figure(matrix), charts.target_figure(statistics)
    assert target is not None
    for figure, axes in ((confusion, ("xaxis", "yaxis")), (target, ("xaxis",))):
        for name in axes:
            axis = figure["layout"][name]
            assert axis["automargin"] is True and axis["title"]["text"], (name, axis)
            assert axis["title"]["standoff"] > 0, "the title keeps clear of the tick labels"
            assert axis["tickvals"] == LONG
            assert axis["ticktext"][:2] == ["WALKING_DOWNSTAIRS_LONG_CLA…", "WALKING_UPSTAIRS_LONG_CLASS…"]
    assert confusion["layout"]["yaxis"]["autorange"] == "reversed"
    assert target["layout"]["height"] > charts.target_figure(STATISTICS)["layout"]["height"]  # type: ignore[index]


def test_labels_that_would_read_the_same_cut_short_are_drawn_whole() -> None:
    same_start = ["A" * 30 + "1", "A" * 30 + "2"]
    axis = charts.confusion_figure(
        {"labels": same_start, "normalized": [[1, 0], [0, 1]], "counts": [[1, 0], [0, 1]]}
    )["layout"]["xaxis"]
    assert "ticktext" not in axis and axis["type"] == "category"


def test_the_ranking_calls_its_measure_mutual_information() -> None:
    figure = charts.correlation_figure(STATISTICS)
    assert figure is not None
    assert figure["layout"]["title"]["text"] == "Attributes ranked by mutual information with the target"
    assert figure["layout"]["xaxis"]["title"]["text"] == "mutual information (bits)"
