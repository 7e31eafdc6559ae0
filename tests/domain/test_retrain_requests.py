"""The retrain request record: its stored JSON, and bodies stored as sent before it existed."""

from __future__ import annotations

from openaml.domain.retrain_requests import RetrainRequest


def test_a_retrain_request_round_trips_and_a_body_stored_as_sent_still_loads() -> None:
    request = RetrainRequest(
        location="s3://b/churn/", holdout_attribute="date", holdout_percent=25.0, parameters={"a": "1"}
    )
    stored = request.to_json()
    assert set(stored) == {
        "location",
        "dataSourceId",
        "holdout",
        "updateMode",
        "promotion",
        "promotionMetric",
        "minImprovement",
        "parameters",
    }
    assert RetrainRequest.from_json(stored) == request
    assert RetrainRequest.from_json({}) == RetrainRequest()
    sent = {
        "DataLocationS3": "/data/churn.csv",
        "Holdout": {"Rule": "random", "Percent": 10},
        "openaml.updateMode": " Research ",
        "PromotionMetric": "BinaryF1Score",
        "openaml.minImprovement": "0.01",
        "Parameters": {"sgd.maxPasses": "2"},
    }
    assert RetrainRequest.from_json(sent) == RetrainRequest(
        location="/data/churn.csv",
        holdout_rule="random",
        holdout_percent=10.0,
        update_mode="research",
        promotion_metric="BinaryF1Score",
        min_improvement=0.01,
        parameters={"sgd.maxPasses": "2"},
    )
