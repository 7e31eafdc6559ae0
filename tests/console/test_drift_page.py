"""The drift page of a model: start a report, see its per-attribute table and overlaid histograms."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.console.conftest import ConsoleClient
from tests.console.test_browser import browser, page, snap  # noqa: F401 - fixtures of the browser tests
from tests.support.api import finished
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer


@pytest.fixture(scope="module")
def titanic_model(server: LiveServer, datasets_dir: Path) -> dict[str, str]:
    """An SGD model on titanic.csv and a second datasource of the same file."""
    ml = server.client()
    suffix = uuid.uuid4().hex[:8]
    ids = {"training": f"ds-drift-page-{suffix}", "model": f"ml-drift-page-{suffix}"}
    ml.create_data_source_from_s3(
        DataSourceId=ids["training"],
        ComputeStatistics=True,
        DataSpec={
            "DataLocationS3": str(datasets_dir / "titanic.csv"),
            "DataSchema": json.dumps({"targetAttributeName": "survived"}),
        },
    )
    ml.create_ml_model(
        MLModelId=ids["model"],
        MLModelType="BINARY",
        TrainingDataSourceId=ids["training"],
        Parameters={"openaml.algorithms": "sgd"},
    )
    assert finished(lambda: ml.get_ml_model(MLModelId=ids["model"]))["Status"] == "COMPLETED"
    return ids


def _report_page(console: ConsoleClient, model_id: str, report_id: str) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        html: str = console.get(f"/console/mlmodels/{model_id}/drift?report={report_id}").text
        if 'id="drift-table"' in html:
            return html
        time.sleep(0.5)
    raise AssertionError("the drift report did not finish")


def test_the_drift_page_starts_a_report_and_shows_its_table_and_pictures(
    console: ConsoleClient, titanic_model: dict[str, str]
) -> None:
    model_id = titanic_model["model"]
    assert f"/console/mlmodels/{model_id}/drift" in console.get(f"/console/mlmodels/{model_id}").text
    report_id = f"dr-page-{uuid.uuid4().hex[:6]}"
    created = console.post(
        f"/console/mlmodels/{model_id}/drift",
        {"report_id": report_id, "current": "datasource", "data_source_id": titanic_model["training"]},
    )
    assert created.status_code == 303
    html = _report_page(console, model_id, report_id)
    assert "0 of " in html and "input attributes drifted" in html
    assert html.count("<svg") >= 5 and "baseline" in html and "current" in html
    for name in ("age", "sex", "fare"):
        assert f"<td>{name}</td>" in html
    refused = console.post(
        f"/console/mlmodels/{model_id}/drift", {"current": "datasource", "data_source_id": ""}
    )
    assert refused.status_code == 400 and "Choose the datasource" in refused.text


@pytest.mark.browser
@pytest.mark.slow
def test_the_drift_page_in_a_browser(page: Any, server: LiveServer, titanic_model: dict[str, str]) -> None:  # noqa: F811
    model_id = titanic_model["model"]
    page.goto(server.url + f"/console/mlmodels/{model_id}")
    page.get_by_label("Access key ID").fill(ACCESS_KEY_ID)
    page.get_by_label("Secret access key").fill(SECRET_ACCESS_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/**")
    page.goto(server.url + f"/console/mlmodels/{model_id}")
    page.get_by_role("link", name="Drift", exact=True).click()
    page.get_by_label("Datasource", exact=True).select_option(titanic_model["training"])
    page.get_by_role("button", name="Compare").click()
    deadline = time.monotonic() + 120
    while not page.locator("#drift-table").count():
        assert time.monotonic() < deadline, "the drift report did not finish"
        time.sleep(0.5)
        page.reload()
    assert page.locator("#drift-table tbody tr").count() >= 5
    assert page.locator(".drift-pictures svg").count() >= 5
    snap(page, "20-drift")
    assert not page.errors, page.errors
