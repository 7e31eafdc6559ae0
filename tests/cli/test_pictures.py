"""``openaml evaluation create|show --png FILE`` and ``datasource stats --png FILE`` save the server's
pictures, byte for byte."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from tests.support.api import signed_get
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

from openaml.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def openaml(server: LiveServer, *args: str) -> Result:
    environment = {
        "OPENAML_ENDPOINT_URL": server.url,
        "OPENAML_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "OPENAML_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "OPENAML_OUTPUT": None,
    }
    result = CliRunner().invoke(main, list(args), env=environment)
    assert result.exit_code == 0, result.output
    return result


def test_the_cli_writes_exactly_the_servers_png(
    server: LiveServer, penguins: dict[str, str], tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    evaluation_id = f"charts-ev-{time.time_ns()}"
    created_picture, shown_picture = tmp_path / "created.png", tmp_path / "shown.png"
    openaml(
        server,
        *("evaluation", "create", evaluation_id, "--model", penguins["model"]),
        *("--datasource", penguins["evaluation"], "--png", str(created_picture)),
    )
    openaml(server, "evaluation", "show", evaluation_id, "--png", str(shown_picture))

    served = signed_get(server, f"/openaml/v1/evaluations/{evaluation_id}/charts/summary.png")
    assert served.startswith(PNG_SIGNATURE)
    assert created_picture.read_bytes() == served
    assert shown_picture.read_bytes() == served


def test_the_cli_writes_exactly_the_servers_statistics_png(
    server: LiveServer, penguins: dict[str, str], tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    picture = tmp_path / "stats.png"
    openaml(server, "datasource", "stats", penguins["training"], "--png", str(picture))

    served = signed_get(server, f"/openaml/v1/datasources/{penguins['training']}/charts/histograms.png")
    assert served.startswith(PNG_SIGNATURE)
    assert picture.read_bytes() == served


def test_a_missing_evaluation_writes_no_picture(server: LiveServer, tmp_path: Path) -> None:
    picture = tmp_path / "never.png"
    environment = {
        "OPENAML_ENDPOINT_URL": server.url,
        "OPENAML_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "OPENAML_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
    }
    result = CliRunner().invoke(
        main, ["evaluation", "show", "charts-no-such-evaluation", "--png", str(picture)], env=environment
    )

    assert result.exit_code != 0 and not picture.exists()
