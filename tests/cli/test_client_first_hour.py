"""What a newcomer meets in the first hour with the `openaml` client (issue 14).

The real model instead of Amazon ML's ``sgd`` label, every ensemble member in the leaderboard, tables
that say what did not fit, why a datasource FAILED in `list`, and the `--embedded` way out when the
saved profile's server is down.
"""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rich.console import Console, Group
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

from openaml.cli import main
from openaml.cli.client.charts import statistics_table
from openaml.cli.client.models import LEADERBOARD_ROWS, leaderboard_table, leaderboard_warnings
from openaml.cli.client.output import Printer


def openaml(server: LiveServer, *args: str) -> Result:
    environment = {
        "OPENAML_ENDPOINT_URL": server.url,
        "OPENAML_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "OPENAML_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "OPENAML_OUTPUT": None,
    }
    return CliRunner().invoke(main, list(args), env=environment)


def succeeded(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def rendered(renderable: Any, width: int = 200) -> str:
    console = Console(width=width, file=io.StringIO(), highlight=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def test_an_automl_model_shows_its_real_model_and_not_the_sgd_defaults(
    server: LiveServer, datasets_dir: Path, new_id: Any
) -> None:
    data_source_id, model_id = new_id("ds"), new_id("ml")
    succeeded(
        openaml(
            server,
            *("datasource", "create", data_source_id, str(datasets_dir / "penguins.csv")),
            *("--target", "species"),
        )
    )
    created = succeeded(
        openaml(
            server,
            *("model", "create", model_id, "--datasource", data_source_id, "--type", "MULTICLASS"),
            *("--budget", "3", "--algorithms", "linear,lightgbm"),
        )
    )
    shown = succeeded(openaml(server, "model", "show", model_id)).stdout
    for output in (created.stdout, shown):
        algorithm_line = next(line for line in output.splitlines() if line.startswith("algorithm"))
        assert "automl:" in algorithm_line and "sgd" not in algorithm_line
        assert "sgd." not in output and "openaml.timeBudgetSeconds" in output

    as_json = json.loads(succeeded(openaml(server, "model", "show", model_id, "-o", "json")).stdout)
    assert "sgd.maxPasses" in as_json["TrainingParameters"]  # --output json is the API's response
    assert as_json["TrainingParameters"]["openaml.algorithm"].startswith("automl:")

    training = new_id("ml")
    succeeded(
        openaml(
            server,
            *("model", "create", training, "--datasource", data_source_id, "--type", "MULTICLASS"),
            *("--budget", "600", "--no-wait"),
        )
    )
    refused = openaml(server, "predict", training, "island=Biscoe")
    assert refused.exit_code == 1 and "still training" in refused.stderr
    assert f"openaml model wait {training}" in refused.stderr
    succeeded(openaml(server, "model", "delete", training))

    succeeded(openaml(server, "endpoint", "create", model_id))
    predicted = succeeded(openaml(server, "predict", model_id, "island=Biscoe", "body_mass_g=5800")).stdout
    assert "automl:" in predicted and "missing attributes" in predicted


def test_the_leaderboard_shows_every_ensemble_member() -> None:
    candidates = [
        {"rank": rank, "family": f"family{rank}", "validationScore": 1 - rank / 100, "ensembleWeight": 0.0}
        for rank in range(1, 16)
    ]
    candidates[0]["ensembleWeight"] = 0.7
    candidates[13]["ensembleWeight"] = 0.3  # ranked 14th, below the top rows
    text = rendered(leaderboard_table({"metric": "auc", "validation": "holdout", "candidates": candidates}))
    assert "family14" in text and "family1 " in text
    assert "family12" not in text and f"family{LEADERBOARD_ROWS} " in text
    assert "every one of the 2 ensemble members" in text


def test_the_leaderboard_shows_bagged_members_the_ensemble_and_its_warnings() -> None:
    leaderboard = {
        "metric": "auc",
        "validation": "5-fold group cross-validation",
        "ensemble": "weighted average of 2 members (1 bagged over 5 folds)",
        "warnings": ["A random split would overstate this model: ..."],
        "candidates": [
            {
                "rank": 1,
                "family": "lightgbm",
                "validationScore": 0.9,
                "ensembleWeight": 0.6,
                "baggedFolds": 5,
            },
            {"rank": 2, "family": "linear", "validationScore": 0.8, "ensembleWeight": 0.4, "baggedFolds": 0},
        ],
    }
    text = rendered(Group(leaderboard_table(leaderboard), *leaderboard_warnings(leaderboard)))
    assert "ensemble: weighted average of 2 members (1 bagged over 5 folds)" in text
    assert "bagged" in text and "Warning: A random split would overstate this model" in text


@pytest.mark.parametrize("width", [100, 120, 140])
def test_a_table_too_wide_for_the_terminal_says_which_columns_it_left_out(width: int) -> None:
    attribute = {
        "name": "fBodyBodyGyroJerkMag-meanFreq()",
        "type": "NUMERIC",
        "role": "input",
        "missing": 0,
        "distinct": 1494,
        "numeric": {"min": -0.98765, "mean": 0.12345, "max": 0.99, "histogram": {"counts": list(range(30))}},
        "correlationToTarget": {"value": 0.8123},
    }
    printer = Printer()
    printer.console = Console(width=width, file=io.StringIO(), highlight=False)
    printer.messages = Console(width=200, file=io.StringIO(), highlight=False)
    printer.emit(None, statistics_table({"attributes": [attribute] * 3}))
    table = printer.console.file.getvalue()  # type: ignore[attr-defined]
    note = printer.messages.file.getvalue()  # type: ignore[attr-defined]
    assert "MI to" in table and "0.812" in table  # the sort key, the column that used to vanish
    assert all(len(line) <= width for line in table.splitlines())
    assert ("distribution" in table) != ("distribution" in note)  # shown, or said to be left out
    if width == 100:
        assert "left out: " in note
    if width == 140:
        assert note == ""


def test_datasource_list_says_why_a_datasource_failed(server: LiveServer, new_id: Any) -> None:
    assert server.scratch is not None
    data = server.scratch / f"{new_id('words')}.csv"
    data.write_text("a,b\nnot-a-number,1\nneither,0\n")
    schema = {
        "version": "1.0",
        "dataFormat": "CSV",
        "dataFileContainsHeader": True,
        "attributes": [
            {"attributeName": "a", "attributeType": "NUMERIC"},
            {"attributeName": "b", "attributeType": "BINARY"},
        ],
        "targetAttributeName": "b",
    }
    data_source_id = new_id("ds")
    failed = openaml(
        server,
        *("datasource", "create", data_source_id, str(data), "--schema", json.dumps(schema)),
        *("--name", data_source_id),
    )
    assert failed.exit_code == 5, failed.output
    listed = succeeded(openaml(server, "datasource", "list", "--name-prefix", data_source_id)).stdout
    assert "why it FAILED" in listed and "No valid record" in " ".join(listed.split())


def test_quickstart_with_a_profile_whose_server_is_down_suggests_embedded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        "OPENAML_ENDPOINT_URL",
        "OPENAML_ACCESS_KEY_ID",
        "OPENAML_SECRET_ACCESS_KEY",
        "OPENAML_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    profile = tmp_path / "profile.json"
    profile.write_text(
        json.dumps(
            {
                "default": {
                    "endpoint_url": "http://127.0.0.1:9",
                    "access_key_id": "K",
                    "secret_access_key": uuid.uuid4().hex,
                }
            }
        )
    )
    monkeypatch.setenv("OPENAML_PROFILE_FILE", str(profile))
    result = CliRunner().invoke(main, ["quickstart"])
    assert result.exit_code == 3, result.output
    assert "openaml quickstart --embedded" in result.stderr and "saved profile" in result.stderr
    assert "Traceback" not in result.output
