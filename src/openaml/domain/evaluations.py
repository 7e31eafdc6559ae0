"""Evaluations: scoring a labelled datasource with a model, metrics, the detailed report and alerts.

A model or datasource that is still PENDING/INPROGRESS is waited for; DELETED or FAILED ones are
refused at request time (or fail the job when they fail meanwhile). The evaluation data is read with
the *training* types of the attributes both schemas share (Amazon ML: "the training type wins").
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from openaml.domain import data_sources
from openaml.domain.context import ServiceContext
from openaml.domain.job_template import Dependency, Outcome, StartedJob, run_job
from openaml.domain.ml_models import model_directory
from openaml.domain.records import (
    DataSourceSpec,
    EvaluationRequest,
    IngestOutcome,
    TrainedModelOutcome,
    TrainingRequest,
)
from openaml.domain.resources import artifact_uri, create_resource, get_usable_resource, inherited_tags
from openaml.engine.data.schema import Attribute, DataSchema
from openaml.engine.drift.report import compare_frames
from openaml.engine.evaluation.alerts import DatasourceFacts, evaluation_alerts, schema_differences
from openaml.engine.evaluation.distribution import target_distribution_from_statistics
from openaml.engine.evaluation.evaluate import evaluate
from openaml.engine.evaluation.streaming import sample_positions, score_frames
from openaml.engine.models import ModelType, load_model
from openaml.entities import Caller, EntityStatus, Job, Resource, ResourceKind
from openaml.errors import InvalidInputException
from openaml.jobs.worker import JobContext

EVALUATE_JOB = "evaluate_ml_model"
#: Most evaluation records the drift alert compares with the training datasource's sample.
EVALUATION_DRIFT_ROWS = 50_000
#: Above this many valid records (the datasource's ingest count) the evaluation data is scored frame by
#: frame (:mod:`openaml.engine.evaluation.streaming`) rather than read as one frame, when the job
#: worker reads it itself (not on a Dask cluster).
STREAMED_EVALUATION_RECORDS = 1_000_000
KIND = ResourceKind.EVALUATION
HEADLINE = {
    ModelType.BINARY: "BinaryAUC",
    ModelType.MULTICLASS: "MulticlassAvgFScore",
    ModelType.REGRESSION: "RegressionRMSE",
}


def report_uri(ctx: ServiceContext, evaluation_id: str) -> str:
    return artifact_uri(ctx, KIND, evaluation_id, "report.json")


def render_chart(report: Mapping[str, Any], chart: str, title: str = "") -> tuple[bytes, str]:
    """A report's chart file (``roc-curve.svg``, ``summary.png``...) as (body, media type).

    The pictures are drawn by :mod:`openaml.charts`, one renderer per format.
    """
    from openaml.charts.render import render_chart as draw

    return draw(report, chart, title)


def check_compatible(model: Resource, data_source: Resource) -> None:
    """Refuse an evaluation datasource that lacks the target or attributes the model needs."""
    training_schema = TrainedModelOutcome.from_details(model.details).schema
    differences = schema_differences(training_schema, IngestOutcome.from_details(data_source.details).schema)
    missing = list(differences.missing_attributes)
    if differences.missing_target:
        missing.append(str(training_schema.target_attribute_name))
    if missing:
        raise InvalidInputException(
            f"DataSource {data_source.id} cannot evaluate MLModel {model.id}: its schema lacks "
            f"{', '.join(repr(name) for name in missing[:10])}"
            + (" and more" if len(missing) > 10 else "")
            + "."
        )


def create_evaluation(
    ctx: ServiceContext, caller: Caller, *, evaluation_id: str, name: str | None, request: EvaluationRequest
) -> Resource:
    model = get_usable_resource(ctx, ResourceKind.ML_MODEL, request.ml_model_id, "MLModel")
    data_source = get_usable_resource(
        ctx, ResourceKind.DATA_SOURCE, request.data_source_id, "Evaluation DataSource"
    )
    if model.status is EntityStatus.COMPLETED and data_source.status is EntityStatus.COMPLETED:
        check_compatible(model, data_source)
    return create_resource(
        ctx,
        kind=KIND,
        resource_id=evaluation_id,
        name=name,
        request=EvaluationRequest(model.id, data_source.id),
        created_by=caller.user_arn,
        job_type=EVALUATE_JOB,
        links={"ml_model_id": model.id, "data_source_id": data_source.id, "data_uri": data_source.data_uri},
        tags=inherited_tags(
            ctx, [(ResourceKind.DATA_SOURCE, data_source.id), (ResourceKind.ML_MODEL, model.id)]
        ),
    )


def reading_schema(training: DataSchema, evaluation: DataSchema) -> DataSchema:
    """The evaluation file's columns, typed as in training where training knows them, with its target."""
    types = {a.name: a.type for a in training.attributes}
    attributes = tuple(Attribute(a.name, types.get(a.name, a.type)) for a in evaluation.attributes)
    return dataclasses.replace(
        evaluation, attributes=attributes, target_attribute_name=training.target_attribute_name
    )


def _facts(
    ctx: ServiceContext,
    data_source: Resource,
    schema: DataSchema,
    valid_records: int | None,
    invalid_records: int,
) -> DatasourceFacts:
    statistics = data_sources.load_statistics(ctx, data_source)
    return DatasourceFacts(
        datasource_id=data_source.id,
        location=data_source.data_uri,
        rearrangement=DataSourceSpec.from_json(data_source.request).rearrangement_text,
        valid_records=valid_records,
        invalid_records=invalid_records,
        schema=schema,
        target=target_distribution_from_statistics(statistics) if statistics else None,
    )


def _baselines(statistics: Mapping[str, Any] | None) -> tuple[str | None, float | None]:
    """The training target's majority class and mean, for the baselines Amazon ML showed."""
    target = (statistics or {}).get("target") or {}
    distribution = target.get("distribution") or []
    majority = max(distribution, key=lambda entry: entry["count"])["value"] if distribution else None
    mean = (target.get("numeric") or {}).get("mean")
    return (str(majority) if majority is not None else None), (float(mean) if mean is not None else None)


def run_evaluation_job(ctx: ServiceContext, job: Job, context: JobContext) -> None:
    def dependencies(evaluation: Resource) -> list[Dependency]:
        request = EvaluationRequest.from_json(evaluation.request)
        return [
            Dependency(ResourceKind.ML_MODEL, request.ml_model_id, "MLModel"),
            Dependency(ResourceKind.DATA_SOURCE, request.data_source_id, "Evaluation DataSource"),
        ]

    run_job(
        ctx,
        job,
        context,
        kind=KIND,
        label="evaluation",
        activity="evaluation",
        start="Scoring the evaluation data",
        dependencies=dependencies,
        work=lambda started: _evaluate(ctx, started),
    )


def _evaluate(ctx: ServiceContext, started: StartedJob) -> Outcome:
    model, data_source = started.dependencies
    check_compatible(model, data_source)
    trained_outcome = TrainedModelOutcome.from_details(model.details)
    training_schema = trained_outcome.schema
    data = data_sources.open_input(ctx, data_source)
    evaluation_schema = data.schema
    schema = reading_schema(training_schema, evaluation_schema)
    data = dataclasses.replace(data, schema=schema)
    target = training_schema.target_attribute_name
    assert target is not None
    expected = int(data_source.details.get("ValidRecords") or 0)
    if expected > STREAMED_EVALUATION_RECORDS and not data_sources.reads_on_cluster(ctx):
        trained, _ = load_model(model_directory(ctx, model.id))
        scored = score_frames(
            trained,
            data_sources.iter_input_frames(
                data, require_target=True, check_cancelled=started.check_cancelled
            ),
            target,
            sample_positions(expected, EVALUATION_DRIFT_ROWS),
        )
        targets, scores, records, frame = scored.targets, scored.scores, scored.records, scored.sample
    else:
        frame = data_sources.read_input_frame(ctx, data, require_target=True, should_stop=started.should_stop)
        started.check_cancelled()
        trained, _ = load_model(model_directory(ctx, model.id))
        scores = trained.predict_scores(frame) if len(frame) else np.empty((0,))
        targets, records = frame[target].to_numpy(), len(frame)
    model_type = TrainingRequest.from_json(model.request).model_type
    training = ctx.resources.get(ResourceKind.DATA_SOURCE, model.data_source_id or "")
    majority, mean = _baselines(data_sources.load_statistics(ctx, training) if training else None)
    result = evaluate(
        model_type,
        targets,
        scores,
        classes=trained.classes,
        score_threshold=trained_outcome.score_threshold,
        majority_class=majority,
        target_mean=mean,
    )
    rejected = int(data_source.details.get("InvalidRecords", 0)) + (
        int(data_source.details.get("ValidRecords", records)) - records
    )
    alerts = evaluation_alerts(
        _facts(ctx, training, training_schema, int(training.details.get("ValidRecords", 0)), 0)
        if training
        else DatasourceFacts(model.data_source_id or ""),
        _facts(ctx, data_source, evaluation_schema, records, rejected),
        drift=_drift(ctx, training, training_schema, frame),
    )
    report = {
        **result.report,
        "alerts": alerts,
        "mlModelId": model.id,
        "evaluationDataSourceId": data_source.id,
    }
    ctx.objects.server_files.write_bytes(
        report_uri(ctx, started.resource.id), json.dumps(report).encode("utf-8")
    )
    headline = HEADLINE[model_type]
    summary = f"{headline} {_rounded(result.properties.get(headline))} on {records:,} records."
    if alerts:
        summary += " Alerts: " + " ".join(alert["message"] for alert in alerts)
    return Outcome(
        details={"PerformanceMetrics": result.properties, "Alerts": alerts, "Records": records},
        message=summary,
        log_lines=[summary, *(f"{k}: {v}" for k, v in sorted(result.properties.items()))],
    )


def _drift(
    ctx: ServiceContext, training: Resource | None, schema: DataSchema, frame: pd.DataFrame
) -> dict[str, Any] | None:
    """The evaluation data against the training datasource's record sample; None without that sample.

    The evaluation side is a uniform sample of the records just read, as large as a statistics sample.
    """
    baseline = data_sources.stored_sample(ctx, training) if training is not None else None
    if baseline is None or frame.empty:
        return None
    current = (
        frame.sample(n=EVALUATION_DRIFT_ROWS, random_state=0) if len(frame) > EVALUATION_DRIFT_ROWS else frame
    )
    return compare_frames(schema, baseline, current)


def _rounded(value: str | None) -> str:
    """A metric for a message, to 4 decimals (``PerformanceMetrics`` keeps every digit)."""
    try:
        return f"{float(value):.4f}" if value is not None else "-"
    except ValueError:
        return str(value)
