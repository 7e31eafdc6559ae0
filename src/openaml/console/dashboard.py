"""The dashboard: every datasource, model, evaluation and batch prediction in one filterable table.

Filtering by type and status, searching (case-insensitive, in IDs and names) and sorting happen on
the server from the query string, so the page works without JavaScript and its URL can be shared;
rows of running jobs are refreshed live by ``console.js`` through the status endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaml.console.kinds import BY_COLLECTION, KINDS, KindInfo, is_running
from openaml.console.pages import BASE, Console, Visit
from openaml.entities import EntityStatus

SORT_KEYS = {
    "created": "Created",
    "updated": "Last updated",
    "name": "Name",
    "status": "Status",
    "type": "Type",
}
STATUSES = [status.value for status in EntityStatus]


@dataclass(frozen=True)
class Row:
    """One object as the dashboard lists it."""

    info: KindInfo
    id: str
    name: str
    status: str
    created_at: float | None
    updated_at: float | None
    message: str
    links: list[tuple[str, str]]

    @property
    def live(self) -> bool:
        return is_running(self.status)


@dataclass(frozen=True)
class Filters:
    """What the visitor asked the dashboard to show."""

    collection: str
    status: str
    search: str
    deleted: bool
    sort: str
    descending: bool

    @classmethod
    def from_query(cls, query: Any) -> Filters:
        collection = query.get("type", "")
        status = query.get("status", "")
        sort = query.get("sort", "created")
        return cls(
            collection=collection if collection in BY_COLLECTION else "",
            status=status if status in STATUSES else "",
            search=query.get("q", "").strip(),
            deleted=query.get("deleted") == "1" or status == EntityStatus.DELETED.value,
            sort=sort if sort in SORT_KEYS else "created",
            descending=query.get("order", "desc" if sort in ("created", "updated") else "asc") == "desc",
        )


def _links(info: KindInfo, result: dict[str, Any]) -> list[tuple[str, str]]:
    links = []
    model_id = result.get("MLModelId") if info.id_member != "MLModelId" else None
    if model_id:
        links.append((f"model {model_id}", f"{BASE}/mlmodels/{model_id}"))
    for member in ("TrainingDataSourceId", "EvaluationDataSourceId", "BatchPredictionDataSourceId"):
        if result.get(member):
            links.append((f"datasource {result[member]}", f"{BASE}/datasources/{result[member]}"))
    return links


def _row(info: KindInfo, result: dict[str, Any]) -> Row:
    return Row(
        info=info,
        id=result[info.id_member],
        name=result.get("Name") or "",
        status=result.get("Status", ""),
        created_at=result.get("CreatedAt"),
        updated_at=result.get("LastUpdatedAt"),
        message=result.get("Message") or "",
        links=_links(info, result),
    )


def _sort_key(sort: str) -> Any:
    keys = {
        "created": lambda row: row.created_at or 0.0,
        "updated": lambda row: row.updated_at or 0.0,
        "name": lambda row: (row.name or row.id).lower(),
        "status": lambda row: row.status,
        "type": lambda row: row.info.label,
    }
    return keys[sort]


async def list_rows(console: Console, visit: Visit, filters: Filters) -> list[Row]:
    """The objects matching ``filters``, sorted."""
    params: dict[str, Any] = {}
    if filters.status:
        params = {"FilterVariable": "Status", "EQ": filters.status}
    elif filters.deleted:
        params = {"FilterVariable": "Status"}
    rows: list[Row] = []
    for info in KINDS:
        if filters.collection and info.collection != filters.collection:
            continue
        results = await console.gateway.describe_all(info.describe, params, visit.caller)
        rows.extend(_row(info, result) for result in results)
    needle = filters.search.lower()
    if needle:
        rows = [row for row in rows if needle in row.id.lower() or needle in row.name.lower()]
    return sorted(rows, key=_sort_key(filters.sort), reverse=filters.descending)


def routes(console: Console) -> list[Route]:
    async def dashboard(request: Request, visit: Visit) -> Response:
        filters = Filters.from_query(request.query_params)
        rows = await list_rows(console, visit, filters)
        counts = {info.collection: sum(1 for row in rows if row.info is info) for info in KINDS}
        return console.render(
            request,
            "dashboard.html",
            {
                "page_title": "Dashboard",
                "rows": rows,
                "counts": counts,
                "filters": filters,
                "kinds": KINDS,
                "statuses": STATUSES,
                "sort_keys": SORT_KEYS,
            },
            session=visit.session,
        )

    return [Route(BASE + "/", console.page(dashboard), methods=["GET"])]
