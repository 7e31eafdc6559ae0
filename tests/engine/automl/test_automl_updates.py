"""Training from a parent model: refit without search, research seeded with the parent's
configurations, and the LightGBM warm start (small synthetic data, budgets of a few seconds)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from openaml.engine.automl import AutoMLParameters, train_automl
from openaml.engine.automl.families import FAMILIES
from openaml.engine.automl.families.base import Task
from openaml.engine.automl.lineage import (
    MemberSpec,
    ParentEnsemble,
    check_compatible_schema,
    members_from_leaderboard,
)
from openaml.engine.automl.refit import refit_parent
from openaml.engine.automl.warmstart import check_warm_startable, warm_start_parent
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.models import ModelType
from openaml.errors import InvalidInputException

from .conftest import TypedData

TARGETS = {
    ModelType.BINARY: AttributeType.BINARY,
    ModelType.MULTICLASS: AttributeType.CATEGORICAL,
    ModelType.REGRESSION: AttributeType.NUMERIC,
}
#: Learned settings small enough for quick fits.
_REFIT_SETTINGS = {"lightgbm": {"rounds": 20}, "catboost": {"rounds": 20}, "mlp": {"epochs": 5}}


def _every_family(model_type: ModelType) -> ParentEnsemble:
    """A parent ensemble with one member of every family, each in its first portfolio configuration."""
    task = Task(model_type, 3 if model_type is ModelType.MULTICLASS else 2, 300, 5, 0)
    names = list(FAMILIES)
    members = tuple(
        MemberSpec(
            name,
            1.0 / len(names),
            FAMILIES[name].portfolio(task)[0],
            _REFIT_SETTINGS.get(name, {}),
            number,
        )
        for number, name in enumerate(names)
    )
    schema = DataSchema(
        attributes=(
            Attribute("x", AttributeType.NUMERIC),
            Attribute("noise", AttributeType.NUMERIC),
            Attribute("colour", AttributeType.CATEGORICAL),
            Attribute("flag", AttributeType.BINARY),
            Attribute("note", AttributeType.TEXT),
            Attribute("y", TARGETS[model_type]),
        ),
        target_attribute_name="y",
    )
    return ParentEnsemble("parent", schema, members)


@pytest.mark.parametrize("model_type", list(ModelType))
def test_refit_fits_every_family_of_the_parent_again_without_search(
    synthetic: Callable[..., TypedData], model_type: ModelType
) -> None:
    parent = _every_family(model_type)
    frame, schema = synthetic(rows=300, seed=1, target_type=TARGETS[model_type])
    # The budget only caps a refit: generous, so that no member is cut short on a busy machine.
    result = refit_parent(frame, schema, model_type, AutoMLParameters(time_budget_seconds=120), parent)

    assert [m.family for m in result.members] == [m.family for m in parent.members]
    assert [m.fit_config for m in result.members] == [m.fit_config for m in parent.members]
    assert [round(m.weight, 6) for m in result.members] == [round(m.weight, 6) for m in parent.members]
    assert len(result.leaderboard) == len(parent.members)  # one fit per member: nothing searched
    assert {entry["origin"] for entry in result.leaderboard} == {"refit"}
    assert result.timings.search_seconds == 0.0 and result.validation_score is None
    scores = result.model.predict_scores(frame)
    assert np.isfinite(scores).all() and len(scores) == len(frame)


def test_refit_keeps_the_parents_configurations_and_learns_new_values(
    synthetic: Callable[..., TypedData],
) -> None:
    old, schema = synthetic(rows=400, seed=0)
    params = AutoMLParameters(time_budget_seconds=4, algorithms=("linear", "lightgbm", "mlp"), max_trials=6)
    parent_result = train_automl(old, schema, ModelType.BINARY, params)
    parent = ParentEnsemble("parent", schema, parent_result.members)
    new, _ = synthetic(rows=400, seed=5)
    new["y"] = 1.0 - new["y"]  # the world changed: what was 1 is now 0

    child = refit_parent(new, schema, ModelType.BINARY, AutoMLParameters(time_budget_seconds=120), parent)

    assert [(m.family, m.config, m.refit_config) for m in child.members] == [
        (m.family, m.config, m.refit_config) for m in parent.members
    ]
    before, after = parent_result.model.predict_scores(new), child.model.predict_scores(new)
    assert np.corrcoef(before, after)[0, 1] < 0  # fitted on the new data, not copied
    assert len(child.leaderboard) == len(parent.members) < len(parent_result.leaderboard)


def test_research_tries_the_parents_configurations_first(synthetic: Callable[..., TypedData]) -> None:
    frame, schema = synthetic(rows=300, seed=2)
    start = (
        MemberSpec("lightgbm", 0.7, FAMILIES["lightgbm"].portfolio(Task(ModelType.BINARY, 2, 300, 5, 0))[2]),
        MemberSpec("linear", 0.3, {"C": 0.5, "class_weight": "none"}),
    )
    params = AutoMLParameters(time_budget_seconds=10, algorithms=("linear", "lightgbm"), max_trials=2)
    result = train_automl(frame, schema, ModelType.BINARY, params, start_from=start)

    tried = [(entry["family"], entry["parameters"], entry["origin"]) for entry in result.leaderboard]
    assert sorted(tried, key=str) == sorted(
        [(m.family, m.config | _rounds(tried, m.family), "parent") for m in start], key=str
    )


def test_research_goes_on_to_the_portfolio_without_repeating_a_parent_configuration(
    synthetic: Callable[..., TypedData],
) -> None:
    frame, schema = synthetic(rows=300, seed=2)
    portfolio = FAMILIES["linear"].portfolio(Task(ModelType.BINARY, 2, 300, 5, 0))
    start = (MemberSpec("linear", 1.0, portfolio[1]),)
    params = AutoMLParameters(time_budget_seconds=10, algorithms=("linear",), max_trials=len(portfolio))
    result = train_automl(frame, schema, ModelType.BINARY, params, start_from=start)

    origins = sorted((entry["origin"], entry["parameters"]["C"]) for entry in result.leaderboard)
    assert origins == sorted(
        [("parent", portfolio[1]["C"])]
        + [("portfolio", config["C"]) for config in portfolio if config != portfolio[1]]
    )


def _rounds(tried: list[tuple[str, dict[str, object], str]], family: str) -> dict[str, object]:
    """The learned settings the leaderboard adds to a configuration (boosting rounds)."""
    parameters = next(parameters for name, parameters, _ in tried if name == family)
    return {key: parameters[key] for key in ("rounds",) if key in parameters}


def test_warm_start_adds_trees_to_the_parents_boosters(synthetic: Callable[..., TypedData]) -> None:
    old, schema = synthetic(rows=400, seed=0, target_type=AttributeType.NUMERIC)
    # One trial: with the derived portfolio's second configuration (5 leaves, rate 0.23) early stopping
    # keeps a single new round on this data, too few to follow the drift below.
    params = AutoMLParameters(
        time_budget_seconds=4, algorithms=("lightgbm",), max_trials=1, bagging=False, stacking=False
    )
    parent_result = train_automl(old, schema, ModelType.REGRESSION, params)
    parent = ParentEnsemble("parent", schema, parent_result.members)
    new, _ = synthetic(rows=400, seed=6, target_type=AttributeType.NUMERIC)
    new["y"] = new["y"] + 50.0  # drift: every value moved up

    child = warm_start_parent(new, schema, ModelType.REGRESSION, params, parent, parent_result.model)

    trees_before = [m.learner.booster.num_trees() for m in parent_result.model.members]
    trees_after = [m.learner.booster.num_trees() for m in child.model.members]
    assert all(after > before for before, after in zip(trees_before, trees_after, strict=True))
    assert child.model.encoders == parent_result.model.encoders  # the trees read the parent's matrix
    error_before = np.abs(parent_result.model.predict_scores(new) - new["y"]).mean()
    error_after = np.abs(child.model.predict_scores(new) - new["y"]).mean()
    assert error_after < error_before / 2
    assert child.validation_score is not None and child.members[0].refit_config["rounds"] == trees_after[0]


@pytest.mark.parametrize("families", [("mlp",), ("linear", "lightgbm")])
def test_warm_start_is_refused_for_families_that_cannot_continue(families: tuple[str, ...]) -> None:
    schema = _every_family(ModelType.BINARY).schema
    members = tuple(MemberSpec(name, 1.0 / len(families), {}) for name in families)
    with pytest.raises(InvalidInputException) as error:
        check_warm_startable(ParentEnsemble("churn.v1", schema, members))
    message = str(error.value)
    assert "churn.v1" in message and "lightgbm" not in message.split("warm-start:")[1]
    assert all(name in message for name in families if name != "lightgbm")


def test_a_schema_without_the_parents_attributes_is_refused_with_what_is_missing() -> None:
    parent_schema = _every_family(ModelType.BINARY).schema
    smaller = DataSchema(
        attributes=(
            Attribute("x", AttributeType.CATEGORICAL),
            Attribute("flag", AttributeType.BINARY),
            Attribute("y", AttributeType.BINARY),
        ),
        target_attribute_name="y",
    )
    with pytest.raises(InvalidInputException) as error:
        check_compatible_schema(parent_schema, smaller, "p1", "ds-new")
    message = str(error.value)
    assert "missing attributes: noise, colour, note" in message
    assert "x (NUMERIC in the parent, CATEGORICAL here)" in message and "ds-new" in message


def test_members_are_read_back_from_an_older_models_leaderboard() -> None:
    leaderboard = [
        {"rank": 2, "family": "linear", "parameters": {"C": 1.0}, "ensembleWeight": 0.25},
        {
            "rank": 1,
            "family": "lightgbm",
            "parameters": {"num_leaves": 8, "rounds": 40},
            "ensembleWeight": 0.75,
        },
        {"rank": 3, "family": "mlp", "parameters": {"alpha": 0.1}, "ensembleWeight": 0.0},
    ]
    members = members_from_leaderboard(leaderboard)
    assert [(m.family, m.config, m.refit_config, m.weight) for m in members] == [
        ("lightgbm", {"num_leaves": 8}, {"rounds": 40}, 0.75),
        ("linear", {"C": 1.0}, {}, 0.25),
    ]
    assert MemberSpec.from_dict(members[0].to_dict()) == members[0]


def test_a_poisson_parent_warm_starts_on_counts_and_is_refused_for_negative_targets(
    synthetic: Callable[..., TypedData],
) -> None:
    """A member boosted with the Poisson objective continues with it; new data with a negative target
    value cannot continue its log-value trees, and the refusal says what to use instead."""
    old, schema = synthetic(rows=400, seed=0, target_type=AttributeType.NUMERIC)
    old["y"] = np.exp(old["y"] / 10.0)
    config = FAMILIES["lightgbm"].portfolio(Task(ModelType.REGRESSION, 0, 400, 5, 0))[0]
    spec = MemberSpec("lightgbm", 1.0, config | {"objective": "poisson"}, {"rounds": 50}, 0)
    params = AutoMLParameters(time_budget_seconds=120)
    first = ParentEnsemble("p", schema, (spec,))
    parent_result = refit_parent(old, schema, ModelType.REGRESSION, params, first)
    parent = ParentEnsemble("counts.v1", schema, parent_result.members)
    assert parent_result.model.members[0].learner.log_link

    new, _ = synthetic(rows=400, seed=6, target_type=AttributeType.NUMERIC)
    new["y"] = np.exp(new["y"] / 10.0)
    child = warm_start_parent(new, schema, ModelType.REGRESSION, params, parent, parent_result.model)
    assert child.model.members[0].learner.log_link and (child.model.predict_scores(new) > 0).all()

    new["y"] = new["y"] - 2.0
    with pytest.raises(InvalidInputException, match=r"counts\.v1.*Poisson or Tweedie.*refit"):
        warm_start_parent(new, schema, ModelType.REGRESSION, params, parent, parent_result.model)


def test_a_multiclass_warm_start_keeps_the_parents_classes(synthetic: Callable[..., TypedData]) -> None:
    old, schema = synthetic(rows=400, seed=0, target_type=AttributeType.CATEGORICAL)
    params = AutoMLParameters(
        time_budget_seconds=4, algorithms=("lightgbm",), max_trials=1, bagging=False, stacking=False
    )
    parent_result = train_automl(old, schema, ModelType.MULTICLASS, params)
    parent = ParentEnsemble("parent", schema, parent_result.members)
    new, _ = synthetic(rows=400, seed=7, target_type=AttributeType.CATEGORICAL)
    without_high = new[new["y"] != "high"].reset_index(drop=True)

    child = warm_start_parent(without_high, schema, ModelType.MULTICLASS, params, parent, parent_result.model)
    assert child.model.classes == parent_result.model.classes
    assert child.model.predict_scores(new).shape == (len(new), len(parent_result.model.classes or ()))

    new.loc[0, "y"] = "unheard-of"
    with pytest.raises(InvalidInputException, match="never saw \\(unheard-of\\)"):
        warm_start_parent(new, schema, ModelType.MULTICLASS, params, parent, parent_result.model)


def test_a_parent_with_bagged_members_is_refused_for_warm_start_and_refit_as_plain_members(
    synthetic: Callable[..., TypedData],
) -> None:
    old, schema = synthetic(rows=400, seed=0, target_type=AttributeType.NUMERIC)
    params = AutoMLParameters(
        time_budget_seconds=4, algorithms=("lightgbm",), max_trials=2, validation_folds=3, stacking=False
    )
    parent_result = train_automl(old, schema, ModelType.REGRESSION, params)
    assert all(member.bagged_folds == 3 for member in parent_result.members)
    stored = tuple(MemberSpec.from_dict(member.to_dict()) for member in parent_result.members)
    assert stored == parent_result.members  # the manifest keeps baggedFolds
    parent = ParentEnsemble("bagged.v1", schema, stored)
    new, _ = synthetic(rows=400, seed=6, target_type=AttributeType.NUMERIC)

    with pytest.raises(InvalidInputException, match=r"bagged\.v1's LightGBM member\(s\) 1.* are bagged"):
        check_warm_startable(parent)
    unrecorded = ParentEnsemble(
        "bagged.v1", schema, tuple(MemberSpec("lightgbm", m.weight, m.config) for m in stored)
    )
    with pytest.raises(InvalidInputException, match="are bagged"):  # the loaded model is checked too
        warm_start_parent(new, schema, ModelType.REGRESSION, params, unrecorded, parent_result.model)

    child = refit_parent(new, schema, ModelType.REGRESSION, AutoMLParameters(time_budget_seconds=120), parent)
    assert [m.bagged_folds for m in child.members] == [0] * len(parent.members)
    assert all("bagged over 3 folds in the parent" in entry["message"] for entry in child.leaderboard)
