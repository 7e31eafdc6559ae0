"""A whole trained model as one ONNX graph: schema inputs, feature pipeline, every member, the blend.

AutoML ensembles go through :mod:`.features` and :mod:`.learners`; Amazon ML's SGD models through
:mod:`.sgd` (the recipe's variables straight into the linear score).

The graph's inputs are the model's input attributes, one each, shaped (rows, 1): NUMERIC and BINARY
as ``double`` with NaN for a missing value, CATEGORICAL and TEXT as ``string`` with ``""`` for a
missing value. Its outputs:

* ``score``: BINARY (rows,) probability of class ``"1"``; MULTICLASS (rows × classes) probabilities
  in the order of ``openaml.classes``; REGRESSION (rows,) values — what ``predict_scores`` gives;
* ``label`` (BINARY and MULTICLASS): BINARY ``"1"`` where ``score >= openaml.scoreThreshold`` else
  ``"0"`` (as real-time ``Predict`` decides), MULTICLASS the most probable class.

``metadata_props`` carry the model type, classes, score threshold, data schema (CONTRACTS §1),
the inputs' encodings and the caller's own entries, all as strings (JSON where structured).
:func:`onnx_refusals` says, before anything is built, what would not convert exactly: a stacked
ensemble (its stacking layer has no converter) is refused; a bagged member is its fold models, each
weighted ``weight / k`` (the mean it predicts, exactly).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp
from onnx import TensorProto

from openaml.engine.automl.bagging import weighted_parts
from openaml.engine.automl.ensemble import EnsembleModel
from openaml.engine.automl.features import Encoding
from openaml.engine.data.schema import DataSchema
from openaml.engine.export.features import EncoderGraph, attribute_inputs, encoder_refusals
from openaml.engine.export.graph import GraphBuilder
from openaml.engine.export.learners import learner_refusal, learner_scores
from openaml.engine.export.sgd import recipe_attributes, sgd_refusals, sgd_scores
from openaml.engine.models import ModelType, TrainedModel
from openaml.engine.recipes.expressions import ValueKind
from openaml.engine.sgd import SGDModel

#: How each attribute type enters the graph (``openaml.inputs`` in the metadata).
INPUT_ENCODINGS = {
    "NUMERIC": {"onnxType": "double", "missing": "NaN"},
    "BINARY": {"onnxType": "double", "missing": "NaN"},
    "CATEGORICAL": {"onnxType": "string", "missing": ""},
    "TEXT": {"onnxType": "string", "missing": ""},
}


def onnx_refusals(model: TrainedModel) -> list[str]:
    """Why ``model`` cannot be exported to ONNX exactly (empty when it can)."""
    if isinstance(model, SGDModel):
        return sgd_refusals(model)
    if not isinstance(model, EnsembleModel):
        return [f"{model.algorithm} models have no ONNX converter"]
    used = {member.encoding for member in model.members}
    reasons = [reason for encoding in used for reason in encoder_refusals(model.encoders[encoding])]
    if getattr(model, "stacker", None) is not None:  # models saved before stacking have none
        reasons.append(
            "the members are combined by a stacking layer over their scores, which has no ONNX converter "
            "(a model trained with openaml.stacking set to false has none)"
        )
    for member in model.members:
        for _, learner in weighted_parts(member.weight, member.learner):
            reason = learner_refusal(learner)
            if reason is not None and reason not in reasons:
                reasons.append(reason)
    return reasons


def export_onnx(
    model: TrainedModel,
    schema: DataSchema,
    *,
    score_threshold: float | None,
    metadata: Mapping[str, str] | None = None,
) -> bytes:
    """The serialised ONNX model of ``model`` (call :func:`onnx_refusals` first: it must be empty)."""
    if onnx_refusals(model):
        raise ValueError(
            "the model has features that do not convert exactly: " + "; ".join(onnx_refusals(model))
        )
    builder = GraphBuilder()
    order = [attribute.name for attribute in schema.attributes]
    if isinstance(model, SGDModel):
        kinds = recipe_attributes(model)
        numeric = (ValueKind.NUMERIC, ValueKind.BINARY)
        inputs = {
            name: builder.add_input(
                name, TensorProto.DOUBLE if kinds[name] in numeric else TensorProto.STRING
            )
            for name in sorted(kinds, key=lambda name: order.index(name) if name in order else len(order))
        }
        _outputs(builder, sgd_scores(builder, model, inputs), model, score_threshold)
        return _serialised(builder, model, schema, inputs, score_threshold, metadata)
    assert isinstance(model, EnsembleModel)
    used = {member.encoding: model.encoders[member.encoding] for member in model.members}
    inputs = attribute_inputs(builder, used, order)
    encoders = EncoderGraph(builder, inputs)
    one_row = pd.DataFrame(index=range(1))
    matrices: dict[Encoding, tuple[str, int, bool]] = {}
    for encoding, encoder in used.items():
        sample = encoder.transform(one_row)
        matrices[encoding] = (encoders.matrix(encoder), int(sample.shape[1]), sp.issparse(sample))
    n_classes = len(model.classes) if model.classes is not None else 1
    total: str | None = None
    for member in model.members:
        matrix, width, sparse = matrices[member.encoding]
        for weight, learner in weighted_parts(member.weight, member.learner):  # a bagged member: its folds
            scores = learner_scores(builder, learner, matrix, width, model.model_type, n_classes, sparse)
            weighted = builder.node("Mul", [scores, builder.constant(float(weight))])
            total = weighted if total is None else builder.node("Add", [total, weighted])
    assert total is not None, "an ensemble always has members"
    _outputs(builder, total, model, score_threshold)
    return _serialised(builder, model, schema, inputs, score_threshold, metadata)


def _serialised(
    builder: GraphBuilder,
    model: TrainedModel,
    schema: DataSchema,
    inputs: Mapping[str, str],
    score_threshold: float | None,
    metadata: Mapping[str, str] | None,
) -> bytes:
    """The finished graph with its metadata (see the module docstring), serialised."""
    attributes = {attribute.name: attribute.type.value for attribute in schema.attributes}
    properties = {
        "openaml.modelType": model.model_type.value,
        "openaml.classes": json.dumps(list(model.classes) if model.classes is not None else None),
        "openaml.scoreThreshold": json.dumps(score_threshold),
        "openaml.algorithm": model.algorithm,
        "openaml.schema": schema.to_json(),
        "openaml.inputs": json.dumps(
            [
                {"name": name, "attributeType": attributes.get(name)}
                | INPUT_ENCODINGS[attributes.get(name, "NUMERIC")]
                for name in inputs
            ]
        ),
        **(metadata or {}),
    }
    serialised: bytes = builder.model(properties).SerializeToString()
    return serialised


def _outputs(builder: GraphBuilder, total: str, model: TrainedModel, threshold: float | None) -> None:
    """The blend's final step (``EnsembleModel._blend``) and the ``score`` and ``label`` outputs."""
    b = builder
    if model.model_type is ModelType.MULTICLASS:
        sums = b.node("ReduceSum", [total, b.constant([1])], keepdims=1)
        scores = b.node("Div", [total, sums])
        b.add_output(scores, "score", TensorProto.DOUBLE, [None, len(model.classes or ())])
        best = b.node("ArgMax", [scores], axis=1, keepdims=0)
        labels = b.node(
            "LabelEncoder",
            [best],
            domain="ai.onnx.ml",
            keys_int64s=list(range(len(model.classes or ()))),
            values_strings=list(model.classes or ()),
            default_string="",
        )
        b.add_output(labels, "label", TensorProto.STRING, [None])
        return
    flat = b.node("Reshape", [total, b.constant([-1])])
    if model.model_type is ModelType.REGRESSION:
        b.add_output(flat, "score", TensorProto.DOUBLE, [None])
        return
    clipped = b.node("Clip", [flat, b.constant(0.0), b.constant(1.0)])
    b.add_output(clipped, "score", TensorProto.DOUBLE, [None])
    positive = b.node("GreaterOrEqual", [clipped, b.constant(0.5 if threshold is None else threshold)])
    labels = b.node(
        "Where", [positive, b.constant(np.array(["1"], object)), b.constant(np.array(["0"], object))]
    )
    b.add_output(labels, "label", TensorProto.STRING, [None])
