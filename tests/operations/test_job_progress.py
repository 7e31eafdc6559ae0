"""A running job's progress reads the same through the API's Message, the progress endpoint, the CLI
and the console: all of them render one stored JobProgress."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from tests.support.api import signed_get
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

from openaml.cli.client.waiting import bar_fill, resource_observation
from openaml.config import load_settings
from openaml.domain.context import ServiceContext
from openaml.domain.resources import report_progress, start_resource
from openaml.entities import ResourceKind
from openaml.progress import JobProgress

REPORT = JobProgress(
    "Training",
    seconds_elapsed=31.0,
    step="search",
    budget_seconds_used=12.0,
    budget_seconds=60.0,
    candidates_tried=7,
    metric="auc",
    best_score=0.8712,
    best_family="lightgbm",
)


def test_api_cli_and_console_render_the_same_progress(tmp_path: Path, datasets_dir: Path) -> None:
    server = LiveServer(tmp_path / "data", workers=0, env={"OPENAML_DATA_ROOTS": str(datasets_dir)}).start()
    try:
        ml = server.client()
        ml.create_data_source_from_s3(
            DataSourceId="ds-progress", DataSpec={"DataLocationS3": str(datasets_dir / "penguins.csv")}
        )
        idle = json.loads(signed_get(server, "/openaml/v1/datasources/ds-progress/progress"))
        assert idle == {"Status": "PENDING", "Message": None, "Progress": None}

        ctx = ServiceContext.from_settings(load_settings(env={}, overrides={"data_dir": tmp_path / "data"}))
        try:
            start_resource(ctx, ResourceKind.DATA_SOURCE, "ds-progress", "Reading the data")
            report_progress(ctx, ResourceKind.DATA_SOURCE, "ds-progress", REPORT)
        finally:
            ctx.close()

        got = ml.get_data_source(DataSourceId="ds-progress")
        assert got["Message"] == REPORT.message()
        answer = json.loads(signed_get(server, "/openaml/v1/datasources/ds-progress/progress"))
        assert answer["Status"] == "INPROGRESS" and answer["Message"] == REPORT.message()
        assert JobProgress.from_json(answer["Progress"]) == REPORT

        observation = resource_observation(got, answer["Progress"])
        assert bar_fill(observation.progress) == (12.0, 60.0)
        assert observation.progress is not None and observation.progress.best() == "auc 0.8712 (lightgbm)"

        with httpx.Client(base_url=server.url, timeout=60) as console:
            page = console.get("/console/sign-in").text
            token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            console.post(
                "/console/sign-in",
                data={
                    "csrf_token": token,
                    "access_key_id": ACCESS_KEY_ID,
                    "secret_access_key": SECRET_ACCESS_KEY,
                    "next": "/console/",
                },
            )
            state = console.get("/console/api/status?r=datasources/ds-progress").json()["resources"][0]
        assert state["message"] == REPORT.message()
        assert state["progress"] == answer["Progress"]
        assert state["progress"]["fractionDone"] == 0.2 and state["progress"]["candidatesTried"] == 7
    finally:
        server.stop()
