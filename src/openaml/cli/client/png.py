"""``--png FILE``: the server's pictures, saved as they are.

The server draws every chart (``openaml.charts``: one renderer per format, one palette); the CLI only
downloads them from the signed extension routes, so a picture looks the same in the console, the API
and the terminal, and the CLI needs no plotting library.
"""

from __future__ import annotations

from pathlib import Path

from openaml.cli.client.command import ClientContext
from openaml.cli.client.errors import CliError, ExitCode


def download_picture(context: ClientContext, route: str, target: Path) -> Path:
    """Save ``GET /openaml/v1<route>`` as ``target``; a refused request leaves no file behind."""
    try:
        context.client.download(route, target)
    except OSError as error:
        raise CliError(f"cannot write {target}: {error.strerror or error}", ExitCode.USAGE) from error
    return target
