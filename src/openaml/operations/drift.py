"""Extension routes of prediction capture and drift reports (docs/insight.md).

* ``PUT /openaml/v1/mlmodels/{MLModelId}/capture`` ``{"CaptureRate": 0.1}``: the share of real-time
  records captured (0 = off); ``GET`` the same path answers the current rate and the capture files.
* ``POST /openaml/v1/driftreports`` ``{"DriftReportId"?, "DriftReportName"?, "Baseline": {"MLModelId"
  | "DataSourceId"}, "Current": {"DataSourceId"} | {"MLModelId", "From"?, "To"?}, "Thresholds"?}``:
  starts a report (a job); ``From``/``To`` are epoch seconds or ISO 8601 times.
* ``GET /openaml/v1/driftreports/{DriftReportId}``: the report's status and, once COMPLETED, the
  report (per attribute method, score, threshold, drifted; the drifted share; prediction drift).
* ``GET /openaml/v1/driftreports[?MLModelId=...]``: the reports, newest first.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from openaml.domain import captures, drift_reports, resources
from openaml.domain.context import ServiceContext
from openaml.domain.records import DriftReportRequest, TrainingRequest
from openaml.entities import Caller, EntityStatus, Resource, ResourceKind, ResourceQuery
from openaml.errors import InvalidInputException, ResourceNotFoundException
from openaml.operations.extensions import ExtensionRequest, RawContent
from openaml.operations.wire import epoch

KIND = ResourceKind.DRIFT_REPORT
MAX_ID_LENGTH = 64
MAX_LISTED = 100


def _body(request: ExtensionRequest) -> Mapping[str, Any]:
    if not isinstance(request.body, dict):
        raise InvalidInputException("The body must be a JSON object.")
    return request.body


def put_capture(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``PUT /openaml/v1/mlmodels/{MLModelId}/capture``: set the capture rate (0–1)."""
    body = _body(request)
    if "CaptureRate" not in body:
        raise InvalidInputException('The body must be {"CaptureRate": <number between 0 and 1>}.')
    rate = captures.parse_rate(body["CaptureRate"])
    model_id = request.path["MLModelId"]
    captures.set_capture_rate(ctx, model_id, rate)
    return {"MLModelId": model_id, "CaptureRate": rate}


def get_capture(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/mlmodels/{MLModelId}/capture``: the rate and what is stored."""
    model = resources.get_resource(ctx, ResourceKind.ML_MODEL, request.path["MLModelId"])
    files = captures.list_capture_files(ctx, model.id)
    try:
        rate = captures.capture_rate_of(TrainingRequest.from_json(model.request).parameters, model.details)
    except InvalidInputException:
        rate = 0.0
    return {
        "MLModelId": model.id,
        "CaptureRate": rate,
        "Files": len(files),
        "Bytes": sum(f.size for f in files),
        "MaxBytes": ctx.settings.capture_max_bytes_per_model,
    }


def _time(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=datetime.UTC)
            return parsed.timestamp()
    raise InvalidInputException(f"{name} must be epoch seconds or an ISO 8601 time; got {value!r}.")


def _side(body: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    side = body.get(name)
    if not isinstance(side, dict) or not any(side.get(key) for key in allowed):
        raise InvalidInputException(f"{name} must be an object with {' or '.join(allowed)}.")
    unknown = sorted(set(side) - {*allowed, "From", "To"})
    if unknown:
        raise InvalidInputException(f"{name} has an unknown member {unknown[0]!r}.")
    for key in allowed:
        if key in side and not isinstance(side[key], str):
            raise InvalidInputException(f"{name}.{key} must be a string.")
    return side


def create_drift_report(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``POST /openaml/v1/driftreports``: check the request and start the report's job."""
    body = _body(request)
    baseline = _side(body, "Baseline", ("MLModelId", "DataSourceId"))
    current = _side(body, "Current", ("DataSourceId", "MLModelId"))
    report_id = body.get("DriftReportId") or drift_reports.new_report_id()
    if (
        not isinstance(report_id, str)
        or not report_id.replace("-", "").replace("_", "").replace(".", "").isalnum()
    ):
        raise InvalidInputException("DriftReportId must be letters, digits, '-', '_' or '.'.")
    if len(report_id) > MAX_ID_LENGTH:
        raise InvalidInputException(f"DriftReportId must be at most {MAX_ID_LENGTH} characters.")
    name = body.get("DriftReportName")
    if name is not None and not isinstance(name, str):
        raise InvalidInputException("DriftReportName must be a string.")
    thresholds = body.get("Thresholds") or {}
    if not isinstance(thresholds, dict):
        raise InvalidInputException("Thresholds must be an object.")
    spec = DriftReportRequest(
        baseline_ml_model_id=baseline.get("MLModelId"),
        baseline_data_source_id=baseline.get("DataSourceId"),
        current_data_source_id=current.get("DataSourceId"),
        current_ml_model_id=None if current.get("DataSourceId") else current.get("MLModelId"),
        start=_time(current.get("From"), "Current.From"),
        end=_time(current.get("To"), "Current.To"),
        thresholds=drift_reports.check_thresholds(thresholds),
    )
    report = drift_reports.create_drift_report(ctx, caller, report_id=report_id, name=name, request=spec)
    return {"DriftReportId": report.id}


def _shape(resource: Resource) -> dict[str, Any]:
    request = DriftReportRequest.from_json(resource.request)
    shape = {
        "DriftReportId": resource.id,
        "Name": resource.name,
        "Status": resource.status.value,
        "Message": resource.message,
        "CreatedAt": epoch(resource.created_at),
        "FinishedAt": epoch(resource.finished_at),
        "MLModelId": resource.ml_model_id,
        "Baseline": {
            "MLModelId": request.baseline_ml_model_id,
            "DataSourceId": request.baseline_data_source_id,
        },
        "Current": {
            "DataSourceId": request.current_data_source_id,
            "MLModelId": request.current_ml_model_id,
            "From": request.start,
            "To": request.end,
        },
        **{
            k: v
            for k, v in resource.details.items()
            if k in ("DriftedShare", "DriftedAttributes", "ComparedAttributes", "PredictionDrifted")
        },
    }
    return shape


def get_drift_report(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/driftreports/{DriftReportId}``: status, and the report once COMPLETED."""
    resource = resources.get_resource(ctx, KIND, request.path["DriftReportId"])
    shape = _shape(resource)
    if resource.status is EntityStatus.COMPLETED:
        shape["Report"] = drift_reports.load_report(ctx, resource)
    return shape


def list_drift_reports(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/driftreports``: the newest reports (``?MLModelId=`` keeps one model's)."""
    model_id = request.query.get("MLModelId")
    query = (
        ResourceQuery(KIND, column="ml_model_id", comparators={"EQ": model_id}, limit=MAX_LISTED)
        if model_id
        else ResourceQuery(KIND, descending=True, limit=MAX_LISTED)
    )
    found, _ = resources.describe_resources(ctx, query)
    found.sort(key=lambda r: r.created_at, reverse=True)
    return {"DriftReports": [_shape(r) for r in found]}


def get_drift_chart(ctx: ServiceContext, request: ExtensionRequest, caller: Caller) -> Any:
    """``GET /openaml/v1/driftreports/{DriftReportId}/charts/{chart}``: ``<attribute>.svg``."""
    resource = resources.get_resource(ctx, KIND, request.path["DriftReportId"])
    report = drift_reports.load_report(ctx, resource) if resource.status is EntityStatus.COMPLETED else None
    if report is None:
        raise ResourceNotFoundException(
            f"Drift report {resource.id} is {resource.status.value}; its charts exist once it is COMPLETED."
        )
    body, media_type = drift_reports.render_chart(report, request.path["chart"])
    return RawContent(body, media_type)


EXTENSION_ROUTES = [
    ("PUT", "/mlmodels/{MLModelId}/capture", put_capture),
    ("GET", "/mlmodels/{MLModelId}/capture", get_capture),
    ("POST", "/driftreports", create_drift_report),
    ("GET", "/driftreports", list_drift_reports),
    ("GET", "/driftreports/{DriftReportId}", get_drift_report),
    ("GET", "/driftreports/{DriftReportId}/charts/{chart}", get_drift_chart),
]
