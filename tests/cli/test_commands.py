"""The operator commands: serve on a fresh data directory, db upgrade, config show, python -m openaml."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from tests.support.server import LiveServer

from openaml.cli import main
from openaml.store.metadata import head_revision


def test_a_fresh_install_generates_and_prints_a_key_pair(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", fixed_credentials=False, workers=0).start()
    try:
        printed = "".join(server.output)
        access_key = re.search(r"access key ID\s*:\s*(\S+)", printed)
        secret = re.search(r"secret key\s*:\s*(\S+)", printed)
        assert access_key and secret, printed
        credentials = tmp_path / "data" / "credentials.json"
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
        client = boto3.client(
            "machinelearning",
            endpoint_url=server.url,
            region_name="eu-west-1",
            aws_access_key_id=access_key[1],
            aws_secret_access_key=secret[1],
        )
        assert client.describe_data_sources()["Results"] == []
    finally:
        server.stop()
    restarted = LiveServer(tmp_path / "data", fixed_credentials=False, workers=0).start()
    try:
        printed = "".join(restarted.output)
        assert access_key[1] in printed and secret[1] not in printed  # the stored pair is kept, not re-shown
    finally:
        restarted.stop()


def test_db_upgrade_and_config_show(tmp_path: Path) -> None:
    runner = CliRunner()
    data_dir = tmp_path / "data"
    upgraded = runner.invoke(main, ["db", "upgrade", "--data-dir", str(data_dir)])
    assert upgraded.exit_code == 0, upgraded.output
    head = head_revision()
    assert f"revision none -> {head}" in upgraded.output
    again = runner.invoke(main, ["db", "upgrade", "--data-dir", str(data_dir)])
    assert f"revision {head} -> {head}" in again.output
    shown = runner.invoke(
        main,
        ["config", "show", "--data-dir", str(data_dir)],
        env={"OPENAML_WORKERS": "3", "OPENAML_SECRET_ACCESS_KEY": "hidden-value"},
    )
    assert shown.exit_code == 0
    assert re.search(r"OPENAML_WORKERS\s+.\s+3\s+.\s+environment", shown.output)
    assert "hidden-value" not in shown.output and str(data_dir) in shown.output


def test_bad_settings_are_reported_without_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["config", "show"], env={"OPENAML_PORT": "eighty"})
    assert result.exit_code != 0 and "OPENAML_PORT" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("arguments", [["--help"], ["serve", "--help"], ["--version"]])
def test_python_dash_m_runs_the_cli(arguments: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "openaml", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    assert "openaml" in result.stdout.lower()
