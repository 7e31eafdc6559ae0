"""ONNX export of AutoML models: every family and model type, an ensemble with text, and refusals.

Each exported graph scores the rows (training rows and unseen ones) as the native model does: the
parity report shows a label agreement of at least 99.9 % and score differences far below 1e-4.
"""

from __future__ import annotations

import io
import json
import zipfile

import lightgbm as lgb
import numpy as np
import onnx
import onnxruntime
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from tests.engine.automl.conftest import TypedData, synthetic_data
from tests.engine.automl.test_automl_records import labels, odd_data
from tests.engine.explain.conftest import with_bagged_member

from openaml.engine.automl.budget import Budget
from openaml.engine.automl.ensemble import EnsembleMember, EnsembleModel
from openaml.engine.automl.families import FAMILIES, Task
from openaml.engine.automl.families.lightgbm import LightGBMLearner
from openaml.engine.automl.features import Encoding, FeatureEncoder
from openaml.engine.automl.stacking import Stacker
from openaml.engine.data.schema import AttributeType, DataSchema
from openaml.engine.export import (
    check_parity,
    export_lightgbm,
    export_onnx,
    lightgbm_refusals,
    onnx_feeds,
    onnx_refusals,
)
from openaml.engine.models import ModelType

QUICK = {"lightgbm": {"rounds": 30}, "catboost": {"rounds": 30}, "mlp": {"epochs": 3}}
TARGET_TYPES = {
    ModelType.BINARY: AttributeType.BINARY,
    ModelType.MULTICLASS: AttributeType.CATEGORICAL,
    ModelType.REGRESSION: AttributeType.NUMERIC,
}


def without(data: TypedData, *names: str) -> TypedData:
    frame, schema = data
    attributes = tuple(a for a in schema.attributes if a.name not in names)
    return frame.drop(columns=list(names)), DataSchema(attributes, target_attribute_name="y")


def ensemble_of(
    families: list[str],
    data: TypedData,
    model_type: ModelType,
    settings: dict[str, dict[str, object]] | None = None,
) -> EnsembleModel:
    """The families fitted briefly on the first 300 rows, averaged with equal weights; ``settings``
    override a family's first portfolio configuration."""
    frame, schema = data
    train = frame.iloc[:300]
    y, classes = labels(train, "y", model_type)
    encoders = {e: FeatureEncoder(schema.input_attributes, e).fit(train) for e in Encoding}
    matrices = {encoding: encoder.transform(train) for encoding, encoder in encoders.items()}
    task = Task.describe(
        model_type,
        y,
        0 if classes is None else len(classes),
        len(schema.input_attributes),
        0,
        tuple(encoders[Encoding.TREE].categorical_indices),
    )
    budget = Budget(120.0)
    members = []
    for number, name in enumerate(families):
        family = FAMILIES[name]
        seconds = 0.3 if "forest" in name or "trees" in name else 60
        config = family.portfolio(task)[0] | QUICK.get(name, {}) | (settings or {}).get(name, {})
        learner = family.fit(
            matrices[family.encoding], y, config, task, budget.limits(budget.now() + seconds)
        )
        members.append(EnsembleMember(name, 1 / len(families), learner, family.encoding, number))
    return EnsembleModel(model_type, classes, encoders, members)


def assert_parity(model: EnsembleModel, data: TypedData) -> onnx.ModelProto:
    frame, schema = data
    assert onnx_refusals(model) == []
    exported = export_onnx(model, schema, score_threshold=0.5)
    report = check_parity(model, exported, frame.drop(columns="y"), score_threshold=0.5, source="test")
    assert report.rows == len(frame)
    assert report.label_agreement >= 0.999 and report.passed
    assert report.max_abs_difference < 1e-5
    assert report.share_above_tolerance == 0.0
    return onnx.load_from_string(exported)


#: Each family with the data it converts exactly: k-NN keeps sparse rows when there is text, and
#: CatBoost's own export refuses categories.
FAMILY_DATA = {
    "lightgbm": (),
    "random_forest": (),
    "extra_trees": (),
    "linear": (),
    "mlp": (),
    "knn": ("note",),
    "catboost": ("note", "colour"),
}


@pytest.mark.parametrize("model_type", list(ModelType))
@pytest.mark.parametrize("family", list(FAMILY_DATA))
def test_every_family_exports_with_parity(family: str, model_type: ModelType) -> None:
    data = without(synthetic_data(target_type=TARGET_TYPES[model_type]), *FAMILY_DATA[family])
    model = ensemble_of([family], data, model_type)

    graph = assert_parity(model, data)

    properties = {entry.key: entry.value for entry in graph.metadata_props}
    assert properties["openaml.modelType"] == model_type.value
    assert json.loads(properties["openaml.schema"])["targetAttributeName"] == "y"
    assert [i.name for i in graph.graph.input] == [a.name for a in data[1].input_attributes]


@pytest.mark.parametrize("objective", ["poisson", "tweedie"])
def test_a_count_objective_member_exports_its_values_with_parity(objective: str) -> None:
    """A LightGBM member boosted with a log link: the graph predicts values, not log values."""
    frame, schema = synthetic_data(target_type=AttributeType.NUMERIC)
    frame["y"] = np.exp(frame["y"] / 10.0)
    settings = {"lightgbm": {"objective": objective}}
    model = ensemble_of(["lightgbm", "linear"], (frame, schema), ModelType.REGRESSION, settings)
    assert getattr(model.members[0].learner, "log_link", False)

    assert_parity(model, (frame, schema))


def test_an_ensemble_with_text_exports_whole_with_its_threshold_and_labels() -> None:
    data = synthetic_data(rows=400)
    model = ensemble_of(["linear", "lightgbm", "extra_trees", "mlp"], data, ModelType.BINARY)
    graph = assert_parity(model, data)

    session = onnxruntime.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    properties = session.get_modelmeta().custom_metadata_map
    assert json.loads(properties["openaml.scoreThreshold"]) == 0.5
    inputs = {entry["name"]: entry["onnxType"] for entry in json.loads(properties["openaml.inputs"])}
    assert inputs == {
        "x": "double",
        "noise": "double",
        "colour": "string",
        "flag": "double",
        "note": "string",
    }
    odd = pd.DataFrame([{"colour": "never seen", "note": "Great!\tFINE value, naïve words"}, {}])
    scores, predicted = session.run(["score", "label"], onnx_feeds(odd, inputs))
    np.testing.assert_allclose(scores, model.predict_scores(odd), atol=1e-6)
    assert list(predicted) == ["1" if score >= 0.5 else "0" for score in scores]


def test_a_multiclass_graph_labels_rows_with_the_most_probable_class() -> None:
    data = synthetic_data(target_type=AttributeType.CATEGORICAL)
    model = ensemble_of(["lightgbm", "random_forest"], data, ModelType.MULTICLASS)
    graph = assert_parity(model, data)
    session = onnxruntime.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    inputs = {
        i.name: "string" if i.type.tensor_type.elem_type == onnx.TensorProto.STRING else "double"
        for i in graph.graph.input
    }
    scores, predicted = session.run(["score", "label"], onnx_feeds(data[0], inputs))
    assert model.classes is not None
    assert list(predicted) == [model.classes[i] for i in np.argmax(scores, axis=1)]


def test_features_that_do_not_convert_exactly_are_refused_with_their_reasons() -> None:
    frame, schema = odd_data()
    frame["y"] = (frame["amount"].fillna(0) > 0).astype(np.float64)
    schema = DataSchema((*schema.attributes, *synthetic_data()[1].attributes[-1:]), target_attribute_name="y")
    trees = ensemble_of(["lightgbm"], (frame, schema), ModelType.BINARY)
    reasons = " ".join(onnx_refusals(trees))
    assert "'day' holds dates" in reasons and "'user' has 58 distinct values" in reasons

    knn = ensemble_of(["knn"], synthetic_data(), ModelType.BINARY)  # text makes its rows sparse
    assert onnx_refusals(knn) == [
        "a k-NN member keeps sparse training rows (text), which its ONNX graph does not take"
    ]

    catboost = ensemble_of(["catboost"], without(synthetic_data(), "note"), ModelType.BINARY)
    assert onnx_refusals(catboost) == [
        "a CatBoost member reads categorical features, which CatBoost's ONNX export refuses"
    ]


def test_linear_trees_are_refused() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 3))
    booster = lgb.train(
        {"objective": "binary", "linear_tree": True, "verbosity": -1},
        lgb.Dataset(features, label=(features[:, 0] > 0).astype(float)),
        num_boost_round=5,
    )
    model = ensemble_of(["lightgbm"], synthetic_data(), ModelType.BINARY)
    member = model.members[0]
    linear = EnsembleMember("lightgbm", 1.0, LightGBMLearner(booster, 5, True), member.encoding, 0)
    model = EnsembleModel(ModelType.BINARY, ("0", "1"), model.encoders, [linear])
    assert onnx_refusals(model) == ["a LightGBM member uses linear trees, which onnxmltools does not convert"]


def test_the_lightgbm_format_holds_the_boosters_and_the_pipeline() -> None:
    data = synthetic_data()
    model = ensemble_of(["lightgbm", "lightgbm"], data, ModelType.BINARY)
    assert lightgbm_refusals(model) == []
    archive = zipfile.ZipFile(io.BytesIO(export_lightgbm(model, data[1], score_threshold=0.4)))
    pipeline = json.loads(archive.read("pipeline.json"))
    assert pipeline["scoreThreshold"] == 0.4 and len(pipeline["members"]) == 2
    assert [c["kind"] for c in pipeline["columns"]][:5] == [
        "number",
        "number",
        "number",
        "categoryCode",
        "textCharacters",
    ]
    matrix = model.encoders[Encoding.TREE].transform(data[0])
    total = sum(
        member["weight"] * lgb.Booster(model_str=archive.read(member["file"]).decode()).predict(matrix)
        for member in pipeline["members"]
    )
    np.testing.assert_allclose(np.clip(total, 0, 1), model.predict_scores(data[0]), rtol=1e-12)

    mixed = ensemble_of(["lightgbm", "random_forest"], data, ModelType.BINARY)
    assert lightgbm_refusals(mixed) == [
        "the lightgbm format holds LightGBM-only models; this ensemble also has random_forest"
    ]


def test_a_bagged_member_exports_as_its_fold_models_and_a_stacked_ensemble_is_refused() -> None:
    data = synthetic_data()
    train = data[0].iloc[:300].reset_index(drop=True)
    model = with_bagged_member(ensemble_of(["lightgbm", "linear"], data, ModelType.BINARY), train)
    assert_parity(model, data)  # the mean of the fold models, exactly

    lightgbm_only = with_bagged_member(ensemble_of(["lightgbm"], data, ModelType.BINARY), train)
    assert lightgbm_refusals(lightgbm_only) == []
    archive = zipfile.ZipFile(io.BytesIO(export_lightgbm(lightgbm_only, data[1], score_threshold=0.5)))
    pipeline = json.loads(archive.read("pipeline.json"))
    assert [member["weight"] for member in pipeline["members"]] == pytest.approx([1 / 3] * 3)

    model.stacker = Stacker(ModelType.BINARY, 2, LogisticRegression())
    assert onnx_refusals(model) == [
        "the members are combined by a stacking layer over their scores, which has no ONNX converter "
        "(a model trained with openaml.stacking set to false has none)"
    ]
    with pytest.raises(ValueError, match="stacking layer"):
        export_onnx(model, data[1], score_threshold=0.5)
    lightgbm_only.stacker = model.stacker
    assert lightgbm_refusals(lightgbm_only) == [
        "the lightgbm format holds weighted sums; this ensemble's members are combined by stacking "
        "(a model trained with openaml.stacking set to false is a weighted sum)"
    ]


def test_parity_fails_when_the_graph_scores_differently() -> None:
    data = synthetic_data()
    model = ensemble_of(["lightgbm"], data, ModelType.BINARY)
    other = ensemble_of(["linear"], without(synthetic_data(seed=1), "note"), ModelType.BINARY)
    exported = export_onnx(other, without(data, "note")[1], score_threshold=0.5)

    report = check_parity(model, exported, data[0].drop(columns="y"), score_threshold=0.5, source="test")

    assert report.label_agreement < 0.999 and not report.passed
    assert report.to_json()["passed"] is False and report.to_json()["minLabelAgreement"] == 0.999
