"""MLModels: checking a CreateMLModel request, and the training job (AutoML or Amazon ML's SGD mode).

Mode: a model trains with the AutoML engine unless its ``Parameters`` say ``openaml.algorithms=sgd``
or the request carries a ``Recipe``/``RecipeUri`` — recipes define SGD features exactly as Amazon ML
did, so asking for one asks for Amazon ML's model. ``sgd.*`` parameters are validated (and echoed)
either way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openaml.domain import data_sources
from openaml.domain.context import ServiceContext
from openaml.domain.resources import (
    artifact_uri,
    complete_resource,
    create_resource,
    fail_resource,
    get_usable_resource,
    inherited_tags,
    report_progress,
    start_resource,
    wait_until_completed,
    write_job_log,
)
from openaml.engine.automl import TrainingProgress, parse_automl_parameters, train_automl
from openaml.engine.data.errors import DataError
from openaml.engine.data.ingest import read_frame
from openaml.engine.data.rearrangement import parse_data_rearrangement
from openaml.engine.data.schema import AttributeType, DataSchema, parse_data_schema
from openaml.engine.models import ModelType, TrainingCancelled, save_model
from openaml.engine.recipes import parse_recipe
from openaml.engine.sgd import parse_sgd_parameters, train_sgd_model
from openaml.entities import Caller, EntityStatus, Job, Resource, ResourceKind
from openaml.errors import InvalidInputException, LimitExceededException
from openaml.jobs.worker import JobCancelled, JobContext

TRAIN_JOB = "train_ml_model"
KIND = ResourceKind.ML_MODEL
SGD_MODE = "sgd"
#: The extra ``TrainingParameters`` entry (and Predict ``details`` key) that names the model a COMPLETED
#: MLModel really is, since the API's ``Algorithm`` enum only knows ``sgd`` (see :func:`true_algorithm`).
TRUE_ALGORITHM_KEY = "openaml.algorithm"

#: The target attribute type each model type needs.
TARGET_TYPES = {
    ModelType.BINARY: AttributeType.BINARY,
    ModelType.MULTICLASS: AttributeType.CATEGORICAL,
    ModelType.REGRESSION: AttributeType.NUMERIC,
}


@dataclass(frozen=True)
class TrainingPlan:
    """What a request asks for, validated: the mode and the effective training parameters."""

    mode: str  # "automl" or "sgd"
    effective_parameters: dict[str, str]


def plan_training(parameters: Mapping[str, str], model_type: ModelType, has_recipe: bool) -> TrainingPlan:
    sgd = parse_sgd_parameters(parameters)
    effective = sgd.effective()
    if parameters.get("openaml.algorithms", "").strip().lower() == SGD_MODE or has_recipe:
        return TrainingPlan(SGD_MODE, effective)
    parse_automl_parameters(parameters, model_type)
    effective |= {k: v for k, v in parameters.items() if k.startswith("openaml.")}
    return TrainingPlan("automl", effective)


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


def _recipe_text(ctx: ServiceContext, params: Mapping[str, Any]) -> str | None:
    if params.get("Recipe"):
        return str(params["Recipe"])
    if params.get("RecipeUri"):
        try:
            return ctx.objects.read_bytes(params["RecipeUri"]).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInputException(f"The recipe at {params['RecipeUri']} is not UTF-8 text.") from exc
    return None


def create_ml_model(ctx: ServiceContext, caller: Caller, params: Mapping[str, Any]) -> Resource:
    model_type = ModelType(params["MLModelType"])
    data_source_id = params["TrainingDataSourceId"]
    data_source = get_usable_resource(ctx, ResourceKind.DATA_SOURCE, data_source_id, "Training DataSource")
    if not data_source.request.get("ComputeStatistics"):
        raise InvalidInputException(
            f"DataSource {data_source_id} was created without ComputeStatistics=true, which training needs."
        )
    recipe_text = _recipe_text(ctx, params)
    parameters = dict(params.get("Parameters") or {})
    plan_training(parameters, model_type, recipe_text is not None)
    if data_source.status is EntityStatus.COMPLETED:
        schema = parse_data_schema(data_source.details["DataSourceSchema"])
        check_schema_fits(
            schema,
            model_type,
            data_source_id,
            data_sources.load_statistics(ctx, data_source),
            ctx.settings.max_classes,
        )
        if recipe_text is not None:
            parse_recipe(recipe_text, schema)
    request = {
        "MLModelType": model_type.value,
        "TrainingDataSourceId": data_source_id,
        "Parameters": parameters,
        "Recipe": params.get("Recipe"),
        "RecipeUri": params.get("RecipeUri"),
    }
    return create_resource(
        ctx,
        kind=KIND,
        resource_id=params["MLModelId"],
        name=params.get("MLModelName"),
        request=request,
        created_by=caller.user_arn,
        job_type=TRAIN_JOB,
        links={
            "data_uri": data_source.data_uri,
            "data_source_id": data_source_id,
            "ml_model_type": model_type.value,
            "algorithm": SGD_MODE,
            "endpoint_status": "NONE",
        },
        tags=inherited_tags(ctx, [(ResourceKind.DATA_SOURCE, data_source_id)]),
    )


def model_directory(ctx: ServiceContext, ml_model_id: str) -> Path:
    path = ctx.objects.server_files.local_path(artifact_uri(ctx, KIND, ml_model_id, "model"))
    assert path is not None, "the data directory is local"
    return path


def leaderboard_uri(ctx: ServiceContext, ml_model_id: str) -> str:
    return artifact_uri(ctx, KIND, ml_model_id, "leaderboard.json")


def run_training_job(ctx: ServiceContext, job: Job, context: JobContext) -> None:
    """Read the training data, train (AutoML or SGD), store the artifact, complete the model."""
    model = ctx.resources.get(KIND, job.resource_id)
    if model is None or model.status not in (EntityStatus.PENDING, EntityStatus.INPROGRESS):
        return
    request = model.request
    model_type = ModelType(request["MLModelType"])
    try:
        data_source = wait_until_completed(
            ctx, ResourceKind.DATA_SOURCE, request["TrainingDataSourceId"], "Training DataSource", context
        )
        if start_resource(ctx, KIND, model.id, "Reading the training data") is None:
            return
        started_wall, started_cpu = time.monotonic(), time.process_time()
        schema = parse_data_schema(data_source.details["DataSourceSchema"])
        statistics = data_sources.load_statistics(ctx, data_source)
        check_schema_fits(schema, model_type, data_source.id, statistics, ctx.settings.max_classes)
        recipe_text = _recipe_text(ctx, request)
        parameters = dict(request.get("Parameters") or {})
        plan = plan_training(parameters, model_type, recipe_text is not None)
        spec = data_source.request["DataSpec"]
        location = data_source.request.get("SnapshotUri") or spec["DataLocationS3"]
        frame = read_frame(
            data_sources.data_files(ctx, location),
            schema,
            parse_data_rearrangement(spec["DataRearrangement"]) if spec.get("DataRearrangement") else None,
            require_target=True,
        )
        context.check_cancelled()

        def progress(update: TrainingProgress | str) -> None:
            text = update.describe() if isinstance(update, TrainingProgress) else update
            report_progress(ctx, KIND, model.id, f"Training: {text}")

        details: dict[str, Any] = {
            "TrainingParameters": plan.effective_parameters,
            "Mode": plan.mode,
            "TrainingRecords": len(frame),
        }
        if plan.mode == SGD_MODE:
            sgd_model = train_sgd_model(
                frame,
                schema,
                model_type,
                parameters,
                recipe_text=recipe_text,
                statistics=statistics,
                seed=int(parameters.get("openaml.seed", 0)),
                should_stop=context.should_stop,
                progress=progress,
            )
            trained: Any = sgd_model
            details |= {"Recipe": sgd_model.recipe_text, "RealAlgorithm": "sgd", "Leaderboard": None}
            summary = f"Trained Amazon ML's SGD model on {len(frame):,} records."
            log_lines = [f"SGD: {sgd_model.training}", f"model size: {sgd_model.size}"]
        else:
            automl = parse_automl_parameters(parameters, model_type)
            result = train_automl(
                frame, schema, model_type, automl, progress=progress, should_stop=context.should_stop
            )
            trained = result.model
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
            summary = (
                f"Trained {trained.algorithm} on {len(frame):,} records: validation {result.metric_name} "
                f"{result.validation_score:.4f} ({result.validation})."
            )
        context.check_cancelled()
        size = save_model(
            trained,
            model_directory(ctx, model.id),
            {
                "mlModelId": model.id,
                "mlModelType": model_type.value,
                "schema": json.loads(schema.to_json()),
                "trainingDataSourceId": data_source.id,
                "trainingParameters": plan.effective_parameters,
                "mode": plan.mode,
            },
        )
    except (TrainingCancelled, JobCancelled) as exc:
        raise JobCancelled(f"model {model.id} was deleted") from exc
    except (InvalidInputException, LimitExceededException, DataError) as exc:
        write_job_log(ctx, KIND, model.id, [f"training FAILED: {exc.message}"])
        fail_resource(ctx, KIND, model.id, exc.message)
        return
    details |= {
        "SizeInBytes": size,
        "Schema": schema.to_json(),
        "TrainingSeconds": time.monotonic() - started_wall,
    }
    if model_type is ModelType.BINARY:
        details["ScoreThreshold"] = 0.5
    write_job_log(
        ctx,
        KIND,
        model.id,
        [
            summary,
            f"mode: {plan.mode}; parameters: {json.dumps(plan.effective_parameters, sort_keys=True)}",
            f"model size: {size:,} bytes; wall time {details['TrainingSeconds']:.1f} s",
            *log_lines,
        ],
    )
    complete_resource(
        ctx,
        KIND,
        model.id,
        details=details,
        compute_time_ms=int((time.process_time() - started_cpu) * 1000),
        message=summary,
    )
