"""``openaml serve``: bind the port, print where and how to connect, start workers, run the server."""

from __future__ import annotations

import functools
import json
import logging
import multiprocessing
import os
import signal
import socket
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import click
import uvicorn
from starlette.applications import Starlette
from uvicorn.supervisors.multiprocess import Multiprocess

from openaml.api.app import create_app
from openaml.api.connections import BoundedHeadProtocol
from openaml.api.credentials import load_key_pairs
from openaml.cli.proxies import proxy_options
from openaml.cli.runtime import (
    configure_logging,
    keep_created_files_private,
    open_context,
    worker_process_main,
)
from openaml.config import Settings, load_settings
from openaml.jobs.supervisor import WorkerStatusFile, WorkerSupervisor

log = logging.getLogger(__name__)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _worker_starter(settings: Settings) -> Callable[[int], BaseProcess]:
    """Starts job worker number ``index`` (from 0) as a spawned process; settings travel as plain data."""
    spawn = multiprocessing.get_context("spawn")

    def start(index: int) -> BaseProcess:
        process = spawn.Process(
            target=worker_process_main,
            args=(dict(settings.values), dict(settings.sources), os.getpid()),
            name=f"openaml-worker-{index + 1}",
            daemon=True,
        )
        process.start()
        return process

    return start


def _exit_on_sigterm(signum: int, frame: object) -> None:
    """After uvicorn's graceful shutdown it raises SIGTERM again: leave through ``finally``, not at once."""
    raise SystemExit(0)


def _start_local_cluster(workers: int) -> Any:
    """A ``distributed.LocalCluster`` of ``workers`` single-threaded processes (``--dask-local``)."""
    try:
        from distributed import LocalCluster
    except ImportError as exc:
        raise click.ClickException("--dask-local needs the dask extra: pip install 'openaml[dask]'") from exc
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)


def serve(settings: Settings, *, dask_local_workers: int | None = None) -> None:
    """Run the server until it is stopped; with ``dask_local_workers``, on a LocalCluster started here."""
    cluster = None
    if dask_local_workers is not None:
        cluster = _start_local_cluster(dask_local_workers)
        settings = settings.replace(dask_scheduler=cluster.scheduler_address)
    try:
        _serve(settings)
    finally:
        if cluster is not None:
            cluster.close()


def _serve(settings: Settings) -> None:
    configure_logging(settings)
    keep_created_files_private()
    forwarded = proxy_options(settings)
    sock = _bind(str(settings.host), int(settings.port))
    host, port = sock.getsockname()[:2]
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}"
    settings = settings.replace(public_url=settings.public_url or url, port=port)
    ctx = open_context(settings, initialize_empty=True)
    key_pairs, generated = load_key_pairs(settings, generate=True)

    click.echo(f"OpenAML listening on {url}", err=False)
    click.echo(f"  web console    : {url}/console/  (sign in with the access key pair)")
    click.echo(f"  data directory : {settings.resolved_data_dir}")
    click.echo(f"  database       : {settings.resolved_database_url}")
    if generated is not None:
        click.echo(f"  access key ID  : {generated.access_key_id}")
        click.echo(f"  secret key     : {generated.secret_access_key}")
        click.echo(f"  (generated now and stored in {settings.resolved_credentials_file}, mode 0600)")
    elif key_pairs:
        click.echo(
            f"  access key ID  : {key_pairs[0].access_key_id}"
            f"  (secret: see OPENAML_SECRET_ACCESS_KEY or {settings.resolved_credentials_file})"
        )
    if settings.dask_scheduler:
        click.echo(f"  dask scheduler : {settings.dask_scheduler}")
    click.echo(
        f"  try: aws machinelearning describe-data-sources --endpoint-url {url} --region us-east-1", err=False
    )

    serving = max(int(settings.http_workers), 1)
    status = WorkerStatusFile.in_data_dir(settings.resolved_data_dir, int(settings.workers))
    options: dict[str, Any] = {
        "log_level": str(settings.log_level).lower(),
        "access_log": False,
        "timeout_graceful_shutdown": 5,
        **forwarded,
        # uvicorn's httptools protocol plus a header-read deadline and a header size bound.
        "http": functools.partial(
            BoundedHeadProtocol,
            header_timeout=float(settings.header_timeout_seconds),
            max_header_bytes=int(settings.max_header_bytes),
        ),
    }
    supervisor: WorkerSupervisor | None = None
    try:
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        run: Callable[[], None]
        shutting_down: Callable[[], bool]
        if serving == 1:
            app = create_app(ctx, key_pairs, worker_status=status)
            server = uvicorn.Server(uvicorn.Config(app, **options))
            run, shutting_down = lambda: server.run(sockets=[sock]), lambda: bool(server.should_exit)
        else:
            # Each serving process builds its own application (and loads its own models) from the settings.
            os.environ[SETTINGS_ENV] = json.dumps({k: _plain(v) for k, v in settings.values.items()})
            os.environ[WORKER_STATUS_ENV] = str(status.path)
            config = uvicorn.Config(f"{__name__}:serving_app", factory=True, workers=serving, **options)
            multiprocess = Multiprocess(config, sockets=[sock])
            run, shutting_down = multiprocess.run, multiprocess.should_exit.is_set
        supervisor = WorkerSupervisor(
            _worker_starter(settings), int(settings.workers), status=status, shutting_down=shutting_down
        )
        supervisor.start()
        run()
    finally:
        if supervisor is not None:
            supervisor.stop()
        ctx.close()


SETTINGS_ENV = "OPENAML_SERVING_SETTINGS_JSON"
WORKER_STATUS_ENV = "OPENAML_SERVING_WORKER_STATUS_FILE"


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def serving_app() -> Starlette:
    """The application factory of each serving process when ``OPENAML_HTTP_WORKERS`` > 1."""
    settings = load_settings(env={}, overrides=json.loads(os.environ[SETTINGS_ENV]))
    configure_logging(settings)
    ctx = open_context(settings, initialize_empty=False)
    key_pairs, _ = load_key_pairs(settings, generate=False)
    status = WorkerStatusFile(Path(os.environ[WORKER_STATUS_ENV]), int(settings.workers))
    return create_app(ctx, key_pairs, serving_processes=int(settings.http_workers), worker_status=status)
