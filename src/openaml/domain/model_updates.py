"""Training a model from a parent (``openaml.parentMLModelId`` and ``openaml.updateMode``): finding
the parent, the request-time checks, the settings the child inherits, and reading the parent's
artifact for the training job. The training itself is the engine's (``engine/automl/refit.py``,
``engine/automl/warmstart.py``, ``train_automl(start_from=...)``; SGD parents train as any SGD model).

What a child inherits: the parent's ``Parameters`` (AutoML settings such as the metric, seed, group
or time attribute, or the ``sgd.*`` ones), each overridden by the request's own, and an SGD parent's
recipe (the one it trained with, unless the request gives one). ``TrainingParameters`` of the child
record the parent actually used (:func:`resolve_parent`'s answer) and the update mode.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pandas as pd

from openaml.domain import model_groups
from openaml.domain.context import ServiceContext
from openaml.domain.model_files import leaderboard_uri, model_directory
from openaml.domain.records import SGD_MODE, TrainedModelOutcome, TrainingRequest
from openaml.domain.resources import get_resource
from openaml.engine.automl import AutoMLParameters, AutoMLResult, EnsembleModel, train_automl
from openaml.engine.automl.dispatch import SearchCluster
from openaml.engine.automl.lineage import (
    MemberSpec,
    ParentEnsemble,
    check_compatible_schema,
    members_from_leaderboard,
)
from openaml.engine.automl.refit import refit_parent
from openaml.engine.automl.training import ProgressCallback
from openaml.engine.automl.warmstart import check_warm_startable, warm_start_parent
from openaml.engine.data.schema import DataSchema
from openaml.engine.models import ModelUpdate, UpdateMode, load_model, read_manifest
from openaml.engine.models.updates import PARENT_KEY as PARENT_KEY
from openaml.engine.models.updates import UPDATE_KEYS
from openaml.engine.models.updates import UPDATE_MODE_KEY as UPDATE_MODE_KEY
from openaml.entities import EntityStatus, Resource, ResourceKind
from openaml.errors import InternalServerException, InvalidInputException, ResourceNotFoundException

KIND = ResourceKind.ML_MODEL
#: The manifest metadata key of an AutoML model's members (see ``engine/automl/lineage.py``).
MEMBERS_KEY = "members"


def resolve_parent(ctx: ServiceContext, parent_id: str) -> Resource:
    """The MLModel ``openaml.parentMLModelId`` names: an MLModelId, a model group's ID (its champion) or
    a version name ``<group>.v<N>`` (:func:`openaml.domain.model_groups.resolve`).

    The one place that turns the parameter into a model, at request time and in the job.
    """
    try:
        return get_resource(ctx, KIND, model_groups.resolve(ctx, parent_id).ml_model_id)
    except ResourceNotFoundException:
        raise InvalidInputException(
            f"{PARENT_KEY} names MLModel {parent_id}, which does not exist."
        ) from None


def prepare_update(
    ctx: ServiceContext, request: TrainingRequest, schema: DataSchema | None, data_source_id: str
) -> TrainingRequest:
    """Check a request that names a parent and return it with what it inherits (see the module
    docstring); a request without a parent is returned as it is.

    ``schema`` is the training datasource's, when known (COMPLETED): it must fit the parent's.
    Raises ``InvalidInputException`` with what to change.
    """
    update = request.update
    if update is None:
        return request
    parent = _usable_parent(ctx, update, request)
    parent_request = TrainingRequest.from_json(parent.request)
    inherited = {k: v for k, v in parent_request.parameters.items() if k not in UPDATE_KEYS}
    recipe = request.recipe
    if parent_request.mode == SGD_MODE and not (request.recipe or request.recipe_location):
        recipe = TrainedModelOutcome.from_details(parent.details).recipe or parent_request.recipe_text
    child = TrainingRequest(
        request.model_type,
        request.training_data_source_id,
        inherited | dict(request.parameters),
        recipe=recipe,
        recipe_location=request.recipe_location,
        recipe_text=request.recipe_text,
    )
    _check_mode(parent.id, parent_request, child, update)
    if update.mode is UpdateMode.WARMSTART:
        check_warm_startable(parent_ensemble(ctx, parent))
    if schema is not None:
        check_compatible_schema(parent_schema(parent), schema, parent.id, data_source_id)
    recorded = {PARENT_KEY: parent.id, UPDATE_MODE_KEY: update.mode.value}
    return dataclasses.replace(child, effective_parameters=dict(child.effective_parameters) | recorded)


def parent_of(ctx: ServiceContext, request: TrainingRequest) -> Resource | None:
    """In the training job: the parent the request recorded, still usable (it may have been deleted)."""
    parent_id = request.effective_parameters.get(PARENT_KEY)
    if request.update is None or parent_id is None:
        return None
    parent = resolve_parent(ctx, parent_id)
    if parent.status is not EntityStatus.COMPLETED:
        raise InvalidInputException(
            f"The parent MLModel {parent.id} is {parent.status.value} now; it must stay COMPLETED until "
            "its child is trained."
        )
    return parent


def parent_schema(parent: Resource) -> DataSchema:
    """The schema the parent was trained on."""
    return TrainedModelOutcome.from_details(parent.details).schema


def parent_ensemble(ctx: ServiceContext, parent: Resource) -> ParentEnsemble:
    """An AutoML parent's members, from its artifact's manifest (models saved before the manifest
    held them: from its leaderboard). Reads JSON only, never the pickled model."""
    metadata = read_manifest(model_directory(ctx, parent.id)).get("metadata") or {}
    stored = metadata.get(MEMBERS_KEY)
    if stored:
        members = tuple(MemberSpec.from_dict(entry) for entry in stored)
    else:
        leaderboard = json.loads(ctx.objects.server_files.read_bytes(leaderboard_uri(ctx, parent.id)))
        members = members_from_leaderboard(leaderboard.get("candidates") or [])
    return ParentEnsemble(parent.id, parent_schema(parent), members)


def parent_model(ctx: ServiceContext, parent: Resource) -> EnsembleModel:
    """The parent's fitted ensemble, loaded from the server's own model directory (never a location
    a caller named: the artifact is a pickle)."""
    model, _ = load_model(model_directory(ctx, parent.id))
    if not isinstance(model, EnsembleModel):
        raise InternalServerException(f"MLModel {parent.id}'s artifact is not an AutoML ensemble.")
    return model


def members_metadata(members: tuple[MemberSpec, ...]) -> dict[str, Any]:
    """The manifest metadata that keeps an AutoML model's members for its future children."""
    return {MEMBERS_KEY: [member.to_dict() for member in members]}


def _usable_parent(ctx: ServiceContext, update: ModelUpdate, request: TrainingRequest) -> Resource:
    parent = resolve_parent(ctx, update.parent_ml_model_id)
    if parent.status is not EntityStatus.COMPLETED:
        raise InvalidInputException(
            f"The parent MLModel {parent.id} is {parent.status.value}; only a COMPLETED model can be updated."
        )
    parent_type = TrainingRequest.from_json(parent.request).model_type.value
    if parent_type != request.model_type.value:
        raise InvalidInputException(
            f"The parent MLModel {parent.id} is a {parent_type} model; its update must be one too "
            f"(MLModelType {request.model_type.value} was asked for)."
        )
    return parent


def _check_mode(
    parent_id: str, parent_request: TrainingRequest, child: TrainingRequest, update: ModelUpdate
) -> None:
    """The child trains in its parent's mode, and the update mode applies to it."""
    if child.mode != parent_request.mode:
        asked = (
            "Amazon ML's SGD model (a Recipe or openaml.algorithms=sgd)"
            if child.mode == SGD_MODE
            else "AutoML"
        )
        raise InvalidInputException(
            f"The parent MLModel {parent_id} was trained in {parent_request.mode} mode, but the request "
            f"asks for {asked}; an update trains the parent's kind of model."
        )
    if parent_request.mode == SGD_MODE and update.mode is not UpdateMode.REFIT:
        raise InvalidInputException(
            f"MLModel {parent_id} is Amazon ML's SGD model, which is only refit (openaml.updateMode=refit): "
            f"it has no search to start {update.mode.value} from and no trees to continue."
        )


def train_from_parent(
    ctx: ServiceContext,
    parent: Resource,
    request: TrainingRequest,
    frame: pd.DataFrame,
    schema: DataSchema,
    *,
    progress: ProgressCallback,
    should_stop: Callable[[], bool],
    cluster: SearchCluster | None = None,
) -> AutoMLResult:
    """Train an AutoML child of ``parent`` on ``frame`` in the request's update mode (a ``research``
    search on ``cluster`` when given)."""
    update = request.update
    settings = request.algorithm_parameters
    assert update is not None and isinstance(settings, AutoMLParameters), "an AutoML update"
    ensemble = parent_ensemble(ctx, parent)
    model_type = request.model_type
    if update.mode is UpdateMode.REFIT:
        return refit_parent(
            frame, schema, model_type, settings, ensemble, progress=progress, should_stop=should_stop
        )
    if update.mode is UpdateMode.RESEARCH:
        return train_automl(
            frame,
            schema,
            model_type,
            settings,
            progress=progress,
            should_stop=should_stop,
            start_from=ensemble.members,
            cluster=cluster,
        )
    return warm_start_parent(
        frame,
        schema,
        model_type,
        settings,
        ensemble,
        parent_model(ctx, parent),
        progress=progress,
        should_stop=should_stop,
    )
