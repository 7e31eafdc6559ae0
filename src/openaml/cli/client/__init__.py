"""The client side of the ``openaml`` command: every command talks to a server through boto3.

They use the public API (and the signed ``/openaml/v1/`` extension endpoints) like any other client,
never the server's internals, so they work against any OpenAML server they can reach.
"""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add the client command groups (datasource, model, ..., quickstart) to the ``openaml`` command."""
    from openaml.cli.client.batch import batch
    from openaml.cli.client.datasources import datasource
    from openaml.cli.client.drift import drift
    from openaml.cli.client.endpoints import endpoint
    from openaml.cli.client.evaluations import evaluation
    from openaml.cli.client.login import login
    from openaml.cli.client.models import model
    from openaml.cli.client.predict import predict
    from openaml.cli.client.quickstart import quickstart
    from openaml.cli.client.schedules import schedule

    commands = (datasource, model, evaluation, endpoint, predict, batch, drift, login, quickstart, schedule)
    for command in commands:
        main.add_command(command)
