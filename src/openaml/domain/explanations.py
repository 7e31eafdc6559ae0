"""Explanations of a model's predictions: its setting, real-time and batch explanations, importance.

**Setting.** ``openaml.explain=top:N`` in ``CreateMLModel``'s ``Parameters`` asks for explanations of
every prediction (N attributes each); ``PUT /openaml/v1/mlmodels/{id}/explain`` changes it later,
stored as ``details["Explain"] = {"top": N}`` of the model (0: off), which wins over the parameter.
Serving processes pick a change up at their next endpoint refresh, as they do a new ScoreThreshold.
A request may ask for its own count with the ``X-OpenAML-Explain: top=N`` header (``top=0``: none).

**Batch predictions** of a model whose setting is on write a sidecar of explanations next to each
result file (:mod:`openaml.engine.explain.sidecar`); result files and manifest are unchanged.

**Feature importance** (``GET /openaml/v1/mlmodels/{id}/feature-importance``) is computed once, on a
random sample of :data:`IMPORTANCE_SAMPLE_ROWS` records of the training datasource, and cached as
``feature-importance.json`` in the model's folder (:mod:`openaml.engine.explain.importance`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from openaml.domain import data_sources
from openaml.domain.context import ServiceContext
from openaml.domain.ml_models import model_directory
from openaml.domain.records import TrainingRequest
from openaml.domain.resources import artifact_uri, get_resource
from openaml.engine.data.files import DataFile
from openaml.engine.data.ingest import iter_frames
from openaml.engine.data.rearrangement import Rearrangement
from openaml.engine.data.schema import DataSchema, parse_data_schema
from openaml.engine.explain import ModelExplainer, parse_explain_setting
from openaml.engine.explain.details import ExplanationDetails
from openaml.engine.explain.importance import feature_importance as compute_importance
from openaml.engine.explain.sidecar import write_sidecars
from openaml.engine.models import TrainedModel, load_model
from openaml.engine.predictors import RecordPredictor
from openaml.entities import EntityStatus, Resource, ResourceKind
from openaml.errors import InvalidInputException

log = logging.getLogger(__name__)
KIND = ResourceKind.ML_MODEL
#: The model ``details`` entry that holds the explanation setting changed after creation.
EXPLAIN_DETAILS_KEY = "Explain"
#: The request header that asks for explanations of one request's predictions.
EXPLAIN_HEADER = "X-OpenAML-Explain"
IMPORTANCE_SAMPLE_ROWS = 2_000
IMPORTANCE_FILE = "feature-importance.json"


def explain_top(model: Resource) -> int:
    """How many attributes the explanation of each of the model's predictions lists (0: none)."""
    changed = model.details.get(EXPLAIN_DETAILS_KEY)
    if isinstance(changed, Mapping):
        return int(changed.get("top") or 0)
    try:
        return TrainingRequest.from_json(model.request).explain_top
    except InvalidInputException:  # a row from before the parameter was checked
        return 0


def request_explain_top(header: str | None) -> int | None:
    """The count an ``X-OpenAML-Explain`` header asks for (``None`` when absent)."""
    return None if header is None else parse_explain_setting(header, source=f"The {EXPLAIN_HEADER} header")


def explanation_setting(ctx: ServiceContext, ml_model_id: str) -> dict[str, Any]:
    """``GET /openaml/v1/mlmodels/{id}/explain``: the model's setting."""
    model = get_resource(ctx, KIND, ml_model_id)
    top = explain_top(model)
    return {"MLModelId": model.id, "Explain": f"top:{top}" if top else "off", "Top": top}


def set_explanation_setting(ctx: ServiceContext, ml_model_id: str, text: str) -> dict[str, Any]:
    """``PUT /openaml/v1/mlmodels/{id}/explain``: change the setting (``top:N`` or ``off``)."""
    model = get_resource(ctx, KIND, ml_model_id)
    if model.status is EntityStatus.DELETED:
        raise InvalidInputException(f"MLModel {ml_model_id} is DELETED.")
    top = parse_explain_setting(text, source="Explain")
    ctx.resources.update(KIND, model.id, {"details": {EXPLAIN_DETAILS_KEY: {"top": top}}})
    return explanation_setting(ctx, ml_model_id)


def attach_explanations(predictor: RecordPredictor, model: Resource) -> None:
    """Let a mounted model explain its predictions (on request, or always when its setting says so)."""
    names = [attribute.name for attribute in predictor.schema.input_attributes]
    predictor.explain = ExplanationDetails(predictor.model, names)
    predictor.explain_top = explain_top(model)


def write_batch_explanations(
    ctx: ServiceContext,
    model: Resource,
    trained: TrainedModel,
    model_schema: DataSchema,
    files: list[DataFile],
    schema: DataSchema,
    rearrangement: Rearrangement | None,
    outputs: dict[str, str],
    should_stop: Callable[[], bool],
) -> tuple[dict[str, Any], list[str]]:
    """The sidecars of a batch prediction when the model's setting asks for explanations.

    Returns the batch's extra ``details`` and log lines (empty when the setting is off).
    """
    top = explain_top(model)
    if not top:
        return {}, []
    explainer = ModelExplainer(trained, [attribute.name for attribute in model_schema.input_attributes])
    if explainer.unavailable is not None:
        return {"ExplanationsUnavailable": explainer.unavailable}, [
            f"explanations not written: {explainer.unavailable}"
        ]
    sidecars = write_sidecars(
        explainer,
        files,
        schema,
        rearrangement,
        top=top,
        outputs=outputs,
        open_output=ctx.objects.open_write,
        should_stop=should_stop,
    )
    return {"Explanations": dict(zip(outputs, sidecars, strict=True))}, [
        f"explanations ({top} attributes per record): {uri}" for uri in sidecars
    ]


def feature_importance(ctx: ServiceContext, ml_model_id: str) -> dict[str, Any]:
    """The model's global feature importance, computed on first use and then read from its cache."""
    model = get_resource(ctx, KIND, ml_model_id)
    if model.status is not EntityStatus.COMPLETED:
        raise InvalidInputException(
            f"MLModel {ml_model_id} is {model.status.value}; feature importance needs a COMPLETED model."
        )
    cache = artifact_uri(ctx, KIND, model.id, IMPORTANCE_FILE)
    files = ctx.objects.server_files
    if files.exists(cache):
        cached: dict[str, Any] = json.loads(files.read_bytes(cache))
        return cached
    trained, metadata = load_model(model_directory(ctx, model.id))
    request = TrainingRequest.from_json(model.request)
    data_source = get_resource(ctx, ResourceKind.DATA_SOURCE, request.training_data_source_id)
    if data_source.status is not EntityStatus.COMPLETED:
        raise InvalidInputException(
            f"The training DataSource {data_source.id} of MLModel {model.id} is {data_source.status.value}; "
            "feature importance reads a sample of it."
        )
    data = data_sources.open_input(ctx, data_source)
    target = data.schema.target_attribute_name
    assert target is not None, "a trained model's datasource has a target"
    sample = _sample(data.files, data.schema, data.rearrangement, IMPORTANCE_SAMPLE_ROWS, seed=request.seed)
    model_schema = parse_data_schema(json.dumps(metadata["schema"]))
    inputs = [attribute.name for attribute in model_schema.input_attributes]
    result = compute_importance(trained, inputs, sample, target, seed=request.seed)
    result["mlModelId"] = model.id
    files.write_bytes(cache, json.dumps(result).encode("utf-8"))
    log.info("computed the feature importance of %s (%s)", model.id, result["method"])
    return result


def feature_importance_chart(ctx: ServiceContext, ml_model_id: str, chart: str) -> tuple[bytes, str]:
    """The picture ``chart`` (``feature-importance.svg``) of the model's feature importance."""
    from openaml.charts.render import render_importance_chart

    return render_importance_chart(feature_importance(ctx, ml_model_id), chart)


def _sample(
    files: list[DataFile], schema: DataSchema, rearrangement: Rearrangement | None, rows: int, *, seed: int
) -> pd.DataFrame:
    """A uniform random sample of at most ``rows`` valid records (one pass, memory bounded by ``rows``)."""
    rng = np.random.default_rng(seed)
    kept: pd.DataFrame | None = None
    keys = np.empty(0)
    for batch in iter_frames(files, schema, rearrangement, require_target=True):
        frame = batch.frame
        batch_keys = rng.random(len(frame))
        merged = frame if kept is None else pd.concat([kept, frame], ignore_index=True)
        merged_keys = np.concatenate([keys, batch_keys])
        order = np.argsort(merged_keys, kind="stable")[:rows]
        kept, keys = merged.iloc[order].reset_index(drop=True), merged_keys[order]
    if kept is None:
        raise InvalidInputException(
            "The training DataSource holds no valid records to compute importance on."
        )
    return kept
