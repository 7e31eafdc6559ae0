"""Retraining a model group on new observations: champion vs challenger on one shared holdout.

:func:`start_retrain` (the ``POST /openaml/v1/mlmodels/{id}/retrain`` route and scheduled retrains call
it) creates, at request time, every resource the retrain needs, each with its own durable job, in an
order the FIFO job queue runs them in:

1. two datasources on the data location, tagged ``openaml:modelGroup=<group>`` and visible like any
   other: ``<challenger>.train`` and ``<challenger>.holdout``. **The training set is every record at the
   location except the holdout**: under a prefix, the files the champion was trained on plus the new ones
   (new files under the prefix are the new observations), so nothing is copied. **The holdout** is
   ``time``: the newest ``percent`` % of the records in file order (files in name order, then record
   order; name files so that this is time order, e.g. ``month-2026-07.csv``), or ``random``: a seeded
   random ``percent`` % (seed: the challenger's ID). Both are Amazon ML ``DataRearrangement`` splits of
   the same location, so the two sets never overlap. **``time`` with an ``attribute``** (a date or
   numeric column, checked against the schema at request time) holds out the newest ``percent`` % by
   that column instead, whatever the file order: a rearrangement can only slice by position, so the
   two datasources are :class:`~openaml.domain.records.TimeSplitOrigin` parts whose ingest jobs find
   the cut and write their part as Parquet to ``uploads/openaml-retrain-splits/`` of the data directory
   (:mod:`openaml.engine.data.time_split`; records without a value go to training);
2. the challenger, version ``<group>.v<N>``: ``CreateMLModel`` with the champion's model type,
   parameters and recipe, plus ``openaml.parentMLModelId`` (the champion's MLModelId) and
   ``openaml.updateMode`` (how the engine trains from the parent) and any ``parameters`` given;
3. two evaluations on the holdout: ``<challenger>.eval-champion`` and ``<challenger>.eval-challenger``;
4. the comparison job (:data:`COMPARE_JOB`, on the challenger's MLModel), queued last: it waits for both
   evaluations, compares ``promotionMetric`` (default: AUC, macro-F1, RMSE by model type; lower is
   better for RMSE, MAE, median absolute error and log loss), records the comparison, points the
   ``challenger`` alias at the new version and, with ``promotion: auto``, moves ``champion`` to it when
   it wins by at least ``minImprovement`` — unless ``champion`` was moved by someone else meanwhile.

Every step is a job of the durable queue, so a retrain survives server restarts and killed workers
(a retried job picks up where its resource stands). The retrain's record (``model_retrains``) shows
where it stands; its ID is the challenger's MLModelId. The request itself only writes rows; one that
fails half-way (a database outage) leaves the resources it created, tagged with the group, and a
repeated request reuses the datasources or moves on to the next version.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from collections.abc import Mapping
from typing import Any

import pandas as pd

from openaml.domain import data_sources, evaluations, ml_models, model_groups, promotion
from openaml.domain.context import ServiceContext
from openaml.domain.records import (
    LIFECYCLE_PARAMETERS,
    DataSourceSpec,
    EvaluationRequest,
    IngestOutcome,
    TimeSplitOrigin,
    TrainingRequest,
)
from openaml.domain.resources import add_tags, get_resource, wait_until_completed
from openaml.domain.retrain_requests import RetrainRequest
from openaml.engine.data.names import unknown_column_message
from openaml.engine.data.schema import AttributeType, parse_data_schema
from openaml.engine.models import ModelType
from openaml.entities import Caller, EntityStatus, Job, ResourceKind, Tag
from openaml.errors import InvalidInputException, ResourceNotFoundException
from openaml.jobs.worker import JobCancelled, JobContext
from openaml.store.model_groups import RetrainRecord as RetrainRecord  # the operations edge shows it
from openaml.store.objects import UPLOADS_FOLDER

COMPARE_JOB = "compare_model_versions"
#: Where, under the data directory's uploads folder, a time split by a column writes its two parts.
SPLITS_FOLDER = "openaml-retrain-splits"
DEFAULT_METRICS = {
    ModelType.BINARY: "BinaryAUC",
    ModelType.MULTICLASS: "MulticlassAvgFScore",
    ModelType.REGRESSION: "RegressionRMSE",
}
METRICS = {
    ModelType.BINARY: (
        "BinaryAUC",
        "BinaryAccuracy",
        "BinaryF1Score",
        "BinaryPrecision",
        "BinaryRecall",
        "BinaryLogLoss",
    ),
    ModelType.MULTICLASS: (
        "MulticlassAvgFScore",
        "MulticlassAccuracy",
        "MulticlassMacroPrecision",
        "MulticlassMacroRecall",
        "MulticlassWeightedFScore",
        "MulticlassLogLoss",
    ),
    ModelType.REGRESSION: (
        "RegressionRMSE",
        "RegressionMAE",
        "RegressionR2",
        "RegressionMedianAbsoluteError",
    ),
}
LOWER_IS_BETTER = frozenset(
    {"RegressionRMSE", "RegressionMAE", "RegressionMedianAbsoluteError", "BinaryLogLoss", "MulticlassLogLoss"}
)
#: Statuses of a retrain.
PENDING, INPROGRESS, COMPLETED, FAILED = "PENDING", "INPROGRESS", "COMPLETED", "FAILED"


def _derived_id(base: str, suffix: str) -> str:
    """``base + suffix``, shortened with a hash when longer than an ID may be."""
    if len(base) + len(suffix) <= model_groups.MAX_ID_LENGTH:
        return base + suffix
    digest = hashlib.sha256(base.encode()).hexdigest()[:8]
    return f"{base[: model_groups.MAX_ID_LENGTH - len(suffix) - 9]}-{digest}{suffix}"


def _splits(request: RetrainRequest, seed: str) -> tuple[str, str]:
    """The ``DataRearrangement`` of the training set and of the holdout."""
    begin = 100.0 - request.holdout_percent
    training: dict[str, Any]
    holdout: dict[str, Any]
    if request.holdout_rule == "time":
        training = {"percentBegin": 0, "percentEnd": begin}
        holdout = {"percentBegin": begin, "percentEnd": 100}
    else:
        holdout = {
            "percentBegin": 0,
            "percentEnd": request.holdout_percent,
            "strategy": "random",
            "strategyParams": {"randomSeed": seed},
        }
        training = {**holdout, "complement": True}
    return json.dumps({"splitting": training}), json.dumps({"splitting": holdout})


def _data_source_specs(
    ctx: ServiceContext,
    request: RetrainRequest,
    location: str,
    schema_text: str,
    ids: Mapping[str, str],
    challenger: str,
    sample: pd.DataFrame | None,
) -> dict[str, DataSourceSpec]:
    """The training and holdout datasources' specs: ``DataRearrangement`` splits of ``location``, or,
    for a time rule by a column, the two parts of a split their ingest jobs write (module docstring)."""
    if request.holdout_attribute is None:
        split_training, split_holdout = _splits(request, challenger)
        return {
            ids["trainingDataSourceId"]: DataSourceSpec(
                compute_statistics=True,
                location=location,
                schema_text=schema_text,
                rearrangement_text=split_training,
            ),
            ids["holdoutDataSourceId"]: DataSourceSpec(
                compute_statistics=True,
                location=location,
                schema_text=schema_text,
                rearrangement_text=split_holdout,
            ),
        }
    parsed = parse_data_schema(schema_text)
    attribute = request.holdout_attribute
    kinds = {a.name: a.type for a in parsed.attributes}
    if attribute not in kinds:
        raise InvalidInputException(
            unknown_column_message("holdout attribute", attribute, parsed.names, f"a column of {location}")
        )
    if kinds[attribute] is AttributeType.BINARY:
        raise InvalidInputException(
            f"The holdout attribute {attribute!r} is BINARY; the time rule needs a date or numeric column."
        )
    if kinds[attribute] is not AttributeType.NUMERIC and sample is not None and attribute in sample:
        values = sample[attribute].dropna().astype(str).str.strip()
        values = values[values != ""]
        if len(values) and pd.to_datetime(values, errors="coerce", utc=True, format="mixed").isna().all():
            raise InvalidInputException(
                f"The holdout attribute {attribute!r} holds neither numbers nor dates (e.g. "
                f"{str(values.iloc[0])[:40]!r}); the time rule needs a date or numeric column."
            )
    files = tuple(file.uri for file in data_sources.data_files(ctx, location))
    specs = {}
    for key, part in (("trainingDataSourceId", "training"), ("holdoutDataSourceId", "holdout")):
        data_source_id = ids[key]
        specs[data_source_id] = DataSourceSpec(
            compute_statistics=True,
            location=location,
            schema_text=schema_text,
            snapshot_location=ctx.objects.data_uri(
                UPLOADS_FOLDER, SPLITS_FOLDER, f"{data_source_id}.parquet"
            ),
            time_split=TimeSplitOrigin(location, files, attribute, request.holdout_percent, part),
        )
    return specs


def start_retrain(ctx: ServiceContext, caller: Caller, group: str, request: RetrainRequest) -> RetrainRecord:
    """Start retraining ``group`` (a group ID, version name or version MLModelId) as ``request`` says.

    The plain entry point of retraining (the retrain route and scheduled retrains call it): it checks
    the request, creates the datasources, the challenger, both evaluations and the comparison job
    (module docstring), and returns the retrain's record (status PENDING; its ``id`` is the
    challenger's MLModelId). Without ``location`` or ``data_source_id`` the champion's training
    location is read again (new files under its prefix are the new observations). Raises
    ``InvalidInputException`` for a request it cannot run (nothing is created then).
    """
    group_id = model_groups.require_group(ctx, group)
    champion_number = model_groups.champion_version(ctx, group_id)
    champion = get_resource(ctx, ResourceKind.ML_MODEL, model_groups.resolve(ctx, group_id).ml_model_id)
    if champion.status is not EntityStatus.COMPLETED:
        raise InvalidInputException(f"The champion of {group_id}, {champion.id}, is {champion.status.value}.")
    training = TrainingRequest.from_json(champion.request)
    metric = request.promotion_metric or DEFAULT_METRICS[training.model_type]
    if metric not in METRICS[training.model_type]:
        raise InvalidInputException(
            f"promotionMetric {metric!r} does not apply to a {training.model_type.value} model; use one of "
            f"{', '.join(METRICS[training.model_type])}."
        )
    source = get_resource(
        ctx, ResourceKind.DATA_SOURCE, request.data_source_id or training.training_data_source_id
    )
    if source.status is not EntityStatus.COMPLETED:
        raise InvalidInputException(
            f"DataSource {source.id} is {source.status.value}; a retrain needs it COMPLETED."
        )
    source_spec = DataSourceSpec.from_json(source.request)
    if source_spec.sql is not None and request.location is None:
        raise InvalidInputException(
            f"DataSource {source.id} reads a SQL query; give a location (file or prefix) to retrain on."
        )
    location = request.location or source_spec.data_location
    schema = IngestOutcome.from_details(source.details).schema.to_json()
    number = model_groups.next_version_number(ctx, group_id)
    challenger = model_groups.version_name(group_id, number)
    if len(challenger) > model_groups.MAX_ID_LENGTH:
        raise InvalidInputException(f"The version name {challenger} would be longer than 64 characters.")
    ids = {
        "trainingDataSourceId": _derived_id(challenger, ".train"),
        "holdoutDataSourceId": _derived_id(challenger, ".holdout"),
        "championEvaluationId": _derived_id(challenger, ".eval-champion"),
        "challengerEvaluationId": _derived_id(challenger, ".eval-challenger"),
    }
    parameters = {k: v for k, v in training.parameters.items() if k not in LIFECYCLE_PARAMETERS}
    parameters |= dict(request.parameters)
    parameters |= {
        model_groups.PARENT_PARAMETER: champion.id,
        model_groups.UPDATE_MODE_PARAMETER: request.update_mode,
    }
    # Parsed now, so that bad parameters fail the request before anything is created.
    challenger_request = TrainingRequest(
        training.model_type, ids["trainingDataSourceId"], parameters, recipe=training.recipe_text
    )
    tag = [Tag(model_groups.GROUP_TAG, group_id)]
    sample = data_sources.stored_sample(ctx, source) if request.holdout_attribute is not None else None
    specs = _data_source_specs(ctx, request, location, schema, ids, challenger, sample)
    for data_source_id, role in (
        (ids["trainingDataSourceId"], "training data"),
        (ids["holdoutDataSourceId"], "holdout"),
    ):
        data_sources.create_data_source(
            ctx,
            caller,
            data_source_id=data_source_id,
            name=f"{group_id} retrain {challenger}: {role}",
            spec=specs[data_source_id],
        )
        add_tags(ctx, ResourceKind.DATA_SOURCE, data_source_id, tag)
    # The model reserves version N (atomically); the evaluations and the comparison follow it.
    ml_models.create_ml_model(
        ctx,
        caller,
        ml_model_id=challenger,
        name=f"{group_id} version {number} (retrain)",
        request=challenger_request,
    )
    now = time.time()
    record = ctx.model_groups.add_retrain(
        RetrainRecord(
            id=challenger,
            group_id=group_id,
            status=PENDING,
            created_at=now,
            updated_at=now,
            created_by=caller.access_key_id,
            spec=dataclasses.replace(request, location=location, promotion_metric=metric).to_json(),
            message="Waiting for the datasources, the challenger's training and both evaluations.",
            result={
                "championVersion": champion_number,
                "championMLModelId": champion.id,
                "challengerVersion": number,
                "challengerMLModelId": challenger,
                **ids,
            },
        )
    )
    for evaluation_id, model_id in (
        (ids["championEvaluationId"], champion.id),
        (ids["challengerEvaluationId"], challenger),
    ):
        evaluations.create_evaluation(
            ctx,
            caller,
            evaluation_id=evaluation_id,
            name=f"{group_id} retrain {challenger}: {model_id} on the holdout",
            request=EvaluationRequest(model_id, ids["holdoutDataSourceId"]),
        )
    ctx.jobs.enqueue(COMPARE_JOB, ResourceKind.ML_MODEL, challenger)
    return record


# --- the comparison job ----------------------------------------------------------------------------


def _score(ctx: ServiceContext, evaluation_id: str, metric: str) -> float | None:
    report = json.loads(ctx.objects.server_files.read_bytes(evaluations.report_uri(ctx, evaluation_id)))
    value = (report.get("metrics") or {}).get(metric)
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def compare(
    metric: str, champion: float | None, challenger: float | None, min_improvement: float
) -> dict[str, Any]:
    """The comparison a retrain records: both scores, the improvement (positive: the challenger is
    better, whichever direction the metric runs) and whether the challenger wins by ``min_improvement``."""
    higher = metric not in LOWER_IS_BETTER
    improvement = None
    if champion is not None and challenger is not None:
        improvement = challenger - champion if higher else champion - challenger
    return {
        "Metric": metric,
        "HigherIsBetter": higher,
        "ChampionScore": champion,
        "ChallengerScore": challenger,
        "Improvement": improvement,
        "MinImprovement": min_improvement,
        "ChallengerWins": improvement is not None and improvement >= min_improvement,
    }


def run_compare_job(ctx: ServiceContext, job: Job, context: JobContext) -> None:
    """Wait for both evaluations, compare, record, set ``challenger`` and promote when asked and won."""
    record = ctx.model_groups.retrain(job.resource_id)
    if record is None or record.status in (COMPLETED, FAILED):
        return
    plan = dict(record.result or {})
    ctx.model_groups.update_retrain(record.id, status=INPROGRESS)
    try:
        for key, role in (
            ("championEvaluationId", "Champion evaluation"),
            ("challengerEvaluationId", "Challenger evaluation"),
        ):
            wait_until_completed(ctx, ResourceKind.EVALUATION, plan[key], role, context)
    except InvalidInputException as exc:
        challenger = ctx.resources.get(ResourceKind.ML_MODEL, record.id)
        reason = (
            challenger.message
            if challenger is not None and challenger.status is EntityStatus.FAILED
            else None
        )
        ctx.model_groups.update_retrain(record.id, status=FAILED, message=reason or exc.message)
        return
    except JobCancelled:
        ctx.model_groups.update_retrain(
            record.id, status=FAILED, message=f"The challenger {record.id} was deleted."
        )
        raise
    request = RetrainRequest.from_json(record.spec)
    metric = str(request.promotion_metric)  # filled in when the retrain started
    comparison = compare(
        metric,
        _score(ctx, plan["championEvaluationId"], metric),
        _score(ctx, plan["challengerEvaluationId"], metric),
        request.min_improvement,
    )
    comparison |= {
        "ChampionVersion": model_groups.version_name(record.group_id, plan["championVersion"]),
        "ChallengerVersion": model_groups.version_name(record.group_id, plan["challengerVersion"]),
        "HoldoutDataSourceId": plan["holdoutDataSourceId"],
        "RetrainId": record.id,
    }
    promotion.move_alias(
        ctx,
        record.created_by,
        record.group_id,
        model_groups.CHALLENGER,
        plan["challengerVersion"],
        reason=f"retrain {record.id}: the newest challenger",
        comparison=comparison,
    )
    promoted: bool | None = None
    message = _summary(comparison)
    if request.promotion == "auto":
        promoted = False
        if comparison["ChallengerWins"]:
            change = promotion.move_alias(
                ctx,
                record.created_by,
                record.group_id,
                model_groups.CHAMPION,
                plan["challengerVersion"],
                reason=f"automatic promotion by retrain {record.id}: {message}",
                comparison=comparison,
                expected_version=plan["championVersion"],
                check_expected=True,
            )
            # A retried job finds the champion already moved by its own earlier run.
            promoted = change is not None or (
                model_groups.champion_version(ctx, record.group_id) == plan["challengerVersion"]
            )
            message += (
                " Promoted to champion." if promoted else " Not promoted: the champion was moved meanwhile."
            )
        else:
            message += " Not promoted."
    ctx.model_groups.update_retrain(
        record.id, status=COMPLETED, message=message, result={"comparison": comparison, "promoted": promoted}
    )


def _summary(comparison: Mapping[str, Any]) -> str:
    def shown(value: float | None) -> str:
        return "undefined" if value is None else f"{value:.4f}"

    return (
        f"{comparison['Metric']} on the shared holdout: champion {shown(comparison['ChampionScore'])}, "
        f"challenger {shown(comparison['ChallengerScore'])} (improvement {shown(comparison['Improvement'])}, "
        f"needed {comparison['MinImprovement']:g})."
    )


def fail_retrain(ctx: ServiceContext, retrain_id: str, message: str) -> None:
    """A comparison job that died or crashed: the retrain is FAILED (never left INPROGRESS)."""
    record = ctx.model_groups.retrain(retrain_id)
    if record is not None and record.status not in (COMPLETED, FAILED):
        ctx.model_groups.update_retrain(retrain_id, status=FAILED, message=message)


# --- reading ---------------------------------------------------------------------------------------


def get_retrain(ctx: ServiceContext, group: str, retrain_id: str) -> RetrainRecord:
    """The retrain ``retrain_id`` of the group ``group`` names, or ``ResourceNotFoundException``
    (the routes' shape of it: :func:`openaml.operations.retrains.retrain_view`)."""
    group_id = model_groups.require_group(ctx, group)
    record = ctx.model_groups.retrain(retrain_id)
    if record is None or record.group_id != group_id:
        raise ResourceNotFoundException(f"Model group {group_id} has no retrain {retrain_id}.")
    return record


def list_retrains(ctx: ServiceContext, group: str) -> tuple[str, list[RetrainRecord]]:
    """The ID of the group ``group`` names and its retrains, newest first."""
    group_id = model_groups.require_group(ctx, group)
    return group_id, ctx.model_groups.retrains(group_id)
