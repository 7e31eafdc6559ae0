"""A model group with a finished retrain (manual promotion): what the group page and its chart show."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.support.api import finished, signed_json_request
from tests.support.model_groups import SCHEMA, write_months
from tests.support.server import LiveServer

SGD = {"openaml.algorithms": "sgd", "sgd.maxPasses": "2"}


def retrained_group(server: LiveServer, timeout: float = 300) -> dict[str, Any]:
    """Train ``<group>`` (v1, SGD) on months 1-3 under a prefix, append months 4-5 and retrain it with
    manual promotion; returns ``{"group", "retrain"}`` (the finished retrain's JSON) once it COMPLETED:
    ``<group>.v2`` is the challenger, ``champion`` still names v1."""
    assert server.scratch is not None
    ml = server.client()
    group = f"grp-{uuid.uuid4().hex[:8]}"
    prefix = server.scratch / group
    write_months(prefix, range(1, 4), rows_per_month=60)
    ml.create_data_source_from_s3(
        DataSourceId=f"{group}-ds",
        ComputeStatistics=True,
        DataSpec={"DataLocationS3": str(prefix) + "/", "DataSchema": SCHEMA},
    )
    ml.create_ml_model(
        MLModelId=group, MLModelType="BINARY", TrainingDataSourceId=f"{group}-ds", Parameters=SGD
    )
    assert finished(lambda: ml.get_ml_model(MLModelId=group))["Status"] == "COMPLETED"
    write_months(prefix, range(4, 6), rows_per_month=60)
    status, started = signed_json_request(
        server, "POST", f"/openaml/v1/mlmodels/{group}/retrain", {"holdout": {"rule": "time", "percent": 30}}
    )
    assert status == 200, started
    path = f"/openaml/v1/mlmodels/{group}/retrains/{started['RetrainId']}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        retrain = signed_json_request(server, "GET", path)[1]
        if retrain["Status"] in ("COMPLETED", "FAILED"):
            assert retrain["Status"] == "COMPLETED", retrain
            return {"group": group, "retrain": retrain}
        time.sleep(0.3)
    raise AssertionError(f"retrain {started['RetrainId']} did not finish in {timeout} s")
