"""The client commands against a live server: datasources, models, evaluations, endpoints, predict, batch."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

from openaml.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def openaml(server: LiveServer, *args: str) -> Result:
    """Run ``openaml ARGS`` in-process, pointed at ``server`` through the environment."""
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


def as_json(result: Result) -> Any:
    return json.loads(succeeded(result).stdout)


def wait_completed(get: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        response: dict[str, Any] = get()
        if response["Status"] in ("COMPLETED", "FAILED"):
            assert response["Status"] == "COMPLETED", response.get("Message")
            return response
        time.sleep(0.2)
    raise AssertionError("not COMPLETED in time")


def test_datasource_create_show_stats_list_log_and_delete(
    server: LiveServer, datasets_dir: Path, tmp_path: Path, new_id: Any
) -> None:
    data_source_id = new_id("ds")
    created = openaml(
        server,
        *("datasource", "create", data_source_id, str(datasets_dir / "penguins.csv"), "--target", "species"),
        *("--split", "0:70", "--split-seed", "seed"),
    )
    assert "COMPLETED" in succeeded(created).stdout and "datasource stats" in created.stderr

    shown = as_json(openaml(server, "datasource", "show", data_source_id, "--output", "json"))
    assert json.loads(shown["DataRearrangement"])["splitting"] == {
        "percentBegin": 0,
        "percentEnd": 70,
        "strategy": "random",
        "strategyParams": {"randomSeed": "seed"},
    }
    assert json.loads(shown["DataSourceSchema"])["targetAttributeName"] == "species"

    picture = tmp_path / "stats.png"
    stats = succeeded(openaml(server, "datasource", "stats", data_source_id, "--png", str(picture)))
    assert "flipper_length_mm" in stats.stdout and "Adelie" in stats.stdout
    assert any(block in stats.stdout for block in "▁▂▃▄▅▆▇█")
    assert picture.read_bytes().startswith(PNG_SIGNATURE)
    statistics = as_json(openaml(server, "datasource", "stats", data_source_id, "-o", "json"))
    assert statistics["targetAttributeName"] == "species"

    listed = as_json(openaml(server, "datasource", "list", "--output", "json"))
    assert data_source_id in {item["DataSourceId"] for item in listed}
    assert succeeded(openaml(server, "datasource", "log", data_source_id)).stdout.strip()

    succeeded(openaml(server, "datasource", "delete", data_source_id))
    assert as_json(openaml(server, "datasource", "show", data_source_id, "-o", "json"))["Status"] == "DELETED"


def test_model_no_wait_then_wait_and_show(server: LiveServer, penguins: dict[str, str], new_id: Any) -> None:
    model_id = new_id("ml")
    created = as_json(
        openaml(
            server,
            *("model", "create", model_id, "--datasource", penguins["training"], "--type", "multiclass"),
            *("--algorithms", "sgd", "--no-wait", "--output", "json"),
        )
    )
    assert created == {"MLModelId": model_id}
    waited = succeeded(openaml(server, "model", "wait", model_id))
    assert "COMPLETED" in waited.stdout
    shown = as_json(openaml(server, "model", "show", model_id, "-o", "json"))
    assert shown["Status"] == "COMPLETED" and shown["MLModelType"] == "MULTICLASS"
    assert "Leaderboard" not in shown  # SGD mode tries one model
    importance = shown["FeatureImportance"]
    assert importance["method"] == "meanAbsoluteContribution" and importance["space"] == "probability"
    assert "island" in {entry["name"] for entry in importance["attributes"]}
    assert (
        "Feature importance (mean |contribution| in probability"
        in succeeded(openaml(server, "model", "show", model_id)).stdout
    )


def test_an_automl_model_shows_its_leaderboard(
    server: LiveServer, penguins: dict[str, str], new_id: Any
) -> None:
    model_id = new_id("ml")
    created = openaml(
        server,
        *("model", "create", model_id, "--datasource", penguins["training"], "--type", "MULTICLASS"),
        *("--budget", "2", "--algorithms", "linear", "--seed", "3"),
    )
    assert "Leaderboard: macro_f1" in succeeded(created).stdout
    shown = as_json(openaml(server, "model", "show", model_id, "-o", "json"))
    assert shown["Leaderboard"]["candidates"][0]["family"] == "linear"
    assert shown["TrainingParameters"]["openaml.seed"] == "3"


def test_evaluation_prints_metrics_and_the_confusion_matrix(
    server: LiveServer, penguins: dict[str, str], tmp_path: Path, new_id: Any
) -> None:
    evaluation_id = new_id("ev")
    picture = tmp_path / "evaluation.png"
    created = succeeded(
        openaml(
            server,
            *("evaluation", "create", evaluation_id, "--model", penguins["model"]),
            *("--datasource", penguins["evaluation"], "--png", str(picture)),
        )
    )
    assert "MulticlassAvgFScore" in created.stdout and "Confusion matrix" in created.stdout
    assert "Chinstrap" in created.stdout
    assert picture.read_bytes().startswith(PNG_SIGNATURE)
    shown = as_json(openaml(server, "evaluation", "show", evaluation_id, "--output", "json"))
    assert float(shown["PerformanceMetrics"]["Properties"]["MulticlassAvgFScore"]) > 0.8
    assert shown["Report"]["confusionMatrix"]["labels"] == ["Adelie", "Chinstrap", "Gentoo"]


def test_endpoint_and_predictions_from_pairs_and_files(
    server: LiveServer, penguins: dict[str, str], datasets_dir: Path, tmp_path: Path
) -> None:
    model_id = penguins["model"]
    record = ["island=Biscoe", "bill_length_mm=48.6", "flipper_length_mm=230", "body_mass_g=5800"]
    refused = openaml(server, "predict", model_id, *record)
    assert refused.exit_code == 1 and f"openaml endpoint create {model_id}" in refused.stderr

    endpoint = as_json(openaml(server, "endpoint", "create", model_id, "--output", "json"))
    assert endpoint["RealtimeEndpointInfo"]["EndpointStatus"] == "READY"

    one = as_json(openaml(server, "predict", model_id, *record, "-o", "json"))
    assert one["Prediction"]["predictedLabel"] == "Gentoo"
    assert "Gentoo" in succeeded(openaml(server, "predict", model_id, *record)).stdout

    lines = (datasets_dir / "penguins.csv").read_text().splitlines()[:6]
    records_csv = tmp_path / "records.csv"
    records_csv.write_text("\n".join(lines) + "\n")
    many = as_json(openaml(server, "predict", model_id, "--file", str(records_csv), "-o", "json"))
    assert [p["predictedLabel"] for p in many["Predictions"]] == ["Adelie"] * 5

    record_json = tmp_path / "record.json"
    record_json.write_text(json.dumps({"island": "Biscoe", "flipper_length_mm": 230, "sex": None}))
    from_json = as_json(openaml(server, "predict", model_id, "--file", str(record_json), "-o", "json"))
    assert from_json["Prediction"]["details"]["PredictiveModelType"] == "MULTICLASS"

    succeeded(openaml(server, "endpoint", "delete", model_id))
    shown = as_json(openaml(server, "endpoint", "show", model_id, "-o", "json"))
    assert shown["EndpointInfo"]["EndpointStatus"] == "NONE"


def test_batch_prediction_create_show_and_download(
    server: LiveServer, penguins: dict[str, str], tmp_path: Path, new_id: Any
) -> None:
    assert server.scratch is not None
    batch_id = new_id("bp")
    created = succeeded(
        openaml(
            server,
            *("batch", "create", batch_id, "--model", penguins["model"]),
            *("--datasource", penguins["evaluation"], "--output-uri", str(server.scratch / batch_id)),
        )
    )
    assert "COMPLETED" in created.stdout
    shown = as_json(openaml(server, "batch", "show", batch_id, "-o", "json"))
    records = shown["TotalRecordCount"]

    downloaded = as_json(
        openaml(server, "batch", "download", batch_id, "--to", str(tmp_path / "gz"), "-o", "json")
    )
    (entry,) = downloaded
    with gzip.open(entry["file"], "rt") as handle:
        assert len(handle.read().splitlines()) == records + 1
    plain = as_json(
        openaml(
            server, "batch", "download", batch_id, "--to", str(tmp_path / "csv"), "--decompress", "-o", "json"
        )
    )
    lines = Path(plain[0]["file"]).read_text().splitlines()
    assert lines[0] == "Adelie,Chinstrap,Gentoo" and len(lines) == records + 1


def test_failures_are_one_message_with_an_exit_code(
    server: LiveServer, datasets_dir: Path, tmp_path: Path, penguins: dict[str, str], new_id: Any
) -> None:
    missing = openaml(server, "model", "show", "ml-that-does-not-exist")
    assert missing.exit_code == 4 and "ResourceNotFoundException" in missing.stderr

    outside = openaml(server, "datasource", "create", new_id("ds"), str(tmp_path / "data.csv"))
    assert outside.exit_code == 1 and "InvalidInputException" in outside.stderr

    failing = openaml(
        server, "datasource", "create", new_id("ds"), str(datasets_dir / "penguins.csv"), "--target", "nope"
    )
    # a target that is not a column is refused when the request arrives (exit code 5, FAILED after the
    # wait: tests/cli/test_client_first_hour.py)
    assert failing.exit_code == 1 and "InvalidInputException" in failing.stderr and "'nope'" in failing.stderr

    wrong_type = openaml(
        server,
        *("model", "create", new_id("ml"), "--datasource", penguins["training"], "--type", "regression"),
    )
    assert wrong_type.exit_code == 1 and "needs a NUMERIC target" in wrong_type.stderr

    bad_split = openaml(server, "datasource", "create", new_id("ds"), "/x.csv", "--split", "70:20")
    assert bad_split.exit_code == 2 and "--split" in bad_split.stderr

    for result in (missing, outside, failing, wrong_type, bad_split):
        assert "Traceback" not in result.output


def test_waiting_gives_up_after_the_timeout(
    server: LiveServer, penguins: dict[str, str], new_id: Any
) -> None:
    model_id = new_id("ml")
    result = openaml(
        server,
        *("model", "create", model_id, "--datasource", penguins["training"], "--type", "MULTICLASS"),
        *("--budget", "30", "--algorithms", "linear", "--timeout", "0.5"),
    )
    assert result.exit_code == 6 and f"openaml model show {model_id}" in result.stderr
    succeeded(openaml(server, "model", "delete", model_id))
