"""Each AutoML learner (:mod:`openaml.engine.automl.families`) as ONNX nodes.

Every member's nodes take the encoding's ``double`` matrix and give its scores as a (rows × outputs)
``double`` tensor: BINARY one column (the probability of class 1), MULTICLASS one per class (all
classes, also those a member never saw), REGRESSION one column. Linear models and networks are
written with ``MatMul`` in ``double`` (as exact as numpy); LightGBM boosters go through onnxmltools,
forests and k-NN through skl2onnx, CatBoost through its own ONNX export; those tree ensembles
compare ``float`` values, as scikit-learn's forests do (LightGBM and CatBoost compare doubles:
a value within a float's rounding of a split threshold may go the other way).

What cannot be converted exactly is refused before anything is built (:func:`learner_refusal`).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np
import onnx
import scipy.sparse as sp
from onnx import TensorProto, numpy_helper

from openaml.engine.automl.families.base import FittedLearner, Task
from openaml.engine.automl.families.catboost import CatBoostLearner
from openaml.engine.automl.families.forest import _SPARSE_MISSING, ForestLearner
from openaml.engine.automl.families.knn import NeighboursLearner
from openaml.engine.automl.families.lightgbm import LightGBMLearner
from openaml.engine.automl.families.linear import LogisticLearner, RidgeLearner
from openaml.engine.automl.families.mlp import NeuralNetworkLearner
from openaml.engine.export.graph import CONVERTER_OPSETS, GraphBuilder
from openaml.engine.models import ModelType


def learner_refusal(learner: FittedLearner) -> str | None:
    """Why ``learner`` cannot be exported exactly, or ``None`` when it can."""
    if isinstance(learner, LightGBMLearner):
        if "is_linear=1" in learner.booster.model_to_string():
            return "a LightGBM member uses linear trees, which onnxmltools does not convert"
        return None
    if isinstance(learner, CatBoostLearner):
        if learner.categorical:
            return "a CatBoost member reads categorical features, which CatBoost's ONNX export refuses"
        return None
    if isinstance(learner, NeighboursLearner) and sp.issparse(learner.model._fit_X):
        return "a k-NN member keeps sparse training rows (text), which its ONNX graph does not take"
    supported = (LogisticLearner, RidgeLearner, NeuralNetworkLearner, ForestLearner, NeighboursLearner)
    if isinstance(learner, supported):
        return None
    return f"no ONNX converter for {type(learner).__name__}"


def learner_scores(
    builder: GraphBuilder,
    learner: FittedLearner,
    matrix: str,
    width: int,
    model_type: ModelType,
    n_classes: int,
    sparse_input: bool,
) -> str:
    """The nodes scoring ``matrix`` (rows × ``width``) with ``learner``, in the layout above."""
    b = builder
    if isinstance(learner, LogisticLearner):
        scores = _affine(b, matrix, learner.model.coef_, learner.model.intercept_)
        probabilities = _probabilities(b, scores, learner.model.coef_.shape[0] == 1, "softmax")
        return _expand(b, probabilities, learner.model.classes_, learner.task)
    if isinstance(learner, RidgeLearner):
        return _affine(b, matrix, learner.model.coef_, learner.model.intercept_)
    if isinstance(learner, NeuralNetworkLearner):
        return _network(b, learner, matrix)
    if isinstance(learner, LightGBMLearner):
        return _lightgbm(b, learner, matrix, width, model_type)
    if isinstance(learner, ForestLearner):
        return _forest(b, learner, _sparse_missing(b, matrix) if sparse_input else matrix)
    if isinstance(learner, NeighboursLearner):
        return _neighbours(b, learner, matrix)
    if isinstance(learner, CatBoostLearner):
        return _catboost(b, learner, matrix, model_type, n_classes)
    raise AssertionError(f"refused before export: {type(learner).__name__}")


def _affine(b: GraphBuilder, matrix: str, coefficients: Any, intercepts: Any) -> str:
    """``matrix @ coefficients.T + intercepts`` as (rows × outputs)."""
    weights = np.atleast_2d(np.asarray(coefficients, dtype=np.float64)).T
    product = b.node("MatMul", [matrix, b.constant(weights)])
    return b.node("Add", [product, b.constant(np.atleast_1d(np.asarray(intercepts, dtype=np.float64)))])


def _probabilities(b: GraphBuilder, scores: str, two_classes: bool, activation: str) -> str:
    """Class probabilities from linear scores: one logistic column for two classes, else softmax."""
    if two_classes:
        second = b.node("Sigmoid", [scores])
        first = b.node("Sub", [b.constant(1.0), second])
        return b.node("Concat", [first, second], axis=1)
    if activation == "softmax":
        return b.node("Softmax", [scores], axis=1)
    return scores


def _expand(b: GraphBuilder, probabilities: str, learned: Any, task: Task) -> str:
    """``expand_probabilities``: probabilities over the learned classes placed among all classes."""
    expansion = np.zeros((len(learned), task.n_classes))
    expansion[np.arange(len(learned)), np.asarray(learned).astype(np.int64)] = 1.0
    full = b.node("MatMul", [probabilities, b.constant(expansion)])
    if task.model_type is ModelType.BINARY:
        return b.node("Slice", [full, b.constant([1]), b.constant([2]), b.constant([1])])
    return full


def _network(b: GraphBuilder, learner: NeuralNetworkLearner, matrix: str) -> str:
    model = learner.model
    layers = list(zip(model.coefs_, model.intercepts_, strict=True))
    activation = matrix
    for index, (weights, intercepts) in enumerate(layers):
        if index:
            activation = b.node("Relu", [activation])
        product = b.node("MatMul", [activation, b.constant(np.asarray(weights, dtype=np.float64))])
        activation = b.node("Add", [product, b.constant(np.asarray(intercepts, dtype=np.float64))])
    if model.out_activation_ == "identity":
        scaled = b.node("Mul", [activation, b.constant(learner.target_scale)])
        return b.node("Add", [scaled, b.constant(learner.target_mean)])
    if model.out_activation_ == "logistic":
        probabilities = _probabilities(b, activation, True, "logistic")
    else:
        probabilities = b.node("Softmax", [activation], axis=1)
    return _expand(b, probabilities, model.classes_, learner.task)


def _lightgbm(
    b: GraphBuilder, learner: LightGBMLearner, matrix: str, width: int, model_type: ModelType
) -> str:
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    converted = onnxmltools.convert_lightgbm(
        learner.booster,
        initial_types=[("input", FloatTensorType([None, width]))],
        target_opset=CONVERTER_OPSETS[""],
        zipmap=False,
    )
    features = b.node("Cast", [matrix], to=TensorProto.FLOAT)
    names = [output.name for output in converted.graph.output]
    wanted = names[-1]  # classifiers: (label, probabilities); regressors: (variable,)
    (scores,) = b.embed(converted, [features], [wanted])
    scores = b.node("Cast", [scores], to=TensorProto.DOUBLE)
    if model_type is ModelType.BINARY:
        return b.node("Slice", [scores, b.constant([1]), b.constant([2]), b.constant([1])])
    if model_type is ModelType.REGRESSION:
        return b.node("Reshape", [scores, b.constant([-1, 1])])
    return scores


def _sparse_missing(b: GraphBuilder, matrix: str) -> str:
    """The forest's sparse-input convention: missing values as a number below every real one."""
    missing = b.node("IsNaN", [matrix])
    return b.node("Where", [missing, b.constant(_SPARSE_MISSING), matrix])


def _forest(b: GraphBuilder, learner: ForestLearner, matrix: str) -> str:
    """A scikit-learn forest as one ``TreeEnsembleRegressor`` that averages the trees' leaf values.

    The trees compare float32 features with float64 thresholds, missing values going where
    ``missing_go_to_left`` says: the features are rounded to float32 and compared as doubles with the
    thresholds kept as doubles (``*_as_tensor``), and the average is summed in doubles.
    """
    model, task = learner.model, learner.task
    trees = [estimator.tree_ for estimator in model.estimators_]
    outputs = len(model.classes_) if task.is_classification else 1
    nodes: dict[str, Any] = {
        key: []
        for key in (
            "nodes_treeids",
            "nodes_nodeids",
            "nodes_featureids",
            "nodes_modes",
            "nodes_values",
            "nodes_truenodeids",
            "nodes_falsenodeids",
            "nodes_missing_value_tracks_true",
            "target_treeids",
            "target_nodeids",
            "target_ids",
            "target_weights",
        )
    }
    for tree_id, tree in enumerate(trees):
        values = tree.value[:, 0, :outputs].astype(np.float64)
        if task.is_classification:
            values = values / np.maximum(values.sum(axis=1, keepdims=True), 1e-300)
        for node in range(tree.node_count):
            leaf = tree.children_left[node] < 0
            nodes["nodes_treeids"].append(tree_id)
            nodes["nodes_nodeids"].append(node)
            nodes["nodes_featureids"].append(0 if leaf else int(tree.feature[node]))
            nodes["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            nodes["nodes_values"].append(0.0 if leaf else float(tree.threshold[node]))
            nodes["nodes_truenodeids"].append(0 if leaf else int(tree.children_left[node]))
            nodes["nodes_falsenodeids"].append(0 if leaf else int(tree.children_right[node]))
            nodes["nodes_missing_value_tracks_true"].append(0 if leaf else int(tree.missing_go_to_left[node]))
            if leaf:
                for output in range(outputs):
                    nodes["target_treeids"].append(tree_id)
                    nodes["target_nodeids"].append(node)
                    nodes["target_ids"].append(output)
                    nodes["target_weights"].append(values[node, output] / len(trees))
    thresholds = np.asarray(nodes.pop("nodes_values"), dtype=np.float64)
    weights = np.asarray(nodes.pop("target_weights"), dtype=np.float64)
    rounded = b.node("Cast", [b.node("Cast", [matrix], to=TensorProto.FLOAT)], to=TensorProto.DOUBLE)
    average = b.node(
        "TreeEnsembleRegressor",
        [rounded],
        domain="ai.onnx.ml",
        n_targets=outputs,
        aggregate_function="SUM",
        post_transform="NONE",
        nodes_values_as_tensor=numpy_helper.from_array(thresholds),
        target_weights_as_tensor=numpy_helper.from_array(weights),
        **nodes,
    )
    scores = b.node("Cast", [average], to=TensorProto.DOUBLE)
    if task.is_classification:
        return _expand(b, scores, model.classes_, task)
    return scores


def _neighbours(b: GraphBuilder, learner: NeighboursLearner, matrix: str) -> str:
    """k-NN as ``NeighboursLearner`` scores a few rows: rank the training rows by squared distance,
    take the k nearest, compute their distances exactly, weigh them (equally, or by inverse distance
    with exact matches alone when there are any) and vote or average."""
    model, task = learner.model, learner.task
    training = np.asarray(model._fit_X, dtype=np.float64)
    k = min(int(model.n_neighbors), len(training))
    squared_norms = b.constant(np.square(training).sum(axis=1)[None, :])
    products = b.node("MatMul", [matrix, b.constant(training.T)])
    ranking = b.node("Sub", [squared_norms, b.node("Mul", [products, b.constant(2.0)])])
    _, nearest = b.node_outputs("TopK", [ranking, b.constant([k])], 2, axis=1, largest=0, sorted=1)
    rows = b.node("Gather", [b.constant(training), nearest], axis=0)  # (n, k, columns)
    differences = b.node("Sub", [rows, b.node("Unsqueeze", [matrix, b.constant([1])])])
    squares = b.node("ReduceSum", [b.node("Mul", [differences, differences]), b.constant([2])], keepdims=0)
    distances = b.node("Sqrt", [squares])
    if str(model.weights) == "uniform":
        weights = b.node("Mul", [distances, b.constant(0.0)])
        weights = b.node("Add", [weights, b.constant(1.0)])
    else:
        exact = b.node("Cast", [b.node("Equal", [distances, b.constant(0.0)])], to=TensorProto.DOUBLE)
        any_exact = b.node(
            "Greater", [b.node("ReduceMax", [exact, b.constant([1])], keepdims=1), b.constant(0.0)]
        )
        weights = b.node("Where", [any_exact, exact, b.node("Div", [b.constant(1.0), distances])])
    labels = b.node("Gather", [b.constant(np.asarray(model._y)), nearest], axis=0)  # (n, k)
    if task.is_classification:
        width = len(model.classes_)
        votes = b.node(
            "Equal", [b.node("Unsqueeze", [labels, b.constant([2])]), b.constant(np.arange(width))]
        )
        weighted = b.node(
            "Mul",
            [b.node("Cast", [votes], to=TensorProto.DOUBLE), b.node("Unsqueeze", [weights, b.constant([2])])],
        )
        totals = b.node("ReduceSum", [weighted, b.constant([1])], keepdims=0)
        sums = b.node("ReduceSum", [totals, b.constant([1])], keepdims=1)
        return _expand(b, b.node("Div", [totals, sums]), model.classes_, task)
    values = b.node("Cast", [labels], to=TensorProto.DOUBLE)
    numerator = b.node("ReduceSum", [b.node("Mul", [values, weights]), b.constant([1])], keepdims=1)
    denominator = b.node("ReduceSum", [weights, b.constant([1])], keepdims=1)
    return b.node("Div", [numerator, denominator])


def _catboost(
    b: GraphBuilder, learner: CatBoostLearner, matrix: str, model_type: ModelType, n_classes: int
) -> str:
    """CatBoost's own ONNX export of a model without categorical features."""
    handle, path = tempfile.mkstemp(suffix=".onnx")
    os.close(handle)
    try:
        learner.model.save_model(path, format="onnx")
        converted = onnx.load(path)
    finally:
        os.unlink(path)
    features = b.node("Cast", [matrix], to=TensorProto.FLOAT)
    names = [output.name for output in converted.graph.output]
    wanted = names[0]
    if model_type is not ModelType.REGRESSION:  # the probabilities before CatBoost's ZipMap
        wanted = next(node.input[0] for node in converted.graph.node if node.op_type == "ZipMap")
    (scores,) = b.embed(converted, [features], [wanted])
    scores = b.node("Cast", [scores], to=TensorProto.DOUBLE)
    if model_type is ModelType.REGRESSION:
        return b.node("Reshape", [scores, b.constant([-1, 1])])
    task = Task(model_type, n_classes, 0, 0, 0)
    return _expand(b, scores, np.asarray(learner.model.classes_), task)
