"""``openaml model versions|history|promote|rollback``: the versions and aliases of a model group.

They call the model-group extension routes (``GET /openaml/v1/mlmodels/{group}/versions`` and
``.../history``, ``PUT .../aliases/{alias}``); their JSON shapes are in
:mod:`openaml.operations.model_groups`. ``model`` (:mod:`.models`) adds these commands with
:func:`add_group_commands`.
"""

from __future__ import annotations

from typing import Any

import click
from rich.console import Group
from rich.text import Text

from openaml.cli.client.command import ClientContext, client_command
from openaml.cli.client.errors import CliError, ExitCode
from openaml.cli.client.output import from_epoch, rows_table, status_text

CHAMPION = "champion"


def versions_table(view: dict[str, Any]) -> Any:
    """A group's versions, oldest first, with their status and the aliases that point at them."""
    return rows_table(
        ["version", "MLModelId", "status", "aliases", "mode", "created", "endpoint"],
        (
            [
                f"v{version.get('Version')}",
                version.get("MLModelId"),
                status_text(version.get("Status")),
                Text(", ".join(version.get("Aliases") or []) or "-", style="bold green")
                if CHAMPION in (version.get("Aliases") or [])
                else ", ".join(version.get("Aliases") or []),
                version.get("UpdateMode"),
                from_epoch(version.get("CreatedAt")),
                version.get("EndpointStatus"),
            ]
            for version in view.get("Versions", [])
        ),
        title=f"Model group {view.get('GroupId')}",
    )


def _short(version: Any) -> str | None:
    return None if version is None else f"v{version}"


def history_table(history: dict[str, Any]) -> Any:
    """Every alias change of a group, newest first: who, when, why, and the scores behind a promotion."""
    return rows_table(
        ["when", "alias", "from", "to", "by", "reason"],
        (
            [
                from_epoch(change.get("ChangedAt")),
                change.get("Alias"),
                _short(change.get("FromVersion")),
                _short(change.get("ToVersion")),
                change.get("ChangedBy"),
                change.get("Reason"),
            ]
            for change in history.get("Changes", [])
        ),
        title=f"Alias history of {history.get('GroupId')} (newest first)",
    )


def previous_champion(history: dict[str, Any]) -> int:
    """The version ``champion`` pointed at before its latest move (what a rollback returns to)."""
    for change in history.get("Changes", []):
        if change.get("Alias") == CHAMPION and change.get("FromVersion") is not None:
            return int(change["FromVersion"])
    raise CliError(
        f"The champion of {history.get('GroupId')} never moved, so there is nothing to roll back to; "
        "name a version with --to.",
        ExitCode.REFUSED,
    )


def set_alias(context: ClientContext, group: str, alias: str, version: str | int, reason: str | None) -> Any:
    answer = context.client.put_json(
        f"/mlmodels/{group}/aliases/{alias}", {"version": version, **({"reason": reason} if reason else {})}
    )
    if answer.get("Changed"):
        summary = (
            f"{alias} of {answer.get('GroupId')} now points at {answer.get('VersionName')} "
            f"(was v{answer.get('PreviousVersion')})."
            if answer.get("PreviousVersion") is not None
            else f"{alias} of {answer.get('GroupId')} now points at {answer.get('VersionName')}."
        )
    else:
        summary = (
            f"{alias} of {answer.get('GroupId')} already points at {answer.get('VersionName')}; "
            "nothing changed."
        )
    context.printer.emit(answer, summary)
    return answer


def add_group_commands(model: click.Group) -> None:
    """Add ``versions``, ``history``, ``promote`` and ``rollback`` to the ``model`` command group."""

    @model.command("versions")
    @client_command
    @click.argument("group", metavar="GROUP")
    def versions(context: ClientContext, group: str) -> None:
        """List the versions of a model group with their status and aliases."""
        view = context.client.get_json(f"/mlmodels/{group}/versions")
        aliases = ", ".join(
            f"{alias} → {name}" for alias, name in sorted((view.get("Aliases") or {}).items())
        )
        context.printer.emit(
            view, Group(versions_table(view), Text(f"Aliases: {aliases or '-'}", style="dim"))
        )

    @model.command("history")
    @client_command
    @click.argument("group", metavar="GROUP")
    def history(context: ClientContext, group: str) -> None:
        """Show every alias change of a model group: who, when, why."""
        answer = context.client.get_json(f"/mlmodels/{group}/history")
        context.printer.emit(answer, history_table(answer))

    @model.command("promote")
    @client_command
    @click.argument("group", metavar="GROUP")
    @click.argument("version", metavar="VERSION")
    @click.option("--alias", default=CHAMPION, show_default=True, help="The alias to move.")
    @click.option("--reason", help="Why (recorded in the group's history).")
    def promote(context: ClientContext, group: str, version: str, alias: str, reason: str | None) -> None:
        """Point an alias (champion by default) of GROUP at VERSION (3, v3, churn.v3 or a model ID)."""
        set_alias(context, group, alias, version, reason or "promoted with openaml model promote")

    @model.command("rollback")
    @client_command
    @click.argument("group", metavar="GROUP")
    @click.option(
        "--to",
        "version",
        metavar="VERSION",
        help="The version to return to (default: the previous champion).",
    )
    @click.option("--reason", help="Why (recorded in the group's history).")
    def rollback(context: ClientContext, group: str, version: str | None, reason: str | None) -> None:
        """Point champion back at the version it pointed at before its latest move (or at --to)."""
        target: str | int = (
            version
            if version is not None
            else previous_champion(context.client.get_json(f"/mlmodels/{group}/history"))
        )
        set_alias(context, group, CHAMPION, target, reason or "rolled back with openaml model rollback")
