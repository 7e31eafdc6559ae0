"""``openaml batch create|show|download|list|delete|log``: asynchronous scoring of whole datasources."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

import click
from rich.progress import Progress

from openaml.cli.client.command import ClientContext, client_command, wait_options
from openaml.cli.client.errors import CliError, ExitCode
from openaml.cli.client.output import rows_table
from openaml.cli.client.resources import BATCH_PREDICTION, add_common_commands, show_table, wait_for


@click.group("batch")
def batch() -> None:
    """Batch predictions: score every record of a datasource into result files."""


@batch.command("create")
@client_command
@click.argument("batch_id", metavar="ID")
@click.option("--model", "model_id", required=True, metavar="ID", help="The model to predict with.")
@click.option("--datasource", "datasource_id", required=True, metavar="ID", help="The records to score.")
@click.option(
    "--output-uri",
    required=True,
    metavar="URI",
    help="Folder (local path or s3://bucket/prefix/) the server writes the manifest and results into.",
)
@click.option("--name", help="A display name.")
@wait_options
def create(
    context: ClientContext,
    batch_id: str,
    model_id: str,
    datasource_id: str,
    output_uri: str,
    name: str | None,
    wait: bool,
    timeout: float | None,
) -> None:
    """Score a datasource with a model; download the results with `openaml batch download ID`."""
    if "://" not in output_uri:
        output_uri = str(Path(output_uri).expanduser().resolve()) + "/"
    response = context.client.call(
        "create_batch_prediction",
        BatchPredictionId=batch_id,
        MLModelId=model_id,
        BatchPredictionDataSourceId=datasource_id,
        OutputUri=output_uri,
        **({"BatchPredictionName": name} if name else {}),
    )
    if not wait:
        context.printer.emit(response, f"BatchPrediction {batch_id} created.")
        return
    final = wait_for(context, BATCH_PREDICTION, batch_id, timeout)
    context.printer.emit(final, show_table(BATCH_PREDICTION, final))


@batch.command("show")
@client_command
@click.argument("batch_id", metavar="ID")
def show(context: ClientContext, batch_id: str) -> None:
    """Show a batch prediction: status, record counts, output location."""
    response = BATCH_PREDICTION.get(context, batch_id)
    context.printer.emit(response, show_table(BATCH_PREDICTION, response))


def _download(context: ClientContext, batch_id: str, index: int, target: Path, decompress: bool) -> Path:
    path = f"/batchpredictions/{batch_id}/results/{index}"
    if not decompress:
        context.client.download(path, target)
        return target
    compressed = target.with_name(target.name + ".download")
    try:
        context.client.download(path, compressed)
        plain = target.with_suffix("") if target.suffix == ".gz" else target
        with gzip.open(compressed, "rb") as source, plain.open("wb") as sink:
            shutil.copyfileobj(source, sink)
    finally:
        compressed.unlink(missing_ok=True)
    return plain


@batch.command("download")
@client_command
@click.argument("batch_id", metavar="ID")
@click.option(
    "--to",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to write the result files into.",
)
@click.option("--decompress", is_flag=True, help="Write plain CSV instead of the gzip files.")
def download(context: ClientContext, batch_id: str, directory: Path, decompress: bool) -> None:
    """Download the result files of a COMPLETED batch prediction, one per input file."""
    status = BATCH_PREDICTION.get(context, batch_id).get("Status")
    if status != "COMPLETED":
        raise CliError(
            f"BatchPrediction {batch_id} is {status}; results exist once it is COMPLETED.", ExitCode.REFUSED
        )
    manifest: dict[str, str] = context.client.get_json(f"/batchpredictions/{batch_id}/manifest")
    directory.mkdir(parents=True, exist_ok=True)
    written: list[dict[str, Any]] = []
    with Progress(console=context.printer.messages, transient=True) as progress:
        task = progress.add_task(f"Downloading {len(manifest)} result files", total=len(manifest))
        for index, (input_uri, result_uri) in enumerate(manifest.items()):
            target = directory / PurePosixPath(result_uri).name
            path = _download(context, batch_id, index, target, decompress)
            written.append(
                {"input": input_uri, "result": result_uri, "file": str(path), "bytes": path.stat().st_size}
            )
            progress.advance(task)
    context.printer.emit(
        written,
        rows_table(
            ["input", "file", "bytes"], ([entry["input"], entry["file"], entry["bytes"]] for entry in written)
        ),
    )


add_common_commands(batch, BATCH_PREDICTION)
