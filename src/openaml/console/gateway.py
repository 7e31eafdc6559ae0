"""The console's only way into the service: the API's own operation and extension handlers.

Requests are validated against botocore's service model exactly as the API validates them, and the
handlers run in the thread pool (they do database and disk work), so the console behaves like a
client of the API without a network hop: the same checks, the same typed errors, the same results.
An extension the server does not offer yet answers :class:`NotImplementedException`, which pages
show as a message like every other error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool

from openaml.domain.context import ServiceContext
from openaml.entities import Caller
from openaml.errors import InternalServerException, NotImplementedException
from openaml.operations.extensions import ExtensionHandler, ExtensionRequest, RawContent
from openaml.operations.registry import EXTENSION_ROUTES, OPERATIONS, Handler
from openaml.operations.validation import InputValidator, load_service_model

#: Most objects of one type the console lists (``Describe*`` pages of 100).
MAX_LISTED = 1000


class Gateway:
    """Calls API operations and extension endpoints on behalf of a signed-in caller."""

    def __init__(
        self,
        ctx: ServiceContext,
        operations: Mapping[str, Handler] | None = None,
        extension_routes: list[tuple[str, str, ExtensionHandler]] | None = None,
    ) -> None:
        self.ctx = ctx
        self._operations = dict(OPERATIONS if operations is None else operations)
        routes = EXTENSION_ROUTES if extension_routes is None else extension_routes
        self._extensions = {(method, template): handler for method, template, handler in routes}
        self._validator = InputValidator(load_service_model())

    async def call(self, operation: str, params: Mapping[str, Any], caller: Caller) -> dict[str, Any]:
        """Run one API operation with wire-named ``params``; raises the operation's typed errors."""
        request = dict(params)
        self._validator.validate(operation, request)
        handler = self._operations.get(operation)
        if handler is None:
            raise NotImplementedException(f"{operation} is not available in this version of OpenAML yet.")
        return await run_in_threadpool(handler, self.ctx, request, caller)

    async def describe_all(
        self, operation: str, params: Mapping[str, Any], caller: Caller
    ) -> list[dict[str, Any]]:
        """Every result of a ``Describe*`` operation, following ``NextToken`` up to :data:`MAX_LISTED`."""
        results: list[dict[str, Any]] = []
        request = {**params, "Limit": 100}
        while len(results) < MAX_LISTED:
            page = await self.call(operation, request, caller)
            results.extend(page.get("Results", []))
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
        return results[:MAX_LISTED]

    async def extension(
        self,
        method: str,
        template: str,
        caller: Caller,
        *,
        path: Mapping[str, str],
        query: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Any:
        """Run the handler of extension endpoint ``method template`` (e.g. ``GET /mlmodels/{MLModelId}/...``).

        Returns what the handler returns: a JSON-able value or :class:`RawContent`.
        """
        handler = self._extensions.get((method, template))
        if handler is None:
            raise NotImplementedException(
                f"This server does not offer {method} /openaml/v1{template} yet, which this page needs."
            )
        request = ExtensionRequest(dict(path), dict(query or {}), body)
        return await run_in_threadpool(handler, self.ctx, request, caller)

    async def extension_json(
        self, method: str, template: str, caller: Caller, *, path: Mapping[str, str], body: Any = None
    ) -> Any:
        """An extension endpoint's answer as decoded JSON, whether the handler stored it as text or not."""
        result = await self.extension(method, template, caller, path=path, body=body)
        if not isinstance(result, RawContent):
            return result
        try:
            return json.loads(result.body)
        except ValueError as exc:
            raise InternalServerException(f"{method} {template} did not answer JSON.") from exc
