"""``Describe*``: filters, sorting and pagination shared by the four resource types.

Decisions where Amazon ML's behaviour is unconfirmed (documented in docs/api.md):
several comparators are ANDed; comparators need a ``FilterVariable``; without one, results are sorted
by ``CreatedAt``; the default order is ``asc``; ``CreatedAt``/``LastUpdatedAt`` values may be epoch
seconds or ISO-8601; DELETED objects are hidden unless ``FilterVariable`` is ``Status`` (then the
comparators alone decide, so ``EQ=DELETED`` lists them).
``NextToken`` is opaque and bound to the query it came from.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from openaml.domain.context import ServiceContext
from openaml.domain.resources import describe_resources
from openaml.entities import Comparator, ResourceKind, ResourceQuery
from openaml.errors import InvalidInputException
from openaml.operations.wire import describe_shape

#: ``FilterVariable`` → the column it compares, for the filters every kind has; each kind adds its own
#: (the ``filters`` of its :class:`openaml.operations.kinds.KindHooks`).
COMMON_FILTERS = {
    "CreatedAt": "created_at",
    "LastUpdatedAt": "last_updated_at",
    "Status": "status",
    "Name": "name",
    "IAMUser": "created_by",
}
COMPARATORS: tuple[Comparator, ...] = ("EQ", "NE", "GT", "LT", "GE", "LE", "Prefix")
_TIME_COLUMNS = {"created_at", "last_updated_at"}


def _parse_time(member: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInputException(
            f"{member} must be a time as epoch seconds or ISO-8601 (e.g. 2026-11-29T12:00:00Z), "
            f"got {value!r}."
        ) from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def _encode_token(query_hash: str, cursor: tuple[Any, str]) -> str:
    raw = json.dumps({"q": query_hash, "v": cursor[0], "id": cursor[1]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_token(token: str, query_hash: str) -> tuple[Any, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        value, resource_id, bound_to = data["v"], data["id"], data["q"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputException("NextToken is not a token this server returned.") from exc
    if bound_to != query_hash:
        raise InvalidInputException(
            "NextToken belongs to a different query; repeat the same filter and sort parameters."
        )
    return value, str(resource_id)


def describe(
    ctx: ServiceContext, kind: ResourceKind, params: dict[str, Any], filters: Mapping[str, str]
) -> dict[str, Any]:
    """Run a ``Describe*`` request and return ``{"Results": [...], "NextToken"?}``.

    ``filters`` maps each ``FilterVariable`` of the kind to the column it compares.
    """
    variable = params.get("FilterVariable")
    comparators = {op: params[op] for op in COMPARATORS if op in params}
    if variable is None and comparators:
        raise InvalidInputException(
            f"{', '.join(comparators)} needs a FilterVariable that says which field to compare."
        )
    column = filters[variable] if variable else "created_at"
    values: dict[Comparator, Any] = {}
    for op, value in comparators.items():
        if column in _TIME_COLUMNS and op != "Prefix":
            values[op] = _parse_time(op, value)
        else:
            values[op] = value
    include_deleted = column == "status"
    descending = params.get("SortOrder", "asc") == "dsc"
    limit = int(params.get("Limit", 100))
    query_hash = hashlib.sha256(
        json.dumps([kind.value, column, sorted(values.items()), descending], default=str).encode()
    ).hexdigest()[:16]
    after = _decode_token(params["NextToken"], query_hash) if params.get("NextToken") else None
    resources, cursor = describe_resources(
        ctx,
        ResourceQuery(
            kind=kind,
            column=column,
            comparators=values,
            descending=descending,
            limit=limit,
            after=after,
            include_deleted=include_deleted,
        ),
    )
    result: dict[str, Any] = {"Results": [describe_shape(r, str(ctx.settings.public_url)) for r in resources]}
    if cursor is not None:
        result["NextToken"] = _encode_token(query_hash, cursor)
    return result
