"""Where the client commands find their server and keys, `openaml login`, and connection failures."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

from openaml.cli import main
from openaml.cli.client.session import (
    ConnectionFlags,
    resolve_credentials,
    resolve_endpoint,
    resolve_region,
)

CONNECTION_VARIABLES = (
    "OPENAML_ENDPOINT_URL",
    "OPENAML_REGION",
    "OPENAML_ACCESS_KEY_ID",
    "OPENAML_SECRET_ACCESS_KEY",
    "OPENAML_PROFILE",
    "OPENAML_OUTPUT",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
)


@pytest.fixture()
def profile_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No connection settings in the environment; the profile file in a temporary folder."""
    for name in CONNECTION_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config" / "profile.json"
    monkeypatch.setenv("OPENAML_PROFILE_FILE", str(path))
    return path


def openaml(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_flags_come_before_the_environment_which_comes_before_the_profile(
    profile_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve_endpoint(ConnectionFlags()) == ("http://127.0.0.1:8080", "default")
    assert resolve_credentials(ConnectionFlags()) is None
    assert resolve_region(ConnectionFlags()) == "us-east-1"

    profile_file.parent.mkdir(parents=True)
    profile_file.write_text(
        json.dumps(
            {
                "default": {
                    "endpoint_url": "http://profile:1",
                    "access_key_id": "P",
                    "secret_access_key": "p",
                },
                "other": {"endpoint_url": "http://other:2/", "region": "eu-west-1"},
            }
        )
    )
    assert resolve_endpoint(ConnectionFlags()) == ("http://profile:1", "profile")
    assert resolve_credentials(ConnectionFlags()) == ("P", "p")
    assert resolve_endpoint(ConnectionFlags(profile="other")) == ("http://other:2", "profile")
    assert resolve_region(ConnectionFlags(profile="other")) == "eu-west-1"

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "A")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "a")
    assert resolve_credentials(ConnectionFlags()) == ("A", "a")
    monkeypatch.setenv("OPENAML_ACCESS_KEY_ID", "O")
    monkeypatch.setenv("OPENAML_SECRET_ACCESS_KEY", "o")
    monkeypatch.setenv("OPENAML_ENDPOINT_URL", "http://environment:3")
    assert resolve_credentials(ConnectionFlags()) == ("O", "o")
    assert resolve_endpoint(ConnectionFlags()) == ("http://environment:3", "environment")

    flags = ConnectionFlags("http://flag:4", "F", "f", "ap-south-1")
    assert resolve_endpoint(flags) == ("http://flag:4", "flag")
    assert resolve_credentials(flags) == ("F", "f")
    assert resolve_region(flags) == "ap-south-1"


def test_login_saves_a_private_profile_that_later_commands_use(
    server: LiveServer, profile_file: Path
) -> None:
    login = openaml(
        "login",
        *(
            "--endpoint-url",
            server.url,
            "--access-key-id",
            ACCESS_KEY_ID,
            "--secret-access-key",
            SECRET_ACCESS_KEY,
        ),
    )
    assert login.exit_code == 0, login.output
    assert stat.S_IMODE(profile_file.stat().st_mode) == 0o600
    assert json.loads(profile_file.read_text())["default"]["endpoint_url"] == server.url

    listed = openaml("model", "list", "--output", "json")
    assert listed.exit_code == 0, listed.output
    assert isinstance(json.loads(listed.stdout), list)


def test_login_from_a_servers_data_directory(server: LiveServer, profile_file: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "credentials.json").write_text(
        json.dumps([{"access_key_id": ACCESS_KEY_ID, "secret_access_key": SECRET_ACCESS_KEY}])
    )
    login = openaml(
        "login", "--endpoint-url", server.url, "--profile", "local", "--from-data-dir", str(data_dir)
    )
    assert login.exit_code == 0, login.output
    assert json.loads(profile_file.read_text())["local"]["access_key_id"] == ACCESS_KEY_ID
    assert openaml("datasource", "list", "--profile", "local").exit_code == 0


def test_connection_problems_are_explained_with_exit_code_3(server: LiveServer, profile_file: Path) -> None:
    no_keys = openaml("model", "list", "--endpoint-url", server.url)
    assert no_keys.exit_code == 3 and "openaml login" in no_keys.stderr

    wrong_secret = openaml(
        "model",
        "list",
        "--endpoint-url",
        server.url,
        "--access-key-id",
        ACCESS_KEY_ID,
        "--secret-access-key",
        "x",
    )
    assert wrong_secret.exit_code == 3 and "InvalidSignatureException" in wrong_secret.stderr

    unreachable = openaml(
        "model",
        "list",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--access-key-id",
        "K",
        "--secret-access-key",
        "S",
    )
    assert unreachable.exit_code == 3 and "Cannot reach OpenAML at http://127.0.0.1:9" in unreachable.stderr

    half_pair = openaml("model", "list", "--access-key-id", "K")
    assert half_pair.exit_code == 2 and "together" in half_pair.stderr

    for result in (no_keys, wrong_secret, unreachable, half_pair):
        assert "Traceback" not in result.output


def test_a_broken_profile_file_is_named(profile_file: Path) -> None:
    profile_file.parent.mkdir(parents=True)
    profile_file.write_text("[not a profile]")
    result = openaml("model", "list")
    assert result.exit_code == 2 and str(profile_file) in result.stderr
