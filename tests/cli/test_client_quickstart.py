"""`openaml quickstart`: the shipped sample, the journey on a running server and on an embedded one."""

from __future__ import annotations

import collections
import csv
import gzip
import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

from openaml.cli import main
from openaml.cli.client.quickstart import (
    HOLDOUT_FILE,
    SAMPLE_FILE,
    TARGET,
    activity_sentence,
    holdout_record,
    sample_folder,
)


def quickstart(server: LiveServer, *args: str) -> Result:
    connection = ("--endpoint-url", server.url, "--access-key-id", ACCESS_KEY_ID)
    return CliRunner().invoke(
        main, ["quickstart", *connection, "--secret-access-key", SECRET_ACCESS_KEY, *args]
    )


def test_the_shipped_sample_is_small_real_and_balanced() -> None:
    folder = sample_folder()
    assert (folder / SAMPLE_FILE).stat().st_size < 1_000_000
    assert "CC BY 4.0" in (folder / "README.md").read_text()
    with gzip.open(folder / SAMPLE_FILE, "rt", newline="") as handle:
        rows = list(csv.DictReader(handle))
    classes = collections.Counter(row[TARGET] for row in rows)
    assert len(classes) == 6 and min(classes.values()) >= 150
    record = holdout_record(folder)
    assert TARGET not in record and len(record) == len(rows[0]) - 1
    assert all(-1.0 <= float(value) <= 1.0 for value in record.values())
    held_out = {tuple(row.values()) for row in csv.DictReader((folder / HOLDOUT_FILE).open())}
    assert not held_out & {tuple(row.values()) for row in rows}


def test_activity_sentences() -> None:
    assert activity_sentence("WALKING") == "You are currently walking."
    assert activity_sentence("WALKING_DOWNSTAIRS") == "You are currently walking downstairs."
    assert activity_sentence("LAYING") == "You are currently lying down."


@pytest.mark.slow
def test_the_journey_on_a_running_server(server: LiveServer) -> None:
    assert server.scratch is not None
    result = quickstart(
        server,
        *("--sample-dir", str(server.scratch / f"quickstart-{uuid.uuid4().hex[:6]}")),
        *("--budget", "3", "--algorithms", "linear", "--output", "json"),
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["sentence"] == "You are currently walking."
    assert summary["evaluation"]["MulticlassAvgFScore"] > 0.8
    assert len(summary["evaluation"]["confusionMatrix"]["labels"]) == 6
    assert summary["predictEndpoint"] and not summary["embedded"]


def test_a_sample_the_server_cannot_read_is_explained(server: LiveServer) -> None:
    result = quickstart(server, "--budget", "3")
    assert result.exit_code == 1
    assert "--sample-dir" in result.stderr and "Traceback" not in result.output


@pytest.mark.slow
def test_the_journey_on_an_embedded_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("OPENAML_ENDPOINT_URL", "OPENAML_PROFILE", "OPENAML_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAML_PROFILE_FILE", str(tmp_path / "absent.json"))
    result = CliRunner().invoke(main, ["quickstart", "--budget", "3", "--algorithms", "linear"])
    assert result.exit_code == 0, result.output
    assert "Starting an embedded OpenAML server" in result.stderr
    assert "macro-F1" in result.stdout and "Confusion matrix" in result.stdout
    assert "You are currently walking." in result.stdout
