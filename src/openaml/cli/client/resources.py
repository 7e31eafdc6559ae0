"""What the four kinds of objects have in common, and the commands built from it once for all of them.

Datasources, models, evaluations and batch predictions share the API's shape (``Get*``,
``Describe*``, ``Delete*``, a status, a job log), so ``list``, ``delete``, ``log`` and waiting are
written once here and each command group adds them with :func:`add_common_commands`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click
from rich.table import Table

from openaml.cli.client.command import ClientContext, client_command
from openaml.cli.client.errors import CliError
from openaml.cli.client.output import fields_table, rows_table, status_text
from openaml.cli.client.waiting import Observation, Watch, resource_observation
from openaml.entities import BATCH_PREDICTIONS, DATA_SOURCES, EVALUATIONS, ML_MODELS, KindDescriptor


@dataclass(frozen=True)
class Kind:
    """One kind of object of the API and how the CLI presents it."""

    descriptor: KindDescriptor
    #: Members shown by ``show`` after the common ones, as ``(label, member)``.
    details: tuple[tuple[str, str], ...] = ()
    #: Extra columns of ``list``, as ``(header, member)``.
    list_columns: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        """The API's name, e.g. ``"MLModel"`` (used in messages)."""
        return self.descriptor.kind.value

    @property
    def command(self) -> str:
        """The command group, e.g. ``"model"``."""
        return self.descriptor.cli_command

    @property
    def id_member(self) -> str:
        return self.descriptor.id_member

    @property
    def extension_collection(self) -> str:
        """Path segment of the extension endpoints, e.g. ``"mlmodels"``."""
        return self.descriptor.collection

    @property
    def snake_name(self) -> str:
        """``"MLModel"`` → ``"ml_model"``, for boto3 method names."""
        return self.descriptor.snake_name

    def get(self, context: ClientContext, resource_id: str, **params: Any) -> dict[str, Any]:
        return context.client.call(f"get_{self.snake_name}", **{self.id_member: resource_id}, **params)


DATA_SOURCE = Kind(
    DATA_SOURCES,
    details=(
        ("location", "DataLocationS3"),
        ("rearrangement", "DataRearrangement"),
        ("files", "NumberOfFiles"),
        ("bytes", "DataSizeInBytes"),
        ("statistics", "ComputeStatistics"),
    ),
    list_columns=(("location", "DataLocationS3"),),
)
ML_MODEL = Kind(
    ML_MODELS,
    details=(
        ("type", "MLModelType"),
        ("training datasource", "TrainingDataSourceId"),
        ("algorithm", "Algorithm"),
        ("parameters", "TrainingParameters"),
        ("size (bytes)", "SizeInBytes"),
        ("score threshold", "ScoreThreshold"),
    ),
    list_columns=(("type", "MLModelType"), ("datasource", "TrainingDataSourceId")),
)
EVALUATION = Kind(
    EVALUATIONS,
    details=(("model", "MLModelId"), ("datasource", "EvaluationDataSourceId")),
    list_columns=(("model", "MLModelId"), ("datasource", "EvaluationDataSourceId")),
)
BATCH_PREDICTION = Kind(
    BATCH_PREDICTIONS,
    details=(
        ("model", "MLModelId"),
        ("datasource", "BatchPredictionDataSourceId"),
        ("output", "OutputUri"),
        ("records", "TotalRecordCount"),
        ("invalid records", "InvalidRecordCount"),
    ),
    list_columns=(("model", "MLModelId"), ("output", "OutputUri")),
)


def resource_fields(kind: Kind, response: dict[str, Any]) -> list[tuple[str, Any]]:
    """The rows of ``show``: identity, status and timing, then the kind's own members."""
    compute_time = response.get("ComputeTime")
    return [
        ("ID", response.get(kind.id_member)),
        ("name", response.get("Name")),
        ("status", status_text(response.get("Status"))),
        ("message", response.get("Message")),
        *((label, response.get(member)) for label, member in kind.details),
        ("created", response.get("CreatedAt")),
        ("started", response.get("StartedAt")),
        ("finished", response.get("FinishedAt")),
        ("compute time", f"{compute_time / 1000:.1f} s" if compute_time is not None else None),
    ]


def wait_for(context: ClientContext, kind: Kind, resource_id: str, timeout: float | None) -> dict[str, Any]:
    """Wait with a progress bar until the object is COMPLETED; its final ``Get*`` response."""
    final: dict[str, Any] = {}

    def observe() -> Observation:
        final.clear()
        final.update(kind.get(context, resource_id))
        progress = None
        if final.get("Status") == "INPROGRESS":
            # The bar's fill is a nicety: a server without the progress route (an older OpenAML) or a
            # passing failure leaves the bar with the status and message of the Get* response.
            with contextlib.suppress(CliError):
                report = context.client.get_json(f"/{kind.extension_collection}/{resource_id}/progress")
                progress = report.get("Progress") if isinstance(report, dict) else None
        return resource_observation(final, progress)

    Watch(
        context.printer,
        f"{kind.name} {resource_id}",
        observe,
        timeout,
        resume_hint=f"see it with `openaml {kind.command} show {resource_id}`",
    ).run()
    return final


def add_common_commands(group: click.Group, kind: Kind) -> None:
    """Add ``list``, ``delete`` and ``log`` for ``kind`` to its command group."""

    @group.command(
        "list", help=f"List the {kind.name}s, oldest first (DELETED ones only with --status DELETED)."
    )
    @client_command
    @click.option("--status", type=click.Choice(["PENDING", "INPROGRESS", "COMPLETED", "FAILED", "DELETED"]))
    @click.option("--name-prefix", metavar="TEXT", help="Only objects whose name starts with TEXT.")
    @click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many.")
    def list_command(
        context: ClientContext, status: str | None, name_prefix: str | None, limit: int | None
    ) -> None:
        if status is not None:
            query: dict[str, Any] = {"FilterVariable": "Status", "EQ": status}
        elif name_prefix is not None:
            query = {"FilterVariable": "Name", "Prefix": name_prefix}
        else:
            query = {}
        items = context.client.paginate(f"describe_{kind.snake_name}s", "Results", limit, **query)
        if status is not None and name_prefix is not None:
            items = [item for item in items if str(item.get("Name", "")).startswith(name_prefix)]
        headers = ["ID", "name", "status", *(header for header, _ in kind.list_columns), "created"]
        rows = [
            [
                item.get(kind.id_member),
                item.get("Name"),
                status_text(item.get("Status")),
                *(item.get(member) for _, member in kind.list_columns),
                item.get("CreatedAt"),
            ]
            for item in items
        ]
        if any(item.get("Status") == "FAILED" for item in items):
            # why each FAILED object failed; the other objects' messages are progress notes
            headers.append("why it FAILED")
            for row, item in zip(rows, items, strict=True):
                row.append(item.get("Message") if item.get("Status") == "FAILED" else None)
        context.printer.emit(items, rows_table(headers, rows) if rows else f"No {kind.command}s.")

    @group.command("delete", help=f"Delete a {kind.name} (stopping its job if it still runs).")
    @client_command
    @click.argument("resource_id", metavar="ID")
    def delete_command(context: ClientContext, resource_id: str) -> None:
        response = context.client.call(f"delete_{kind.snake_name}", **{kind.id_member: resource_id})
        context.printer.emit(response, f"{kind.name} {resource_id} deleted.")

    @group.command("log", help=f"Print the job log of a {kind.name} (what its LogUri points at).")
    @client_command
    @click.argument("resource_id", metavar="ID")
    def log_command(context: ClientContext, resource_id: str) -> None:
        text = context.client.get_text(f"/{kind.extension_collection}/{resource_id}/log")
        context.printer.emit({kind.id_member: resource_id, "log": text}, text.rstrip("\n"))


def show_table(kind: Kind, response: dict[str, Any], extra: Sequence[tuple[str, Any]] = ()) -> Table:
    """The ``show`` table of one object, with ``extra`` rows at the end."""
    return fields_table(
        [*resource_fields(kind, response), *extra], title=f"{kind.name} {response.get(kind.id_member)}"
    )
