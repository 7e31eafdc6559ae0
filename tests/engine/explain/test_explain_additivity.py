"""Per-prediction explanations add up: base + contributions = the model's output in the stated space.

Every explained family alone (exact: TreeSHAP for LightGBM and CatBoost, the closed form for linear
models and Amazon ML's SGD model) and ensembles (in the probability space members are averaged in),
for the three model types; contributions are folded back into the input attributes.
"""

from __future__ import annotations

import numpy as np
import orjson
import pytest
from scipy.special import logit
from sklearn.linear_model import LogisticRegression
from tests.engine.automl.conftest import synthetic_data
from tests.engine.explain.conftest import INPUTS, TARGET_TYPES, ensemble_of, with_bagged_member

from openaml.engine.automl.stacking import Stacker
from openaml.engine.data.schema import AttributeType
from openaml.engine.explain import ModelExplainer, Space, parse_explain_setting
from openaml.engine.models import ModelType
from openaml.engine.sgd import train_sgd_model
from openaml.errors import InvalidInputException


def expected_outputs(scores: np.ndarray, space: Space, model_type: ModelType) -> np.ndarray:
    """The model's outputs in ``space``."""
    if model_type is ModelType.MULTICLASS:
        return np.asarray(scores.max(axis=1))
    if space is Space.LOGODDS:
        return np.asarray(logit(scores))
    return scores


CASES = [
    (families, model_type)
    for families in (["lightgbm"], ["catboost"], ["linear"], ["lightgbm", "linear", "catboost"])
    for model_type in ModelType
]


@pytest.mark.parametrize(
    ("families", "model_type"), CASES, ids=[f"{'+'.join(f)}-{t.value}" for f, t in CASES]
)
def test_contributions_add_up_to_the_output(families: list[str], model_type: ModelType) -> None:
    frame, schema = synthetic_data(rows=300, target_type=TARGET_TYPES[model_type])
    model = ensemble_of(frame.iloc[:240], schema, model_type, families)
    test = frame.iloc[240:].drop(columns=["y"]).reset_index(drop=True)
    explainer = ModelExplainer(model, INPUTS)
    assert explainer.unavailable is None

    explanations = explainer.explain_frame(test)

    scores = model.predict_scores(test)
    expected_space = {
        ModelType.REGRESSION: Space.VALUE,
        ModelType.MULTICLASS: Space.PROBABILITY,
        ModelType.BINARY: Space.LOGODDS if len(families) == 1 else Space.PROBABILITY,
    }[model_type]
    assert explanations.space is expected_space
    assert explanations.attributes == INPUTS
    assert explanations.contributions.shape == (len(test), len(INPUTS))
    np.testing.assert_allclose(
        explanations.outputs, expected_outputs(scores, expected_space, model_type), rtol=0, atol=1e-6
    )
    # The base is the model's reference output: the same for every row (but per class for MULTICLASS).
    if model_type is not ModelType.MULTICLASS:
        np.testing.assert_allclose(explanations.base, explanations.base[0], atol=1e-9)


@pytest.mark.parametrize("objective", ["poisson", "tweedie"])
def test_a_log_link_member_is_explained_in_values(objective: str) -> None:
    """A LightGBM member boosted with a Poisson or Tweedie objective attributes the log of its value;
    its explanation still adds up to the predicted value, beside a linear member's."""
    frame, schema = synthetic_data(rows=300, target_type=AttributeType.NUMERIC)
    frame["y"] = np.exp(frame["y"] / 10.0)  # a positive, skewed target such as a count or a price
    settings = {"lightgbm": {"objective": objective}}
    model = ensemble_of(frame.iloc[:240], schema, ModelType.REGRESSION, ["lightgbm", "linear"], settings)
    test = frame.iloc[240:].drop(columns=["y"]).reset_index(drop=True)
    assert getattr(model.members[0].learner, "log_link", False)

    explanations = ModelExplainer(model, INPUTS).explain_frame(test)

    assert explanations.space is Space.VALUE
    np.testing.assert_allclose(explanations.outputs, model.predict_scores(test), rtol=0, atol=1e-6)
    # The target grows with x: so does its attribution, on the value's scale.
    x = test["x"].to_numpy()
    known = ~np.isnan(x)
    contribution = explanations.contributions[known, INPUTS.index("x")]
    assert np.corrcoef(x[known], contribution)[0, 1] > 0.8


@pytest.mark.parametrize("families", [["lightgbm"], ["lightgbm", "linear"]])
@pytest.mark.parametrize("model_type", list(ModelType))
def test_a_bagged_member_is_explained_as_the_mean_of_its_fold_models(
    families: list[str], model_type: ModelType
) -> None:
    frame, schema = synthetic_data(rows=300, target_type=TARGET_TYPES[model_type])
    train = frame.iloc[:240].reset_index(drop=True)
    model = with_bagged_member(ensemble_of(train, schema, model_type, families), train)
    test = frame.iloc[240:].drop(columns=["y"]).reset_index(drop=True)
    explainer = ModelExplainer(model, INPUTS)
    assert explainer.unavailable is None

    explanations = explainer.explain_frame(test)

    # A bagged member averages its folds' probabilities, so a BINARY model is explained in that space.
    space = Space.VALUE if model_type is ModelType.REGRESSION else Space.PROBABILITY
    assert explanations.space is space
    np.testing.assert_allclose(
        explanations.outputs,
        expected_outputs(model.predict_scores(test), space, model_type),
        rtol=0,
        atol=1e-6,
    )


def test_a_stacked_ensemble_is_not_explained_and_says_why() -> None:
    frame, schema = synthetic_data(rows=200)
    model = ensemble_of(frame, schema, ModelType.BINARY, ["lightgbm", "linear"])
    model.stacker = Stacker(ModelType.BINARY, 2, LogisticRegression())

    explainer = ModelExplainer(model, INPUTS)

    assert explainer.unavailable is not None and "stacking layer" in explainer.unavailable
    with pytest.raises(ValueError, match="stacking layer"):
        explainer.explain_frame(frame.drop(columns=["y"]))


def test_records_are_explained_as_frames() -> None:
    frame, schema = synthetic_data(rows=300, target_type=AttributeType.CATEGORICAL)
    model = ensemble_of(frame.iloc[:240], schema, ModelType.MULTICLASS, ["lightgbm", "linear"])
    test = frame.iloc[240:].drop(columns=["y"]).reset_index(drop=True)
    explainer = ModelExplainer(model, INPUTS)

    from_records = explainer.explain_records(test.to_dict("records"))
    from_frame = explainer.explain_frame(test)

    np.testing.assert_allclose(from_records.contributions, from_frame.contributions, atol=1e-10)
    np.testing.assert_allclose(from_records.base, from_frame.base, atol=1e-10)


def test_text_and_category_columns_fold_into_their_attribute() -> None:
    """The note's n-grams, counts and the colour's one-hot columns come back as "note" and "colour"."""
    frame, schema = synthetic_data(rows=300)
    model = ensemble_of(frame.iloc[:240], schema, ModelType.BINARY, ["linear"])
    explanations = ModelExplainer(model, INPUTS).explain_frame(frame.iloc[240:].drop(columns=["y"]))

    top = explanations.top(0, 5)

    assert sorted(name for name, _ in top) == sorted(INPUTS)
    # The target depends on the note's words, x and the colour, not on the noise.
    importance = dict(zip(INPUTS, np.abs(explanations.contributions).mean(axis=0), strict=True))
    assert importance["note"] > importance["noise"]
    assert importance["x"] > importance["noise"]


def test_a_model_with_a_member_without_explanations_says_why() -> None:
    frame, schema = synthetic_data(rows=200)
    model = ensemble_of(frame, schema, ModelType.BINARY, ["linear", "knn"])

    explainer = ModelExplainer(model, INPUTS)

    assert explainer.unavailable is not None
    assert "knn" in explainer.unavailable


RECIPE = """
{
  "groups": {},
  "assignments": {"words": "ngram(lowercase(note), 2)"},
  "outputs": ["quantile_bin(x, 5)", "noise", "flag", "colour", "words", "cartesian(colour, flag)"]
}
"""


@pytest.mark.parametrize("model_type", list(ModelType))
def test_the_sgd_model_is_explained_exactly_over_its_recipe(model_type: ModelType) -> None:
    """Bins, n-grams and a cartesian cross (split between its two attributes) fold back."""
    frame, schema = synthetic_data(rows=300, target_type=TARGET_TYPES[model_type])
    model = train_sgd_model(
        frame.iloc[:240], schema, model_type, {"sgd.maxPasses": "3"}, recipe_text=RECIPE, statistics=None
    )
    test = frame.iloc[240:].drop(columns=["y"]).reset_index(drop=True)
    explainer = ModelExplainer(model, INPUTS)

    explanations = explainer.explain_frame(test)
    from_records = explainer.explain_records(test.to_dict("records"))

    space = {
        ModelType.BINARY: Space.LOGODDS,
        ModelType.MULTICLASS: Space.PROBABILITY,
        ModelType.REGRESSION: Space.VALUE,
    }[model_type]
    assert explanations.space is space
    np.testing.assert_allclose(
        explanations.outputs, expected_outputs(model.predict_scores(test), space, model_type), atol=1e-6
    )
    np.testing.assert_allclose(from_records.contributions, explanations.contributions, atol=1e-9)
    assert explanations.attributes == INPUTS


def test_the_compact_json_lists_the_largest_contributions() -> None:
    frame, schema = synthetic_data(rows=300)
    model = ensemble_of(frame.iloc[:240], schema, ModelType.BINARY, ["lightgbm"])
    explanations = ModelExplainer(model, INPUTS).explain_frame(frame.iloc[240:241].drop(columns=["y"]))

    document = orjson.loads(explanations.to_json(0, 2))

    assert set(document) == {"base", "space", "top"}
    assert document["space"] == "logodds"
    assert len(document["top"]) == 2
    sizes = [abs(value) for _, value in document["top"]]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] == pytest.approx(np.abs(explanations.contributions[0]).max())


@pytest.mark.parametrize(("text", "count"), [("top:5", 5), ("top=3", 3), (" TOP : 12 ", 12), ("off", 0)])
def test_the_explain_setting_reads_top_n(text: str, count: int) -> None:
    assert parse_explain_setting(text, source="openaml.explain") == count


@pytest.mark.parametrize("text", ["5", "top:0x", "top:1000", "all"])
def test_a_bad_explain_setting_is_refused(text: str) -> None:
    with pytest.raises(InvalidInputException, match=r"openaml\.explain"):
        parse_explain_setting(text, source="openaml.explain")
