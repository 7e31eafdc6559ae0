"""``openaml serve``: bind the port, print where and how to connect, start workers, run the server."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import socket
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import click
import uvicorn
from starlette.applications import Starlette
from uvicorn.supervisors.multiprocess import Multiprocess

from openaml.api.app import create_app
from openaml.api.credentials import load_key_pairs
from openaml.cli.runtime import configure_logging, open_context, worker_process_main
from openaml.config import Settings, load_settings

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


def _start_workers(settings: Settings, count: int) -> list[BaseProcess]:
    spawn = multiprocessing.get_context("spawn")
    processes: list[BaseProcess] = []
    for index in range(count):
        process = spawn.Process(
            target=worker_process_main,
            args=(dict(settings.values), dict(settings.sources), os.getpid()),
            name=f"openaml-worker-{index + 1}",
            daemon=True,
        )
        process.start()
        processes.append(process)
    return processes


def _stop_workers(processes: list[BaseProcess]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()


def serve(settings: Settings) -> None:
    configure_logging(settings)
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
    click.echo(
        f"  try: aws machinelearning describe-data-sources --endpoint-url {url} --region us-east-1", err=False
    )

    processes = _start_workers(settings, int(settings.workers))
    serving = max(int(settings.http_workers), 1)
    options: dict[str, Any] = {
        "log_level": str(settings.log_level).lower(),
        "access_log": False,
        "timeout_graceful_shutdown": 5,
    }
    try:
        if serving == 1:
            app = create_app(ctx, key_pairs)
            uvicorn.Server(uvicorn.Config(app, **options)).run(sockets=[sock])
        else:
            # Each serving process builds its own application (and loads its own models) from the settings.
            os.environ[SETTINGS_ENV] = json.dumps({k: _plain(v) for k, v in settings.values.items()})
            config = uvicorn.Config(f"{__name__}:serving_app", factory=True, workers=serving, **options)
            Multiprocess(config, sockets=[sock]).run()
    finally:
        _stop_workers(processes)
        ctx.close()


SETTINGS_ENV = "OPENAML_SERVING_SETTINGS_JSON"


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
    return create_app(ctx, key_pairs, serving_processes=int(settings.http_workers))
