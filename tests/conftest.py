"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.datasets import DATASETS_SWITCH, is_shared, select_datasets
from tests.support.s3_server import MotoS3Server, S3ServerUnavailable
from tests.support.server import LiveServer


@functools.cache
def datasets_folder() -> Path:
    """The datasets folder of this test session, chosen by ``OPENAML_TEST_DATASETS``."""
    return select_datasets(os.environ.get(DATASETS_SWITCH))


def pytest_configure() -> None:
    datasets_folder()  # a wrong OPENAML_TEST_DATASETS stops the run before any test


def pytest_report_header() -> str:
    kind = "the real ones" if is_shared(datasets_folder()) else "generated stand-ins"
    return f"datasets: {datasets_folder()} ({kind}; choose with {DATASETS_SWITCH}=fixtures|shared|<folder>)"


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """The folder of the development datasets: the real ones (``../shared/datasets``) or their stand-ins.

    See :func:`tests.support.datasets.select_datasets`. The stand-ins (``tests/fixtures/datasets``) have
    the same file names, columns, types and targets, and a learnable signal, but most have fewer rows.
    """
    return datasets_folder()


@pytest.fixture(scope="session")
def real_datasets() -> bool:
    """Whether ``datasets_dir`` holds the real datasets, for the few assertions only they can meet,
    such as their exact record counts."""
    return is_shared(datasets_folder())


S3_TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One live server (with one job worker) shared by the API tests; tests use unique IDs.

    It may read the datasets folder, a scratch folder (``server.scratch``) and every bucket of the
    session's moto S3 server, when one could be started.
    """
    scratch = tmp_path_factory.mktemp("scratch")
    roots = [str(datasets_folder()), str(scratch)]
    env: dict[str, str] = {}
    moto = MotoS3Server()
    try:
        endpoint: str | None = moto.start()
    except S3ServerUnavailable:
        endpoint = None
    if endpoint:
        roots.append("s3://")
        absent = str(scratch / "absent")
        env |= {
            "OPENAML_S3_ENDPOINT_URL": endpoint,
            **S3_TEST_CREDENTIALS,
            "AWS_CONFIG_FILE": absent,
            "AWS_SHARED_CREDENTIALS_FILE": absent,
        }
    live = LiveServer(
        tmp_path_factory.mktemp("server-data"),
        env=env | {"OPENAML_DATA_ROOTS": os.pathsep.join(roots)},
        scratch=scratch,
        s3_endpoint=endpoint,
    )
    live.start()
    yield live
    live.stop()
    moto.stop()


@pytest.fixture()
def server_s3(server: LiveServer) -> Any:
    """A boto3 S3 client of the moto server the live server reads ``s3://`` from (skips without one)."""
    if server.s3_endpoint is None:
        pytest.skip("the moto S3 server could not be started")
    return boto3.client(
        "s3",
        endpoint_url=server.s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture()
def ml(server: LiveServer) -> Any:
    """A boto3 ``machinelearning`` client of the shared server, signed with its test key."""
    return server.client()


@pytest.fixture()
def new_id(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Unique resource IDs: ``new_id("ds")`` → ``ds-test_name-1a2b3c4d``."""

    def make(prefix: str) -> str:
        test_name = request.node.name.replace("[", "-").replace("]", "")[:30]
        return f"{prefix}-{test_name}-{uuid.uuid4().hex[:8]}"

    return make


POSTGRES_URL = os.environ.get(
    "OPENAML_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_database() -> str:
    """A fresh, empty PostgreSQL database for one test session (skips when no server is reachable)."""
    import sqlalchemy

    try:
        admin = sqlalchemy.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        name = f"openaml_test_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        admin.dispose()
    except Exception as exc:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc.__class__.__name__}")
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


def _drop_postgres_database(url: str) -> None:
    import sqlalchemy

    admin = sqlalchemy.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated-to-nothing metadata database URL: SQLite in a temp dir, and the real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'metadata.db'}"
        return
    url = _postgres_database()
    yield url
    _drop_postgres_database(url)


@pytest.fixture()
def service_context(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """A :class:`ServiceContext` on a fresh database of each back end, schema created."""
    from openaml.config import load_settings
    from openaml.domain.context import ServiceContext

    settings = load_settings(
        env={},
        overrides={
            "data_dir": tmp_path / "data",
            "database_url": database_url,
            "public_url": "http://127.0.0.1:1",
            "job_lease_seconds": 30,
        },
    )
    ctx = ServiceContext.from_settings(settings)
    ctx.metadata.check_schema(initialize_empty=True)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The endpoint URL of a moto S3 server shared by the whole test session."""
    server = MotoS3Server()
    try:
        endpoint = server.start()
    except S3ServerUnavailable as error:
        pytest.skip(f"the moto S3 server could not start: {error}")
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Dummy credentials in the environment, and nothing from the developer's own AWS configuration."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    no_config = tmp_path_factory.mktemp("aws") / "absent"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(no_config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(no_config))
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def s3_bucket(s3_endpoint: str, aws_credentials: None) -> str:
    """The name of a new, empty bucket on the moto server."""
    name = f"openaml-test-{uuid.uuid4().hex[:16]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=name)
    return name


#: ``LocalCluster`` options for tests: no dashboard, and the scheduler's HTTP server (health checks)
#: on a free port rather than 8787, which another cluster on the machine may hold.
QUIET_CLUSTER: dict[str, Any] = {
    "dashboard_address": None,
    "scheduler_kwargs": {"dashboard": False, "dashboard_address": "127.0.0.1:0"},
}


@pytest.fixture(scope="session")
def dask_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a ``distributed.LocalCluster`` shared by the session's ``dask`` tests.

    Two worker processes of one thread each (processes, so that a test can kill one); they read the
    moto S3 server with the test credentials, as a real cluster's workers read S3 with theirs.
    """
    from distributed import LocalCluster

    absent = str(tmp_path_factory.mktemp("dask-aws") / "absent")
    env = S3_TEST_CREDENTIALS | {"AWS_CONFIG_FILE": absent, "AWS_SHARED_CREDENTIALS_FILE": absent}
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, env=env, **QUIET_CLUSTER)
    yield cluster.scheduler_address
    cluster.close()


@pytest.fixture(scope="session")
def dask_server(
    server: LiveServer, dask_scheduler: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A second live server like ``server`` (same data roots and S3 server) whose jobs run their data
    passes on the session's Dask cluster, to compare with ``server``, which runs them locally."""
    live = LiveServer(
        tmp_path_factory.mktemp("dask-server-data"),
        env=server.env | {"OPENAML_DASK_SCHEDULER": dask_scheduler, "OPENAML_DASK_TIMEOUT_SECONDS": "10"},
        scratch=server.scratch,
        s3_endpoint=server.s3_endpoint,
    )
    live.start()
    yield live
    live.stop()
