"""The extension API under ``/openaml/v1/``: what Amazon ML only showed in its console.

Each route is ``(method, path template, handler)``, listed in
:data:`openaml.operations.registry.EXTENSION_ROUTES`; handlers take the service context, an
:class:`ExtensionRequest` and the caller, and return a JSON-able mapping or
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


@dataclass(frozen=True)
class ExtensionRequest:
    """What an extension handler gets from the HTTP request: path and query parameters, decoded JSON body."""

    path: Mapping[str, str]
    query: Mapping[str, str]
    body: Any = None


ExtensionHandler = Callable[[ServiceContext, ExtensionRequest, Caller], Any]
