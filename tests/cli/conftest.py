"""Fixtures shared by the CLI tests."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from tests.support.api import finished
from tests.support.server import LiveServer


@pytest.fixture(scope="module")
def penguins(server: LiveServer, datasets_dir: Path) -> dict[str, str]:
    """A 70/30 split of the penguins and an SGD model trained on the 70%, made through boto3."""
    ml = server.client()
    suffix = uuid.uuid4().hex[:8]
    ids = {role: f"cli-{role}-{suffix}" for role in ("training", "evaluation", "model")}
    for role, complement in (("training", False), ("evaluation", True)):
        splitting = {"percentBegin": 0, "percentEnd": 70, "complement": complement, "strategy": "random"}
        ml.create_data_source_from_s3(
            DataSourceId=ids[role],
            ComputeStatistics=True,
            DataSpec={
                "DataLocationS3": str(datasets_dir / "penguins.csv"),
                "DataSchema": json.dumps({"targetAttributeName": "species"}),
                "DataRearrangement": json.dumps({"splitting": splitting}),
            },
        )
    ml.create_ml_model(
        MLModelId=ids["model"],
        MLModelType="MULTICLASS",
        TrainingDataSourceId=ids["training"],
        Parameters={"openaml.algorithms": "sgd"},
    )
    for response in (
        finished(lambda: ml.get_ml_model(MLModelId=ids["model"])),
        finished(lambda: ml.get_data_source(DataSourceId=ids["evaluation"])),
    ):
        assert response["Status"] == "COMPLETED", response.get("Message")
    return ids
