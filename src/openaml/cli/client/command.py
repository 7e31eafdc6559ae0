"""The options every client command shares, and what the command receives from them.

``@client_command`` adds the connection options (``--endpoint-url``, ``--access-key-id``,
``--secret-access-key``, ``--region``, ``--profile``) and ``--output table|json`` to a click command
and passes it a :class:`ClientContext` as its first argument. ``@wait_options`` adds
``--wait/--no-wait`` and ``--timeout`` to commands that start long operations.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click

from openaml.cli.client.output import OUTPUT_FORMATS, Printer
from openaml.cli.client.session import Connection, ConnectionFlags, ServiceClient, resolve_connection


@dataclass
class ClientContext:
    """The printer of a command and (created on first use) the client of its server.

    The server is ``connection`` when given, else the one the flags, environment and profile name.
    """

    flags: ConnectionFlags
    printer: Printer
    connection: Connection | None = None
    _client: ServiceClient | None = field(default=None, init=False)

    @property
    def client(self) -> ServiceClient:
        if self._client is None:
            self._client = ServiceClient(self.connection or resolve_connection(self.flags))
        return self._client


_SHARED_OPTIONS = (
    click.option(
        "--endpoint-url",
        metavar="URL",
        help="The OpenAML server (default: $OPENAML_ENDPOINT_URL, the profile, http://127.0.0.1:8080).",
    ),
    click.option("--access-key-id", metavar="KEY", help="Access key ID to sign with (see `openaml login`)."),
    click.option("--secret-access-key", metavar="SECRET", help="Secret access key to sign with."),
    click.option("--region", metavar="REGION", help="Region to sign for (default us-east-1; any works)."),
    click.option(
        "--profile",
        metavar="NAME",
        help="Profile of the profile file (default: $OPENAML_PROFILE or 'default').",
    ),
    click.option(
        "--output",
        "-o",
        type=click.Choice(OUTPUT_FORMATS),
        default="table",
        envvar="OPENAML_OUTPUT",
        show_default=True,
        help="Tables for people, or one JSON document on stdout for scripts.",
    ),
)


def client_command(function: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the shared options; it is called with a :class:`ClientContext` first."""

    @functools.wraps(function)
    def command(
        *args: Any,
        endpoint_url: str | None,
        access_key_id: str | None,
        secret_access_key: str | None,
        region: str | None,
        profile: str | None,
        output: str,
        **kwargs: Any,
    ) -> Any:
        flags = ConnectionFlags(endpoint_url, access_key_id, secret_access_key, region, profile)
        return function(ClientContext(flags, Printer(output)), *args, **kwargs)

    # click lists a function's parameters in reverse order of ``__click_params__``: putting the shared
    # options first there shows them after the command's own in ``--help``.
    own_parameters = getattr(function, "__click_params__", [])
    command.__click_params__ = []  # type: ignore[attr-defined]
    for option in reversed(_SHARED_OPTIONS):
        option(command)
    command.__click_params__.extend(own_parameters)  # type: ignore[attr-defined]
    return command


def wait_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--wait/--no-wait`` (default: wait, with a progress bar) and ``--timeout SECONDS``."""
    function = click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        metavar="SECONDS",
        help="Stop waiting after this long (exit code 6); the operation itself goes on.",
    )(function)
    return click.option(
        "--wait/--no-wait",
        default=True,
        show_default=True,
        help="Wait for the operation to finish, showing its progress.",
    )(function)
