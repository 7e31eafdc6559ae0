"""``openaml login``: check a server's URL and key pair, then remember them in the profile file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from openaml.cli.client.command import ClientContext, client_command
from openaml.cli.client.errors import CliError, ExitCode
from openaml.cli.client.profile import write_profile
from openaml.cli.client.session import (
    Connection,
    ServiceClient,
    resolve_credentials,
    resolve_endpoint,
    resolve_region,
)

CREDENTIALS_FILE = "credentials.json"


def key_pair_of_data_dir(data_dir: Path) -> tuple[str, str]:
    """The first key pair of a server's ``<data-dir>/credentials.json`` (what ``openaml serve`` printed)."""
    path = data_dir / CREDENTIALS_FILE
    try:
        pairs = json.loads(path.read_text(encoding="utf-8"))
        first = pairs[0]
        return str(first["access_key_id"]), str(first["secret_access_key"])
    except FileNotFoundError as error:
        raise CliError(
            f"{path} does not exist: is {data_dir} the server's --data-dir?", ExitCode.USAGE
        ) from error
    except (OSError, ValueError, LookupError, TypeError) as error:
        raise CliError(f"cannot read a key pair from {path}: {error}", ExitCode.USAGE) from error


@click.command("login")
@client_command
@click.option(
    "--from-data-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Take the key pair from a local server's data directory (its credentials.json).",
)
def login(context: ClientContext, from_data_dir: Path | None) -> None:
    """Check that the server answers with these credentials and save them as a profile.

    Later commands then need no flags. The URL and keys come from the flags, the environment or the
    existing profile, as for any command; the file is ~/.config/openaml/profile.json (or
    $OPENAML_PROFILE_FILE), readable only by you.
    """
    flags = context.flags
    endpoint_url, _ = resolve_endpoint(flags)
    pair = key_pair_of_data_dir(from_data_dir) if from_data_dir else resolve_credentials(flags)
    if pair is None:
        raise CliError(
            "Give the key pair `openaml serve` printed: --access-key-id and --secret-access-key, or "
            "--from-data-dir DIR for a server on this machine.",
            ExitCode.USAGE,
        )
    connection = Connection(endpoint_url, pair[0], pair[1], resolve_region(flags))
    ServiceClient(connection).call("describe_data_sources", Limit=1)
    path = write_profile(
        flags.profile_name,
        {
            "endpoint_url": connection.endpoint_url,
            "region": connection.region,
            "access_key_id": connection.access_key_id,
            "secret_access_key": connection.secret_access_key,
        },
    )
    context.printer.emit(
        {
            "profile": flags.profile_name,
            "file": str(path),
            "endpoint_url": endpoint_url,
            "access_key_id": pair[0],
        },
        f"Logged in to {endpoint_url} as {pair[0]}; saved as profile '{flags.profile_name}' in {path}.",
    )
