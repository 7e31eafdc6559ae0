"""Failures of client commands: one message a person can act on, and an exit code a script can test.

Exit codes (also listed in docs/quickstart.md):

====  ==============================================================================
0     success
1     the service refused the request (its error code and message are printed)
2     wrong usage of the command (click's own code)
3     the server cannot be reached, or the credentials are missing or refused
4     the object (or the server's extension endpoint for it) does not exist
5     a waited-for object ended FAILED or DELETED
6     ``--timeout`` passed before the object was ready
====  ==============================================================================
"""

from __future__ import annotations

import enum

import click


class ExitCode(enum.IntEnum):
    """The process exit status of each kind of failure."""

    REFUSED = 1
    USAGE = 2
    CONNECTION = 3
    NOT_FOUND = 4
    FAILED = 5
    TIMEOUT = 6


#: Service error codes that mean "your credentials are wrong", not "your request is wrong".
AUTHENTICATION_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignatureException",
        "MissingAuthenticationTokenException",
        "AccessDeniedException",
    }
)


class CliError(click.ClickException):
    """A failure reported as ``Error: <message>`` on stderr with a specific exit code."""

    def __init__(
        self, message: str, exit_code: ExitCode = ExitCode.REFUSED, service_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = exit_code
        # click declares exit_code per class but reads it from the instance when the command fails.
        self.exit_code = int(exit_code)  # type: ignore[misc]
        #: The service's error code (``__type``) when the service refused the request.
        self.service_code = service_code


def service_error(code: str, message: str, action: str) -> CliError:
    """The CLI error for a service error ``code`` answered to ``action`` (e.g. ``"GetMLModel"``)."""
    text = f"{action}: {code}: {message}" if message else f"{action}: {code}"
    if code in ("ResourceNotFoundException", "NotFoundException"):
        return CliError(text, ExitCode.NOT_FOUND, code)
    if code in AUTHENTICATION_CODES:
        return CliError(
            f"{text}\nThe server refused the credentials. Pass --access-key-id and --secret-access-key, "
            "set OPENAML_ACCESS_KEY_ID and OPENAML_SECRET_ACCESS_KEY, or run `openaml login`.",
            ExitCode.CONNECTION,
            code,
        )
    return CliError(text, ExitCode.REFUSED, code)
