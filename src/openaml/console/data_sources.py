"""Datasource pages: the schema, counts, invalid records and data insights; and the create flow.

Creating one takes the location (and optionally the target and row ID); "Preview the schema" asks the
server for the schema it would infer and shows it as an editable table; otherwise the server infers
the schema while it reads the data. The datasource's page then offers its inferred schema back as an editable
table (type of every attribute, target, excluded attributes), which creates a corrected datasource
over the same data: Amazon ML's "review the schema" step, taken on the real, fully read data.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaml.console import charts
from openaml.console.kinds import is_running
from openaml.console.pages import BASE, Console, FormError, Visit, optional
from openaml.errors import OpenAMLError

STATISTICS = ("GET", "/datasources/{DataSourceId}/statistics")
LOG = ("GET", "/{collection}/{ResourceId}/log")
ATTRIBUTE_TYPES = ("NUMERIC", "CATEGORICAL", "BINARY", "TEXT")
#: Invalid records listed on the page (the full list is in the log).
SHOWN_INVALID_RECORDS = 50
_INVALID_PREFIX = "invalid record: "


@dataclass
class SchemaDraft:
    """The create form's state: where the data is, what the person chose, and the schema being edited."""

    data_source_id: str
    name: str = ""
    location: str = ""
    target: str = ""
    row_id: str = ""
    rearrangement: str = ""
    compute_statistics: bool = True
    contains_header: bool = True
    data_format: str = "CSV"
    #: ``(name, type)`` of each attribute when editing an existing schema (empty for a new one).
    attributes: list[tuple[str, str]] = field(default_factory=list)
    excluded: set[str] = field(default_factory=set)

    @classmethod
    def from_form(cls, visit: Visit) -> SchemaDraft:
        draft = cls(
            data_source_id=visit.field("data_source_id"),
            name=visit.field("name"),
            location=visit.field("location"),
            target=visit.field("target"),
            row_id=visit.field("row_id"),
            rearrangement=visit.field("rearrangement"),
            compute_statistics=visit.checked("compute_statistics"),
            contains_header=visit.field("contains_header", "true") == "true",
            data_format=visit.field("data_format", "CSV"),
            excluded=set(visit.form_lists.get("excluded", [])),
        )
        names = visit.form_lists.get("attribute_name", [])
        types = visit.form_lists.get("attribute_type", [])
        if len(names) != len(types):
            raise FormError("The schema table was sent incomplete; open the schema again.")
        for kind in types:
            if kind not in ATTRIBUTE_TYPES:
                raise FormError(
                    f"{kind!r} is not an attribute type; choose one of {', '.join(ATTRIBUTE_TYPES)}."
                )
        draft.attributes = list(zip(names, types, strict=True))
        return draft

    def adopt(self, schema: dict[str, Any]) -> None:
        """Take over an existing schema to edit it."""
        self.attributes = [(a["attributeName"], a["attributeType"]) for a in schema.get("attributes", [])]
        self.target = schema.get("targetAttributeName") or ""
        self.row_id = schema.get("rowId") or ""
        self.excluded = set(schema.get("excludedAttributeNames") or [])
        self.contains_header = bool(schema.get("dataFileContainsHeader", True))
        self.data_format = schema.get("dataFormat") or "CSV"

    def hints(self) -> dict[str, Any]:
        """The roles the person named, in the schema's spelling."""
        hints: dict[str, Any] = {}
        if self.target:
            hints["targetAttributeName"] = self.target
        if self.row_id:
            hints["rowId"] = self.row_id
        return hints

    def data_schema(self) -> str | None:
        """The ``DataSchema`` to create with: the edited schema, the hints alone, or none."""
        if not self.attributes:
            return json.dumps({"version": "1.0", **self.hints()}) if self.hints() else None
        names = [name for name, _ in self.attributes]
        for role, value in (("target", self.target), ("row ID", self.row_id)):
            if value and value not in names:
                raise FormError(f"The {role} {value!r} is not an attribute of the schema.")
        schema = {
            "version": "1.0",
            "dataFormat": self.data_format,
            "dataFileContainsHeader": self.contains_header,
            "attributes": [{"attributeName": name, "attributeType": kind} for name, kind in self.attributes],
            "excludedAttributeNames": [name for name in names if name in self.excluded],
            **self.hints(),
        }
        return json.dumps(schema)


def _invalid_records(log_text: str) -> list[str]:
    return [line.split(_INVALID_PREFIX, 1)[1] for line in log_text.splitlines() if _INVALID_PREFIX in line][
        :SHOWN_INVALID_RECORDS
    ]


def _attribute_rows(schema: dict[str, Any] | None, statistics: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per attribute: name, type, role and (with statistics) counts and correlation, ranked."""
    if statistics is not None:
        ranked = charts.correlation_ranking(statistics)
        others = [a for a in statistics.get("attributes", []) if a not in ranked]
        return [
            {
                "name": a["name"],
                "type": a.get("type", ""),
                "role": a.get("role", "input"),
                "count": a.get("count"),
                "missing": a.get("missing"),
                "missing_share": (a.get("missing") or 0)
                / max(1, (a.get("count") or 0) + (a.get("missing") or 0)),
                "invalid": a.get("invalid"),
                "distinct": a.get("distinct"),
                "correlation": (a.get("correlationToTarget") or {}).get("value"),
            }
            for a in [*ranked, *others]
        ]
    if schema is None:
        return []
    excluded = set(schema.get("excludedAttributeNames") or [])
    rows = []
    for attribute in schema.get("attributes", []):
        name = attribute["attributeName"]
        role = (
            "target"
            if name == schema.get("targetAttributeName")
            else "rowId"
            if name == schema.get("rowId")
            else "excluded"
            if name in excluded
            else "input"
        )
        rows.append({"name": name, "type": attribute["attributeType"], "role": role})
    return rows


def create_params(draft: SchemaDraft) -> dict[str, Any]:
    """The ``CreateDataSourceFromS3`` request of a filled-in form."""
    spec: dict[str, Any] = {"DataLocationS3": draft.location}
    if draft.rearrangement:
        spec["DataRearrangement"] = draft.rearrangement
    data_schema = draft.data_schema()
    if data_schema is not None:
        spec["DataSchema"] = data_schema
    params: dict[str, Any] = {
        "DataSourceId": draft.data_source_id,
        "DataSpec": spec,
        "ComputeStatistics": draft.compute_statistics,
    }
    if draft.name:
        params["DataSourceName"] = draft.name
    return params


def routes(console: Console) -> list[Route]:
    gateway = console.gateway

    async def show(request: Request, visit: Visit) -> Response:
        data_source_id = request.path_params["id"]
        result = await gateway.call(
            "GetDataSource", {"DataSourceId": data_source_id, "Verbose": True}, visit.caller
        )
        schema = json.loads(result["DataSourceSchema"]) if result.get("DataSourceSchema") else None
        statistics, statistics_message = None, None
        if result.get("ComputeStatistics") and result["Status"] == "COMPLETED":
            statistics, statistics_message = await optional(
                gateway.extension_json(*STATISTICS, visit.caller, path={"DataSourceId": data_source_id})
            )
        invalid: list[str] = []
        if not is_running(result["Status"]):
            log, _ = await optional(
                gateway.extension(
                    *LOG, visit.caller, path={"collection": "datasources", "ResourceId": data_source_id}
                )
            )
            invalid = _invalid_records(log.body.decode("utf-8", "replace")) if log is not None else []
        figures: dict[str, Any] = {}
        if statistics is not None:
            figures = {
                "attributes": {
                    a["name"]: figure
                    for a in statistics.get("attributes", [])
                    if (figure := charts.attribute_figure(a)) is not None
                },
                "correlation": charts.correlation_figure(statistics),
                "target": charts.target_figure(statistics),
            }
        models = await gateway.describe_all(
            "DescribeMLModels", {"FilterVariable": "TrainingDataSourceId", "EQ": data_source_id}, visit.caller
        )
        return console.render(
            request,
            "data_source.html",
            {
                "page_title": f"Datasource {result.get('Name') or data_source_id}",
                "ds": result,
                "schema": schema,
                "attributes": _attribute_rows(schema, statistics),
                "statistics": statistics,
                "statistics_message": statistics_message,
                "invalid_records": invalid,
                "figures": figures,
                "models": models,
                "live": is_running(result["Status"]),
            },
            session=visit.session,
        )

    def render_form(
        request: Request, visit: Visit, draft: SchemaDraft, *, message: str | None = None, status: int = 200
    ) -> Response:
        return console.render(
            request,
            "data_source_new.html",
            {
                "page_title": "Create a datasource",
                "draft": draft,
                "attribute_types": ATTRIBUTE_TYPES,
                "message": message,
            },
            session=visit.session,
            status=status,
        )

    async def new(request: Request, visit: Visit) -> Response:
        """An empty form; or, with ``?from=ID``, one holding that datasource's location and schema to edit."""
        draft = SchemaDraft(data_source_id=f"ds-{secrets.token_hex(4)}")
        original_id = request.query_params.get("from")
        if original_id:
            original = await gateway.call(
                "GetDataSource", {"DataSourceId": original_id, "Verbose": True}, visit.caller
            )
            draft.location = original.get("DataLocationS3", "")
            draft.rearrangement = original.get("DataRearrangement", "")
            draft.name = f"{original.get('Name') or original_id} (edited schema)"
            if original.get("DataSourceSchema"):
                draft.adopt(json.loads(original["DataSourceSchema"]))
        return render_form(request, visit, draft)

    async def create(request: Request, visit: Visit) -> Response:
        draft = SchemaDraft(visit.field("data_source_id"))
        try:
            draft = SchemaDraft.from_form(visit)
            if visit.field("action") == "preview":
                inferred = await gateway.extension_json(
                    "POST",
                    "/datasources/schema-inference",
                    visit.caller,
                    path={},
                    body={"DataLocationS3": draft.location, **draft.hints()},
                )
                draft.adopt(json.loads(inferred["DataSchema"]))
                return render_form(request, visit, draft)
            await gateway.call("CreateDataSourceFromS3", create_params(draft), visit.caller)
        except FormError as error:
            return render_form(request, visit, draft, message=str(error), status=400)
        except OpenAMLError as error:
            return render_form(request, visit, draft, message=error.message, status=error.status)
        return console.redirect(
            request,
            f"{BASE}/datasources/{draft.data_source_id}",
            flash=f"Datasource {draft.data_source_id} is being created: the server is reading its data.",
        )

    return [
        Route(BASE + "/datasources/new", console.page(new), methods=["GET"]),
        Route(BASE + "/datasources/new", console.page(create), methods=["POST"]),
        Route(BASE + "/datasources/{id}", console.page(show), methods=["GET"]),
    ]
