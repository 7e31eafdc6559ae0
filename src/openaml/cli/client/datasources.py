"""``openaml datasource create|list|show|stats|delete|log``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from openaml.cli.client.charts import statistics_table, target_table
from openaml.cli.client.command import ClientContext, client_command, wait_options
from openaml.cli.client.errors import CliError, ExitCode
from openaml.cli.client.png import download_picture
from openaml.cli.client.resources import DATA_SOURCE, add_common_commands, show_table, wait_for

DEFAULT_STATISTICS_ROWS = 30


def data_location(location: str) -> str:
    """A URI as given, or a local path made absolute (the server resolves nothing relative)."""
    if "://" in location:
        return location
    absolute = str(Path(location).expanduser().resolve())
    return absolute + "/" if location.endswith("/") else absolute


def data_schema(schema: str | None, target: str | None, row_id: str | None) -> str:
    """The ``DataSchema`` JSON: ``--schema`` (a file or JSON text, possibly partial) plus the flags.

    Attributes the schema leaves out are inferred by the server from the data.
    """
    document: dict[str, Any] = {}
    if schema is not None:
        path = Path(schema).expanduser()
        text = path.read_text(encoding="utf-8") if path.is_file() else schema
        try:
            loaded = json.loads(text)
        except ValueError as error:
            raise CliError(f"--schema is neither a file nor valid JSON: {error}", ExitCode.USAGE) from error
        if not isinstance(loaded, dict):
            raise CliError("--schema must be a JSON object", ExitCode.USAGE)
        document = loaded
    if target is not None:
        document["targetAttributeName"] = target
    if row_id is not None:
        document["rowId"] = row_id
    return json.dumps(document)


def data_rearrangement(split: str | None, complement: bool, seed: str | None) -> str | None:
    """The ``DataRearrangement`` JSON of ``--split BEGIN:END`` (``--complement``, ``--split-seed``)."""
    if split is None:
        if complement or seed is not None:
            raise CliError("--complement and --split-seed need --split BEGIN:END", ExitCode.USAGE)
        return None
    try:
        begin, end = (int(part) for part in split.split(":"))
    except ValueError as error:
        raise CliError(
            f"--split takes BEGIN:END percentages such as 0:70, not {split!r}", ExitCode.USAGE
        ) from error
    if not 0 <= begin < end <= 100:
        raise CliError(f"--split needs 0 <= BEGIN < END <= 100, got {split!r}", ExitCode.USAGE)
    splitting: dict[str, Any] = {"percentBegin": begin, "percentEnd": end}
    if complement:
        splitting["complement"] = True
    if seed is not None:
        splitting |= {"strategy": "random", "strategyParams": {"randomSeed": seed}}
    return json.dumps({"splitting": splitting})


@click.group("datasource")
def datasource() -> None:
    """DataSources: data files (local or S3) with a schema, and their statistics."""


@datasource.command("create")
@client_command
@click.argument("datasource_id", metavar="ID")
@click.argument("location")
@click.option("--target", metavar="ATTRIBUTE", help="The attribute to predict (targetAttributeName).")
@click.option("--schema", metavar="FILE|JSON", help="A (partial) schema; attributes left out are inferred.")
@click.option("--row-id", metavar="ATTRIBUTE", help="An attribute that identifies records (rowId).")
@click.option("--name", help="A display name.")
@click.option("--statistics/--no-statistics", default=True, show_default=True, help="Compute statistics.")
@click.option(
    "--split", metavar="BEGIN:END", help="Keep only this percentage slice of the records, e.g. 0:70."
)
@click.option("--complement", is_flag=True, help="Keep the records outside the --split slice instead.")
@click.option("--split-seed", metavar="TEXT", help="Pick the slice's records at random with this seed.")
@wait_options
def create(
    context: ClientContext,
    datasource_id: str,
    location: str,
    target: str | None,
    schema: str | None,
    row_id: str | None,
    name: str | None,
    statistics: bool,
    split: str | None,
    complement: bool,
    split_seed: str | None,
    wait: bool,
    timeout: float | None,
) -> None:
    """Create datasource ID from LOCATION: a CSV file, gzip CSV or Parquet, a folder, or s3://bucket/prefix.

    The server must be allowed to read LOCATION (its data directory or OPENAML_DATA_ROOTS).
    """
    spec = {"DataLocationS3": data_location(location), "DataSchema": data_schema(schema, target, row_id)}
    rearrangement = data_rearrangement(split, complement, split_seed)
    if rearrangement is not None:
        spec["DataRearrangement"] = rearrangement
    response = context.client.call(
        "create_data_source_from_s3",
        DataSourceId=datasource_id,
        DataSpec=spec,
        ComputeStatistics=statistics,
        **({"DataSourceName": name} if name else {}),
    )
    if not wait:
        context.printer.emit(response, f"DataSource {datasource_id} created; it is being read.")
        return
    final = wait_for(context, DATA_SOURCE, datasource_id, timeout)
    context.printer.emit(final, show_table(DATA_SOURCE, final))
    if statistics:
        context.printer.note(f"Statistics: openaml datasource stats {datasource_id}")


@datasource.command("show")
@client_command
@click.argument("datasource_id", metavar="ID")
def show(context: ClientContext, datasource_id: str) -> None:
    """Show a datasource (with --output json, also its schema)."""
    response = DATA_SOURCE.get(context, datasource_id, Verbose=True)
    context.printer.emit(response, show_table(DATA_SOURCE, response))


@datasource.command("stats")
@client_command
@click.argument("datasource_id", metavar="ID")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=DEFAULT_STATISTICS_ROWS,
    show_default=True,
    help="Attributes to show, most related to the target first.",
)
@click.option("--all", "show_all", is_flag=True, help="Show every attribute.")
@click.option(
    "--png", type=click.Path(dir_okay=False, path_type=Path), help="Also draw the histograms into FILE."
)
def stats(context: ClientContext, datasource_id: str, limit: int, show_all: bool, png: Path | None) -> None:
    """Per-attribute statistics with histogram sparklines (needs ComputeStatistics)."""
    statistics = context.client.get_json(f"/datasources/{datasource_id}/statistics")
    renderables: list[Any] = [statistics_table(statistics, None if show_all else limit)]
    target = target_table(statistics)
    if target is not None:
        renderables.append(target)
    context.printer.emit(statistics, *renderables)
    if png is not None:
        download_picture(context, f"/datasources/{datasource_id}/charts/histograms.png", png)
        context.printer.note(f"Histograms written to {png}")


add_common_commands(datasource, DATA_SOURCE)
