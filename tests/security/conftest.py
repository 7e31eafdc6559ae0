"""Fixtures of the security tests: live servers with two serving processes and a second key pair."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from tests.conftest import _drop_postgres_database, _postgres_database
from tests.console.conftest import ConsoleClient
from tests.support.server import LiveServer

#: A key pair besides the test pair, so that locking it out leaves the test pair usable.
SPARE_ACCESS_KEY_ID = "OAMLSPAREKEY00000001"
SPARE_SECRET_ACCESS_KEY = "spare-secret-access-key-0123456789"


def _start(tmp_path_factory: pytest.TempPathFactory, name: str, env: dict[str, str]) -> LiveServer:
    data = tmp_path_factory.mktemp(name)
    credentials = data / "spare-credentials.json"
    credentials.write_text(
        json.dumps([{"access_key_id": SPARE_ACCESS_KEY_ID, "secret_access_key": SPARE_SECRET_ACCESS_KEY}])
    )
    credentials.chmod(0o600)
    return LiveServer(
        data / "data",
        env={"OPENAML_HTTP_WORKERS": "2", "OPENAML_CREDENTIALS_FILE": str(credentials), **env},
        workers=0,
    ).start()


@pytest.fixture(scope="session")
def two_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with two serving processes that trusts no proxy (the default)."""
    server = _start(tmp_path_factory, "two-processes", {})
    yield server
    server.stop()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def on_each_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, two_processes: LiveServer
) -> Iterator[LiveServer]:
    """:func:`two_processes`, and the same on the real PostgreSQL as the metadata database."""
    if request.param == "sqlite":
        yield two_processes
        return
    url = _postgres_database()
    server = _start(tmp_path_factory, "two-processes-postgres", {"OPENAML_DATABASE_URL": url})
    yield server
    server.stop()
    _drop_postgres_database(url)


@pytest.fixture(scope="session")
def behind_local_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with two serving processes that believes forwarded headers from 127.0.0.1."""
    server = _start(tmp_path_factory, "behind-proxy", {"OPENAML_TRUSTED_PROXIES": "127.0.0.1"})
    yield server
    server.stop()


def fresh_client(server: LiveServer) -> ConsoleClient:
    """A browser of its own, on a new connection (which either serving process may accept)."""
    return ConsoleClient(server)


def log_lines(server: LiveServer, text: str) -> list[str]:
    """The server's log lines that contain ``text``."""
    return [line for line in list(server.output) if text in line]


_PROCESS = re.compile(r"^\S+ \S+ \S+ (\S+) ")


def process_of(line: str) -> str:
    """The name of the process that wrote a log line (see ``openaml.cli.runtime.configure_logging``)."""
    match = _PROCESS.match(line)
    assert match is not None, line
    return match.group(1)
