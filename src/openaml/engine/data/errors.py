"""Errors of the data engine that end a datasource job, with a message meant for the user."""

from __future__ import annotations


class DataError(Exception):
    """The data cannot become a datasource; ``message`` says why in words a user can act on.

    The domain layer copies the message into the datasource's ``Message`` and marks it FAILED.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IngestStopped(Exception):
    """Reading stopped early because the caller's ``should_stop`` callback asked for it."""
