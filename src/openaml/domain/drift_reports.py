"""Drift reports: is a current set of records (a datasource, or a model's captured real-time records)
still distributed like a baseline (a model's training datasource, or a datasource)?

``create_drift_report`` checks the resources named and writes the report resource with its job;
:func:`run_drift_job` compares the two sides' bounded record samples (:mod:`openaml.engine.drift`)
and writes ``report.json``. A datasource's sample is the one its statistics kept
(``sample.parquet``); a datasource ingested before samples were kept, or without statistics, is
read once more to make it (then kept). Captured records come from the model's capture files whose
time lies in the window.

Prediction drift, when a model is involved: the model's outputs on the baseline sample (its
predictions on the training data) against its outputs on the current set — its captured predictions,
or its predictions on the current datasource's sample. BINARY scores and REGRESSION values are
compared by PSI, MULTICLASS labels by Jensen–Shannon.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import numpy as np
import pandas as pd

from openaml.charts.render import render_drift_chart
from openaml.domain import data_sources
from openaml.domain.captures import list_capture_files
from openaml.domain.context import ServiceContext
from openaml.domain.job_template import Dependency, Outcome, StartedJob, run_job
from openaml.domain.ml_models import model_directory
from openaml.domain.records import DriftReportRequest, IngestOutcome, TrainedModelOutcome, TrainingRequest
from openaml.domain.resources import artifact_uri, create_resource, get_usable_resource
from openaml.engine.data.schema import DataSchema
from openaml.engine.drift.captures import read_captures
from openaml.engine.drift.report import PredictionSample, Thresholds, compare_frames, compare_predictions
from openaml.engine.drift.samples import recompute_sample, sample_to_parquet
from openaml.engine.models import ModelType, TrainedModel, load_model
from openaml.entities import Caller, Job, Resource, ResourceKind
from openaml.errors import InvalidInputException
from openaml.jobs.worker import JobContext

log = logging.getLogger(__name__)
DRIFT_JOB = "drift_report"
KIND = ResourceKind.DRIFT_REPORT
#: Most captured records a report compares (a uniform sample of the window beyond that).
MAX_CAPTURED_ROWS = 50_000
_THRESHOLD_NAMES = {
    "psiWarning": "psi_warning",
    "psiAlert": "psi_alert",
    "jensenShannonWarning": "js_warning",
    "jensenShannonAlert": "js_alert",
}


def new_report_id() -> str:
    return "dr-" + uuid.uuid4().hex[:16]


def thresholds_of(request: DriftReportRequest) -> Thresholds:
    return Thresholds(**{_THRESHOLD_NAMES[k]: float(v) for k, v in request.thresholds.items()})


def check_thresholds(values: dict[str, Any]) -> dict[str, float]:
    """Threshold overrides by their wire names, each a number above 0; InvalidInputException otherwise."""
    checked = {}
    for name, value in values.items():
        if name not in _THRESHOLD_NAMES:
            raise InvalidInputException(
                f"Unknown threshold {name!r}; the thresholds are {', '.join(_THRESHOLD_NAMES)}."
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 100:
            raise InvalidInputException(f"Threshold {name} must be a number above 0; got {value!r}.")
        checked[name] = float(value)
    return checked


def create_drift_report(
    ctx: ServiceContext, caller: Caller, *, report_id: str, name: str | None, request: DriftReportRequest
) -> Resource:
    """Check the named resources (usable; one baseline, one current set) and create the report."""
    baselines = [x for x in (request.baseline_ml_model_id, request.baseline_data_source_id) if x]
    currents = [x for x in (request.current_data_source_id, request.current_ml_model_id) if x]
    if len(baselines) != 1 or len(currents) != 1:
        raise InvalidInputException(
            "A drift report needs one baseline (Baseline.MLModelId or Baseline.DataSourceId) and one "
            "current set (Current.DataSourceId, or Current.MLModelId for its captured predictions)."
        )
    if request.baseline_ml_model_id:
        get_usable_resource(ctx, ResourceKind.ML_MODEL, request.baseline_ml_model_id, "Baseline MLModel")
    if request.baseline_data_source_id:
        get_usable_resource(
            ctx, ResourceKind.DATA_SOURCE, request.baseline_data_source_id, "Baseline DataSource"
        )
    if request.current_data_source_id:
        get_usable_resource(
            ctx, ResourceKind.DATA_SOURCE, request.current_data_source_id, "Current DataSource"
        )
    if request.current_ml_model_id:
        get_usable_resource(ctx, ResourceKind.ML_MODEL, request.current_ml_model_id, "Current MLModel")
    if request.start is not None and request.end is not None and request.start >= request.end:
        raise InvalidInputException("Current.From must be before Current.To.")
    model_id = request.baseline_ml_model_id or request.current_ml_model_id
    return create_resource(
        ctx,
        kind=KIND,
        resource_id=report_id,
        name=name,
        request=request,
        created_by=caller.user_arn,
        job_type=DRIFT_JOB,
        links={
            "ml_model_id": model_id,
            "data_source_id": request.current_data_source_id or request.baseline_data_source_id,
        },
    )


def report_uri(ctx: ServiceContext, report_id: str) -> str:
    return artifact_uri(ctx, KIND, report_id, "report.json")


def load_report(ctx: ServiceContext, report: Resource) -> dict[str, Any] | None:
    """The report JSON of a COMPLETED drift report; None before."""
    uri = report_uri(ctx, report.id)
    if not ctx.objects.server_files.exists(uri):
        return None
    return json.loads(ctx.objects.server_files.read_bytes(uri))  # type: ignore[no-any-return]


def render_chart(report: dict[str, Any], chart: str) -> tuple[bytes, str]:
    """``<attribute>.svg``: an attribute's baseline and current distributions overlaid (``charts/``)."""
    return render_drift_chart(report, chart)


def datasource_sample(
    ctx: ServiceContext, data_source: Resource, started: StartedJob | None = None
) -> pd.DataFrame:
    """The datasource's record sample; made from its data (and kept) when it has none stored yet."""
    stored = data_sources.stored_sample(ctx, data_source)
    if stored is not None:
        return stored
    if started is not None:
        started.progress(f"Sampling datasource {data_source.id} (ingested before samples were kept)")
    data = data_sources.open_input(ctx, data_source)
    sample = recompute_sample(
        data.files, data.schema, data.rearrangement, should_stop=started.should_stop if started else None
    )
    ctx.objects.server_files.write_bytes(
        data_sources.sample_uri(ctx, data_source.id), sample_to_parquet(sample)
    )
    return sample.to_pandas()


def run_drift_job(ctx: ServiceContext, job: Job, context: JobContext) -> None:
    def dependencies(report: Resource) -> list[Dependency]:
        request = DriftReportRequest.from_json(report.request)
        needed = []
        if request.baseline_ml_model_id:
            needed.append(Dependency(ResourceKind.ML_MODEL, request.baseline_ml_model_id, "Baseline MLModel"))
        if request.baseline_data_source_id:
            needed.append(
                Dependency(ResourceKind.DATA_SOURCE, request.baseline_data_source_id, "Baseline DataSource")
            )
        if request.current_data_source_id:
            needed.append(
                Dependency(ResourceKind.DATA_SOURCE, request.current_data_source_id, "Current DataSource")
            )
        if request.current_ml_model_id and request.current_ml_model_id != request.baseline_ml_model_id:
            needed.append(Dependency(ResourceKind.ML_MODEL, request.current_ml_model_id, "Current MLModel"))
        return needed

    run_job(
        ctx,
        job,
        context,
        kind=KIND,
        label="drift report",
        activity="drift report",
        start="Reading the baseline",
        dependencies=dependencies,
        work=lambda started: _report(ctx, started),
    )


def _report(ctx: ServiceContext, started: StartedJob) -> Outcome:
    request = DriftReportRequest.from_json(started.resource.request)
    resolved = {(r.kind, r.id): r for r in started.dependencies}
    model = resolved.get(
        (ResourceKind.ML_MODEL, request.baseline_ml_model_id or request.current_ml_model_id or "")
    )
    if request.baseline_ml_model_id:
        assert model is not None
        baseline_source = get_usable_resource(
            ctx, ResourceKind.DATA_SOURCE, model.data_source_id or "", "Training DataSource"
        )
    else:
        baseline_source = resolved[(ResourceKind.DATA_SOURCE, request.baseline_data_source_id or "")]
    schema = (
        TrainedModelOutcome.from_details(model.details).schema
        if model is not None
        else IngestOutcome.from_details(baseline_source.details).schema
    )
    baseline = datasource_sample(ctx, baseline_source, started)
    started.check_cancelled()
    started.progress("Reading the current records")
    captured: PredictionSample | None = None
    if request.current_data_source_id:
        current_source = resolved[(ResourceKind.DATA_SOURCE, request.current_data_source_id)]
        current = datasource_sample(ctx, current_source, started)
        current_description: dict[str, Any] = {"dataSourceId": current_source.id}
    else:
        assert model is not None
        current, captured = _captured(ctx, model.id, schema, request)
        current_description = {"mlModelId": model.id, "captures": {"from": request.start, "to": request.end}}
        if current.empty:
            raise InvalidInputException(
                f"MLModel {model.id} has no captured predictions in the window; set its capture rate "
                "(openaml.captureRate) and send Predict calls first."
            )
    started.check_cancelled()
    started.progress("Comparing the distributions")
    thresholds = thresholds_of(request)
    comparison = compare_frames(schema, baseline, current, thresholds)
    prediction = None
    if model is not None:
        prediction = _prediction_drift(ctx, model, baseline, current, captured, thresholds)
    report = {
        "version": 1,
        "driftReportId": started.resource.id,
        "createdAt": time.time(),
        "baseline": {"dataSourceId": baseline_source.id, "mlModelId": request.baseline_ml_model_id},
        "current": current_description,
        **comparison,
        "predictionDrift": prediction,
    }
    ctx.objects.server_files.write_bytes(
        report_uri(ctx, started.resource.id), json.dumps(report).encode("utf-8")
    )
    drifted = [a["name"] for a in comparison["attributes"] if a["drifted"] and a["role"] == "input"]
    message = (
        f"{comparison['driftedAttributes']} of {comparison['comparedAttributes']} input attributes drifted"
        + (f": {', '.join(drifted[:10])}{' ...' if len(drifted) > 10 else ''}." if drifted else ".")
    )
    if prediction is not None and prediction["score"] is not None:
        message += f" Prediction drift {prediction['method']} {prediction['score']:.3f}" + (
            " (drifted)." if prediction["drifted"] else "."
        )
    return Outcome(
        details={
            "DriftedShare": comparison["driftedShare"],
            "DriftedAttributes": comparison["driftedAttributes"],
            "ComparedAttributes": comparison["comparedAttributes"],
            "PredictionDrifted": None if prediction is None else prediction["drifted"],
        },
        message=message,
        log_lines=[message],
    )


def _captured(
    ctx: ServiceContext, model_id: str, schema: DataSchema, request: DriftReportRequest
) -> tuple[pd.DataFrame, PredictionSample]:
    first_day = time.strftime("%Y-%m-%d", time.gmtime(request.start)) if request.start is not None else ""
    last_day = time.strftime("%Y-%m-%d", time.gmtime(request.end)) if request.end is not None else "9999"
    files = [
        ctx.objects.server_files.read_bytes(f.uri)
        for f in list_capture_files(ctx, model_id)
        if first_day <= _partition_day(f.uri) <= last_day
    ]
    return read_captures(files, schema, request.start, request.end, MAX_CAPTURED_ROWS)


def _partition_day(uri: str) -> str:
    for segment in uri.split("/"):
        if segment.startswith("date="):
            return segment[len("date=") :]
    return ""


def _outputs(
    trained: TrainedModel, model_type: ModelType, frame: pd.DataFrame, threshold: float
) -> PredictionSample:
    if frame.empty:
        return PredictionSample(np.empty(0), [])
    scores = trained.predict_scores(frame)
    if model_type is ModelType.MULTICLASS:
        classes = list(trained.classes or ())
        return PredictionSample(None, [classes[i] for i in np.argmax(scores, axis=1)])
    if model_type is ModelType.BINARY:
        return PredictionSample(scores, ["1" if s >= threshold else "0" for s in scores])
    return PredictionSample(scores, None)


def _prediction_drift(
    ctx: ServiceContext,
    model: Resource,
    baseline: pd.DataFrame,
    current: pd.DataFrame,
    captured: PredictionSample | None,
    thresholds: Thresholds,
) -> dict[str, Any]:
    trained, _ = load_model(model_directory(ctx, model.id))
    model_type = TrainingRequest.from_json(model.request).model_type
    threshold = TrainedModelOutcome.from_details(model.details).score_threshold
    base = _outputs(trained, model_type, baseline, threshold)
    cur = captured if captured is not None else _outputs(trained, model_type, current, threshold)
    return compare_predictions(
        model_type,
        base,
        cur,
        thresholds,
        source={
            "baseline": "the model's predictions on the training datasource's record sample",
            "current": "captured real-time predictions"
            if captured is not None
            else "the model's predictions on the current datasource's record sample",
        },
    )
