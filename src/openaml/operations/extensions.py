"""The extension API under ``/openaml/v1/``: what Amazon ML only showed in its console.

Each route is ``(method, path template, handler)``; handlers take the service context, the path
parameters, the query parameters and the caller, and return a JSON-able mapping or
:class:`RawContent` (for logs and other stored files).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from openaml.domain.context import ServiceContext
from openaml.entities import Caller


@dataclass(frozen=True)
class RawContent:
    """A response body that is not JSON (a log file, a chart)."""

    body: bytes
    media_type: str


ExtensionHandler = Callable[[ServiceContext, Mapping[str, str], Mapping[str, str], Caller], Any]


def routes() -> list[tuple[str, str, ExtensionHandler]]:
    """Every extension route, from the modules that own them."""
    from openaml.operations import data_sources, ml_models, resources

    return [*data_sources.EXTENSION_ROUTES, *ml_models.EXTENSION_ROUTES, *resources.EXTENSION_ROUTES]
