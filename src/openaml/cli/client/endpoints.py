"""``openaml endpoint create|show|delete``: a model's real-time endpoint, which ``predict`` calls."""

from __future__ import annotations

from typing import Any

import click

from openaml.cli.client.command import ClientContext, client_command, wait_options
from openaml.cli.client.output import fields_table, status_text
from openaml.cli.client.waiting import Observation, Watch


def endpoint_fields(model_id: str, info: dict[str, Any]) -> Any:
    return fields_table(
        [
            ("model", model_id),
            ("status", status_text(info.get("EndpointStatus"))),
            ("URL", info.get("EndpointUrl")),
            ("peak requests/s", info.get("PeakRequestsPerSecond")),
            ("created", info.get("CreatedAt")),
        ],
        title=f"Real-time endpoint of {model_id}",
    )


def wait_until_ready(context: ClientContext, model_id: str, timeout: float | None) -> dict[str, Any]:
    """Wait for the model's endpoint to be READY; its final ``EndpointInfo``."""
    info: dict[str, Any] = {}

    def observe() -> Observation:
        info.clear()
        info.update(context.client.call("get_ml_model", MLModelId=model_id).get("EndpointInfo") or {})
        status = str(info.get("EndpointStatus", "NONE"))
        failure = "it was deleted (EndpointStatus NONE)" if status == "NONE" else None
        return Observation(status, finished=status == "READY", failure=failure)

    Watch(
        context.printer,
        f"Endpoint of {model_id}",
        observe,
        timeout,
        resume_hint=f"see it with `openaml endpoint show {model_id}`",
    ).run()
    return info


def create_endpoint(
    context: ClientContext, model_id: str, wait: bool, timeout: float | None
) -> dict[str, Any]:
    """Create the endpoint (idempotent) and, with ``wait``, wait until it is READY."""
    info: dict[str, Any] = context.client.call("create_realtime_endpoint", MLModelId=model_id)[
        "RealtimeEndpointInfo"
    ]
    return wait_until_ready(context, model_id, timeout) if wait else info


@click.group("endpoint")
def endpoint() -> None:
    """Real-time endpoints: serve a model's predictions with low latency."""


@endpoint.command("create")
@client_command
@click.argument("model_id", metavar="MODEL_ID")
@wait_options
def create(context: ClientContext, model_id: str, wait: bool, timeout: float | None) -> None:
    """Create the real-time endpoint of a COMPLETED model (waits until READY)."""
    info = create_endpoint(context, model_id, wait, timeout)
    context.printer.emit(
        {"MLModelId": model_id, "RealtimeEndpointInfo": info}, endpoint_fields(model_id, info)
    )


@endpoint.command("show")
@client_command
@click.argument("model_id", metavar="MODEL_ID")
def show(context: ClientContext, model_id: str) -> None:
    """Show a model's real-time endpoint."""
    info = context.client.call("get_ml_model", MLModelId=model_id).get("EndpointInfo") or {}
    context.printer.emit({"MLModelId": model_id, "EndpointInfo": info}, endpoint_fields(model_id, info))


@endpoint.command("delete")
@client_command
@click.argument("model_id", metavar="MODEL_ID")
def delete(context: ClientContext, model_id: str) -> None:
    """Delete a model's real-time endpoint (the model stays)."""
    response = context.client.call("delete_realtime_endpoint", MLModelId=model_id)
    context.printer.emit(response, f"Real-time endpoint of {model_id} deleted.")
