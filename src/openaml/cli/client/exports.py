"""``openaml model export``: export a COMPLETED model (ONNX or LightGBM's format) and download it.

The server converts the model in a job and checks the export's parity with the model (see
docs/models.md, "Export"); the command waits for the job, prints the parity report and downloads
the file.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from openaml.cli.client.command import ClientContext, client_command
from openaml.cli.client.errors import CliError, ExitCode
from openaml.cli.client.output import fields_table

FORMATS = ("onnx", "lightgbm")
SUFFIXES = {"onnx": ".onnx", "lightgbm": "-lightgbm.zip"}
_POLL_SECONDS = 0.5


@click.command("export")
@client_command
@click.argument("model_id", metavar="ID")
@click.option("--format", "export_format", type=click.Choice(FORMATS), default="onnx", show_default=True)
@click.option(
    "--file",
    "file_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the file (default: <ID>.onnx or <ID>-lightgbm.zip).",
)
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS", help="Give up after."
)
def export_command(
    context: ClientContext, model_id: str, export_format: str, file_path: Path | None, timeout: float | None
) -> None:
    """Export model ID, wait for the parity check and download the file (exit 5 if it fails)."""
    created = context.client.post_json(f"/mlmodels/{model_id}/exports", {"format": export_format})
    export = _wait(context, model_id, str(created["ExportId"]), timeout)
    if export["Status"] != "COMPLETED":
        raise CliError(
            f"Export {export['ExportId']} of {model_id} FAILED: {export.get('Message')}", ExitCode.FAILED
        )
    target = file_path or Path(f"{model_id}{SUFFIXES[export_format]}")
    size = context.client.download(f"/mlmodels/{model_id}/exports/{export['ExportId']}/file", target)
    result = export | {"File": str(target)}
    parity = export.get("Parity") or {}
    rows: list[tuple[str, Any]] = [
        ("Export", export["ExportId"]),
        ("Format", export_format),
        ("File", f"{target} ({size:,} bytes)"),
        ("Export time", f"{export.get('ExportSeconds', 0):.2f} s"),
    ]
    if parity:
        rows += [
            ("Parity rows", f"{parity['rows']:,} ({parity['source']})"),
            ("Label agreement", f"{parity['labelAgreement']:.4%}"),
            ("Max |Δscore|", f"{parity['maxAbsScoreDifference']:.3g}"),
            ("Rows with |Δ| > 1e-4", f"{parity['shareAboveTolerance']:.4%}"),
        ]
    context.printer.emit(result, fields_table(rows, title=f"MLModel {model_id} exported"))


def _wait(context: ClientContext, model_id: str, export_id: str, timeout: float | None) -> dict[str, Any]:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        exports = context.client.get_json(f"/mlmodels/{model_id}/exports")["Exports"]
        export: dict[str, Any] = next(entry for entry in exports if entry["ExportId"] == export_id)
        if export["Status"] in ("COMPLETED", "FAILED"):
            return export
        if deadline is not None and time.monotonic() > deadline:
            raise CliError(
                f"Export {export_id} of {model_id} is still {export['Status']} after {timeout:g} s.",
                ExitCode.TIMEOUT,
            )
        time.sleep(_POLL_SECONDS)
