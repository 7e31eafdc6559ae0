"""The ``openaml`` command: the server, its workers, database and settings commands.

Heavy modules (the server, the engines) are imported inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from openaml import __version__
from openaml.config import load_settings
from openaml.errors import ConfigurationError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _settings(config: Path | None, **overrides: Any) -> Any:
    try:
        return load_settings(config_file=config, overrides=overrides)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


config_option = click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML settings file (default: $OPENAML_CONFIG_FILE).",
)
data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data directory (default: $OPENAML_DATA_DIR or ./openaml-data).",
)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="openaml")
def main() -> None:
    """OpenAML: an Amazon Machine Learning-compatible service for tabular data."""


@main.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", "-p", type=int, default=None, help="Port to bind; 0 picks a free one (default 8080).")
@click.option("--workers", type=int, default=None, help="Job worker processes to start (0 = none).")
@click.option(
    "--dask-local",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Start a Dask LocalCluster of N worker processes and run the jobs' data passes on it "
    "(to try OPENAML_DASK_SCHEDULER on one machine; see docs/scale.md).",
)
@data_dir_option
@config_option
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    dask_local: int | None,
    data_dir: Path | None,
    config: Path | None,
) -> None:
    """Start the API server (and its job workers) with the effective settings."""
    from openaml.cli.serve import serve as run_server

    settings = _settings(config, host=host, port=port, workers=workers, data_dir=data_dir)
    if dask_local is not None and settings.dask_scheduler:
        raise click.UsageError(
            f"--dask-local starts a cluster, but OPENAML_DASK_SCHEDULER already names one "
            f"({settings.dask_scheduler}): use one or the other."
        )
    try:
        run_server(settings, dask_local_workers=dask_local)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@data_dir_option
@config_option
def worker(data_dir: Path | None, config: Path | None) -> None:
    """Run a job worker against the configured database (in addition to or instead of serve's)."""
    from openaml.cli.runtime import run_worker

    try:
        run_worker(_settings(config, data_dir=data_dir))
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


@main.group()
def db() -> None:
    """Metadata database commands."""


@db.command("upgrade")
@data_dir_option
@config_option
def db_upgrade(data_dir: Path | None, config: Path | None) -> None:
    """Migrate the metadata database to the schema this version needs."""
    from openaml.store.metadata import MetadataStore, head_revision

    settings = _settings(config, data_dir=data_dir)
    store = MetadataStore(settings.resolved_database_url)
    try:
        before = store.current_revision()
        store.upgrade_schema()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.dispose()
    click.echo(f"database {settings.resolved_database_url}: revision {before or 'none'} -> {head_revision()}")


@main.group("config")
def config_group() -> None:
    """Settings commands."""


@config_group.command("show")
@data_dir_option
@config_option
def config_show(data_dir: Path | None, config: Path | None) -> None:
    """Print every setting with its effective value and where it came from."""
    from rich.console import Console
    from rich.table import Table

    settings = _settings(config, data_dir=data_dir)
    table = Table("setting", "value", "source")
    for env_var, value, source in settings.as_table():
        table.add_row(env_var, value, source)
    Console(width=200 if not sys.stdout.isatty() else None).print(table)


@config_group.command("docs")
def config_docs() -> None:
    """Print the Markdown reference of every setting (docs/settings.md)."""
    from openaml.config import settings_reference

    click.echo(settings_reference(), nl=False)


from openaml.cli.client import register  # noqa: E402  (the client commands extend the group above)

register(main)
