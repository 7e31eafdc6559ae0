"""MLModels: checking a CreateMLModel request, and the training job (AutoML or Amazon ML's SGD mode).

Mode: a model trains with the AutoML engine unless its ``Parameters`` say ``openaml.algorithms=sgd``
or the request carries a ``Recipe``/``RecipeUri`` — recipes define SGD features exactly as Amazon ML
did, so asking for one asks for Amazon ML's model. ``sgd.*`` parameters are validated (and echoed)
either way.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from openaml.domain import data_sources, model_groups, model_updates
from openaml.domain.cluster import automl_cluster
from openaml.domain.context import ServiceContext
from openaml.domain.job_template import Dependency, Outcome, StartedJob, run_job
from openaml.domain.model_files import leaderboard_uri as leaderboard_uri
from openaml.domain.model_files import model_directory as model_directory
from openaml.domain.records import SGD_MODE, DataSourceSpec, IngestOutcome, TrainingRequest
from openaml.domain.resources import create_resource, get_usable_resource, inherited_tags, read_text_at
from openaml.engine.automl import TrainingProgress, train_automl
from openaml.engine.automl.lineage import check_compatible_schema
from openaml.engine.automl.parameters import AutoMLParameters
from openaml.engine.automl.table import TrainingTable
from openaml.engine.automl.validation import check_validation_attributes
from openaml.engine.data.schema import AttributeType, DataSchema
from openaml.engine.models import ModelType, TrainingCancelled, save_model
from openaml.engine.recipes import parse_recipe
from openaml.engine.sgd import train_sgd_model
from openaml.entities import Caller, EntityStatus, Job, Resource, ResourceKind
from openaml.errors import InternalServerException, InvalidInputException, LimitExceededException
from openaml.jobs.worker import JobCancelled, JobContext
from openaml.progress import JobProgress

TRAIN_JOB = "train_ml_model"
KIND = ResourceKind.ML_MODEL
#: The extra ``TrainingParameters`` entry (and Predict ``details`` key) that names the model a COMPLETED
#: MLModel really is, since the API's ``Algorithm`` enum only knows ``sgd`` (see :func:`true_algorithm`).
TRUE_ALGORITHM_KEY = "openaml.algorithm"

#: The target attribute type each model type needs.
TARGET_TYPES = {
    ModelType.BINARY: AttributeType.BINARY,
    ModelType.MULTICLASS: AttributeType.CATEGORICAL,
    ModelType.REGRESSION: AttributeType.NUMERIC,
}


def true_algorithm(details: Mapping[str, Any]) -> str | None:
    """What a trained model really is: ``sgd`` for Amazon ML's model, else ``automl:`` and the families of
    its ensemble members joined by ``+`` (``automl:lightgbm+mlp``; one family: ``automl:lightgbm``).

    ``None`` until the model is trained. Derived from the ``RealAlgorithm`` the training job stores
    (``lightgbm`` or ``ensemble(lightgbm, mlp)``), so models trained before this key existed get it too.
    """
    real = details.get("RealAlgorithm")
    if not real:
        return None
    if details.get("Mode") == SGD_MODE:
        return SGD_MODE
    families = str(real).removeprefix("ensemble(").removesuffix(")").split(",")
    return "automl:" + "+".join(family.strip() for family in families)


def check_schema_fits(
    schema: DataSchema,
    model_type: ModelType,
    data_source_id: str,
    statistics: Mapping[str, Any] | None,
    max_classes: int,
) -> None:
    """The datasource has a target of the type ``model_type`` needs (and not too many classes)."""
    target = schema.target_attribute_name
    if target is None:
        raise InvalidInputException(
            f"DataSource {data_source_id} has no target attribute; create it with a DataSchema that names "
            "targetAttributeName."
        )
    target_type = schema.attribute(target).type
    needed = TARGET_TYPES[model_type]
    if target_type is not needed:
        raise InvalidInputException(
            f"A {model_type.value} model needs a {needed.value} target, but {target!r} of DataSource "
            f"{data_source_id} is {target_type.value}. Choose MLModelType "
            f"{next(t.value for t, a in TARGET_TYPES.items() if a is target_type)} or declare the target "
            f"{needed.value} in the DataSchema."
        )
    if model_type is ModelType.MULTICLASS and statistics is not None:
        distinct = (statistics.get("target") or {}).get("distribution") or []
        if len(distinct) > max_classes:
            raise LimitExceededException(
                f"The target {target!r} has {len(distinct)} classes; at most {max_classes} are allowed "
                "(setting OPENAML_MAX_CLASSES)."
            )


def _valid_records(data_source: Resource) -> int:
    """The datasource's valid records as its ingest counted them (0 when unknown)."""
    return int(data_source.details.get("ValidRecords") or 0)


def _read_recipe(ctx: ServiceContext, request: TrainingRequest) -> TrainingRequest:
    """``request`` with the recipe at ``recipe_location`` read (once: at request time)."""
    if request.recipe_text is not None or not request.recipe_location:
        return request
    text = read_text_at(ctx, request.recipe_location, "recipe")
    return dataclasses.replace(request, recipe_text=text)


def create_ml_model(
    ctx: ServiceContext, caller: Caller, *, ml_model_id: str, name: str | None, request: TrainingRequest
) -> Resource:
    """Check the request against its datasource (when that is COMPLETED) and create the model.

    ``request`` arrives with its ``Parameters`` parsed (which refused bad ones); the recipe given at
    a location is read here, once.
    """
    model_type = request.model_type
    data_source_id = request.training_data_source_id
    data_source = get_usable_resource(ctx, ResourceKind.DATA_SOURCE, data_source_id, "Training DataSource")
    if not DataSourceSpec.from_json(data_source.request).compute_statistics:
        raise InvalidInputException(
            f"DataSource {data_source_id} was created without ComputeStatistics=true, which training needs."
        )
    request = _read_recipe(ctx, request)
    schema = None
    if data_source.status is EntityStatus.COMPLETED:
        schema = IngestOutcome.from_details(data_source.details).schema
    request = model_updates.prepare_update(ctx, request, schema, data_source_id)
    if schema is not None:
        check_schema_fits(
            schema,
            model_type,
            data_source_id,
            data_sources.load_statistics(ctx, data_source),
            ctx.settings.max_classes,
        )
        if request.recipe_text is not None:
            parse_recipe(request.recipe_text, schema)
        settings = request.algorithm_parameters
        if isinstance(settings, AutoMLParameters):
            check_validation_attributes(schema, settings.group_attribute, settings.time_attribute)
    version = model_groups.new_version(
        ctx, ml_model_id=ml_model_id, parameters=request.parameters, created_by=caller.access_key_id
    )
    try:
        return _create(ctx, caller, ml_model_id, name, request, data_source, version)
    except InternalServerException:
        if version is None or ctx.model_groups.version(version.group_id, version.version) is None:
            raise
        raise InvalidInputException(
            f"Version {version.version} of model group {version.group_id} was taken by another request "
            "meanwhile; repeat the request (with the next version's name if you named it <group>.v<N>)."
        ) from None


def _create(
    ctx: ServiceContext,
    caller: Caller,
    ml_model_id: str,
    name: str | None,
    request: TrainingRequest,
    data_source: Resource,
    version: model_groups.NewVersion | None,
) -> Resource:
    model_type, data_source_id = request.model_type, data_source.id
    return create_resource(
        ctx,
        kind=KIND,
        resource_id=ml_model_id,
        name=name,
        request=request,
        created_by=caller.user_arn,
        job_type=TRAIN_JOB,
        also=version.writer if version is not None else None,
        links={
            "data_uri": data_source.data_uri,
            "data_source_id": data_source_id,
            "ml_model_type": model_type.value,
            "algorithm": SGD_MODE,
            "endpoint_status": "NONE",
        },
        tags=inherited_tags(ctx, [(ResourceKind.DATA_SOURCE, data_source_id)]),
    )


def run_training_job(ctx: ServiceContext, job: Job, context: JobContext) -> None:
    """Read the training data, train (AutoML or SGD), store the artifact, complete the model."""

    def dependencies(model: Resource) -> list[Dependency]:
        request = TrainingRequest.from_json(model.request)
        return [Dependency(ResourceKind.DATA_SOURCE, request.training_data_source_id, "Training DataSource")]

    run_job(
        ctx,
        job,
        context,
        kind=KIND,
        label="model",
        activity="training",
        start="Reading the training data",
        dependencies=dependencies,
        stopped=(TrainingCancelled, JobCancelled),
        work=lambda started: _train(ctx, started),
    )


def training_progress(update: TrainingProgress | str) -> JobProgress:
    """A training engine's report as the model's progress (``"Training: search: 12 s of 60 s, ..."``)."""
    if isinstance(update, str):
        return JobProgress("Training", detail=update)
    return JobProgress(
        "Training",
        step=update.phase,
        budget_seconds_used=update.elapsed_seconds,
        budget_seconds=update.budget_seconds,
        candidates_tried=update.trials_done,
        metric=update.metric_name,
        best_score=update.best_score,
        best_family=update.best_family,
    )


def _train(ctx: ServiceContext, started: StartedJob) -> Outcome:
    model, (data_source,) = started.resource, started.dependencies
    request = TrainingRequest.from_json(model.request)
    model_type = request.model_type
    data = data_sources.open_input(ctx, data_source)
    schema = data.schema
    statistics = data_sources.load_statistics(ctx, data_source)
    check_schema_fits(schema, model_type, data_source.id, statistics, ctx.settings.max_classes)
    request = _read_recipe(ctx, request)  # rows stored before recipes were read at request time
    parent = model_updates.parent_of(ctx, request)
    if parent is not None:
        check_compatible_schema(model_updates.parent_schema(parent), schema, parent.id, data_source.id)
    automl = (
        request.algorithm_parameters if isinstance(request.algorithm_parameters, AutoMLParameters) else None
    )
    training: TrainingTable | None = None
    frame = None
    if automl is not None and parent is None:  # the memory-lean path: a compact table, taken over
        training = TrainingTable(
            data_sources.read_input_table(
                ctx,
                data,
                require_target=True,
                float32=_valid_records(data_source) > automl.search_row_limit,
                should_stop=started.should_stop,
            )
        )
        records = training.num_rows
    else:
        frame = data_sources.read_input_frame(ctx, data, require_target=True, should_stop=started.should_stop)
        records = len(frame)
    started.check_cancelled()

    def progress(update: TrainingProgress | str) -> None:
        started.progress(training_progress(update))

    members: dict[str, Any] = {}
    details: dict[str, Any] = {
        "TrainingParameters": dict(request.effective_parameters),
        "Mode": request.mode,
        "TrainingRecords": records,
    }
    if not isinstance(request.algorithm_parameters, AutoMLParameters):
        assert frame is not None, "SGD models train on a typed frame"
        sgd_model = train_sgd_model(
            frame,
            schema,
            model_type,
            request.parameters,
            recipe_text=request.recipe_text,
            statistics=statistics,
            seed=request.seed,
            should_stop=started.should_stop,
            progress=progress,
        )
        trained: Any = sgd_model
        details |= {"Recipe": sgd_model.recipe_text, "RealAlgorithm": "sgd", "Leaderboard": None}
        summary = f"Trained Amazon ML's SGD model on {records:,} records."
        log_lines = [f"SGD: {sgd_model.training}", f"model size: {sgd_model.size}"]
    else:
        with automl_cluster(ctx, started.job.id) as cluster:
            if training is not None:
                result = train_automl(
                    training,
                    schema,
                    model_type,
                    request.algorithm_parameters,
                    progress=progress,
                    should_stop=started.should_stop,
                    cluster=cluster,
                )
            else:
                assert frame is not None and parent is not None, "updates of a parent train on a frame"
                result = model_updates.train_from_parent(
                    ctx,
                    parent,
                    request,
                    frame,
                    schema,
                    progress=progress,
                    should_stop=started.should_stop,
                    cluster=cluster,
                )
        trained = result.model
        members = model_updates.members_metadata(result.members)
        ctx.objects.server_files.write_bytes(
            leaderboard_uri(ctx, model.id),
            json.dumps(
                {
                    "metric": result.metric_name,
                    "validation": result.validation,
                    "validationScore": result.validation_score,
                    "trainingRows": result.training_rows,
                    "searchRows": result.search_rows,
                    "timings": result.timings.to_dict(),
                    "candidates": result.leaderboard,
                    "warnings": list(result.warnings),
                    "splitCheck": result.split_check,
                    "ensemble": result.ensemble,
                    **_lineage(request),
                }
            ).encode("utf-8"),
        )
        details |= {
            "RealAlgorithm": trained.algorithm,
            "Leaderboard": True,
            "ValidationMetric": result.metric_name,
            "ValidationScore": result.validation_score,
        }
        log_lines = [f"candidate {entry}" for entry in result.leaderboard[:20]]
        summary = f"Trained {trained.algorithm} on {records:,} records: " + (
            f"validation {result.metric_name} {result.validation_score:.4f} ({result.validation})."
            if result.validation_score is not None
            else f"{result.validation}."
        )
    started.check_cancelled()
    size = save_model(
        trained,
        model_directory(ctx, model.id),
        {
            "mlModelId": model.id,
            "mlModelType": model_type.value,
            "schema": json.loads(schema.to_json()),
            "trainingDataSourceId": data_source.id,
            "trainingParameters": dict(request.effective_parameters),
            "mode": request.mode,
            **members,
            **_lineage(request),
        },
    )
    details |= {"SizeInBytes": size, "Schema": schema.to_json(), "TrainingSeconds": started.seconds_elapsed()}
    if model_type is ModelType.BINARY:
        details["ScoreThreshold"] = 0.5
    return Outcome(
        details=details,
        message=summary,
        log_lines=[
            summary,
            f"mode: {request.mode}; parameters: {json.dumps(request.effective_parameters, sort_keys=True)}",
            f"model size: {size:,} bytes; wall time {details['TrainingSeconds']:.1f} s",
            *log_lines,
        ],
    )


def _lineage(request: TrainingRequest) -> dict[str, str]:
    """``parentMLModelId`` and ``updateMode`` of a model trained from a parent (for its leaderboard and
    manifest); nothing for others."""
    effective = request.effective_parameters
    if request.update is None or model_updates.PARENT_KEY not in effective:
        return {}
    return {
        "parentMLModelId": effective[model_updates.PARENT_KEY],
        "updateMode": effective[model_updates.UPDATE_MODE_KEY],
    }
