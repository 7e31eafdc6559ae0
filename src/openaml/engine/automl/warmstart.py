"""The ``warmstart`` update mode: a LightGBM parent keeps its trees and boosts more on the new data.

Only gradient boosting can continue where it stopped, so only parents whose every member is a
LightGBM model can warm-start (:func:`check_warm_startable` refuses the others before any work, and
a parent with bagged LightGBM members: each is the mean of several boosters, not one to continue).
The new trees must read the matrix the parent's trees read, so the child keeps the parent's fitted
feature encoders (categories first seen in the new data share the "other" code) and the parent's
class labels (a MULTICLASS label the parent never saw is refused).

How many trees to add is chosen like a normal run chooses rounds: each member boosts on the new
data's training part with early stopping on its holdout (the newest 20% with the parent's
``openaml.timeAttribute``, whole groups with its ``openaml.groupAttribute``, else a stratified 20%),
which also gives the child's validation score; then the parent's trees boost that many rounds on all
the new rows. Weights are the parent's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from openaml.engine.automl.budget import Budget
from openaml.engine.automl.ensemble import EnsembleMember, EnsembleModel
from openaml.engine.automl.families import FAMILIES, Task
from openaml.engine.automl.families.base import FloatArray, Labels
from openaml.engine.automl.families.lightgbm import LightGBMFamily, LightGBMLearner
from openaml.engine.automl.features import Encoding
from openaml.engine.automl.lineage import MemberSpec, ParentEnsemble
from openaml.engine.automl.parameters import AutoMLParameters
from openaml.engine.automl.result import AutoMLResult, AutoMLTimings, build_leaderboard
from openaml.engine.automl.search import ProgressReporter
from openaml.engine.automl.targets import prepare_target
from openaml.engine.automl.training import ProgressCallback, plan_validation_split
from openaml.engine.automl.trials import Candidate
from openaml.engine.data.schema import DataSchema
from openaml.engine.metrics import metric_for
from openaml.engine.models import ModelType, UpdateMode
from openaml.errors import InternalServerException, InvalidInputException

#: The families whose fitted models can continue training on new data.
WARM_STARTABLE_FAMILIES = ("lightgbm",)
_MAX_NEW_ROUNDS = 5_000


def check_warm_startable(parent: ParentEnsemble) -> None:
    """Raise ``InvalidInputException`` naming the parent's families that cannot warm-start, if any."""
    others = [family for family in parent.families() if family not in WARM_STARTABLE_FAMILIES]
    if others:
        raise InvalidInputException(
            f"openaml.updateMode={UpdateMode.WARMSTART.value} continues boosting LightGBM models only, and "
            f"MLModel {parent.ml_model_id} has members of families that cannot warm-start: "
            f"{', '.join(others)}. Use openaml.updateMode={UpdateMode.REFIT.value} or "
            f"{UpdateMode.RESEARCH.value} for it."
        )
    bagged = [str(number) for number, member in enumerate(parent.members, 1) if member.bagged_folds]
    if bagged:
        raise _bagged_refusal(parent.ml_model_id, bagged)


def _bagged_refusal(parent_id: str, members: list[str]) -> InvalidInputException:
    """The refusal of a parent with bagged LightGBM members (``members``: their positions, from 1)."""
    return InvalidInputException(
        f"openaml.updateMode={UpdateMode.WARMSTART.value} continues boosting one LightGBM model per member, "
        f"and MLModel {parent_id}'s LightGBM member(s) {', '.join(members)} are bagged (the mean of one "
        f"booster per validation fold), which cannot continue as one model. Use "
        f"openaml.updateMode={UpdateMode.REFIT.value} or {UpdateMode.RESEARCH.value} for it."
    )


def warm_start_parent(
    frame: pd.DataFrame,
    schema: DataSchema,
    model_type: ModelType,
    params: AutoMLParameters,
    parent: ParentEnsemble,
    parent_model: EnsembleModel,
    *,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> AutoMLResult:
    """Continue boosting every member of ``parent_model`` (described by ``parent``) on ``frame``."""
    check_warm_startable(parent)
    with threadpool_limits(limits=1, user_api="blas"):
        return _warm_start(frame, schema, model_type, params, parent, parent_model, progress, should_stop)


def _warm_start(
    frame: pd.DataFrame,
    schema: DataSchema,
    model_type: ModelType,
    params: AutoMLParameters,
    parent: ParentEnsemble,
    parent_model: EnsembleModel,
    progress: ProgressCallback | None,
    should_stop: Callable[[], bool] | None,
) -> AutoMLResult:
    if schema.target_attribute_name is None:
        raise InvalidInputException(
            "The datasource has no targetAttributeName, so no model can be trained on it."
        )
    specs = _matched_specs(parent, parent_model)
    bagged = [str(n) for n, (m, _) in enumerate(specs, 1) if not isinstance(m.learner, LightGBMLearner)]
    if bagged:  # a manifest that did not record them (the request-time check reads the manifest)
        raise _bagged_refusal(parent.ml_model_id, bagged)
    encoder = parent_model.encoders[Encoding.TREE]
    frame, y, classes = prepare_target(frame, schema.target_attribute_name, model_type)
    y = _parent_labels(y, classes, parent_model.classes, parent.ml_model_id)
    budget = Budget(params.budget_for(len(frame), len(schema.input_attributes)), should_stop)
    metric = metric_for(params.metric, model_type)
    report = ProgressReporter(budget, metric, progress)
    report("preparing")
    matrix = encoder.transform(frame)
    n_classes = 0 if model_type is ModelType.REGRESSION else len(parent_model.classes or ())
    task = Task.describe(
        model_type, y, n_classes, matrix.shape[1], params.seed, tuple(encoder.categorical_indices)
    )
    _check_link(specs, task, parent.ml_model_id)
    plan, _ = plan_validation_split(frame, y, model_type, params, 0)
    ((train, valid),) = plan.folds
    preparation_seconds = budget.elapsed()
    family = FAMILIES["lightgbm"]
    assert isinstance(family, LightGBMFamily)
    candidates: list[Candidate] = []
    members: list[EnsembleMember] = []
    blended: FloatArray | None = None
    for position, (member, spec) in enumerate(specs):
        assert isinstance(member.learner, LightGBMLearner), "checked above"
        candidate = Candidate(position, "lightgbm", dict(spec.config), "ok", origin="parent")
        share = budget.now() + (budget.refit_deadline - budget.now()) / (2 * (len(specs) - position))
        trial = family.continue_boosting(
            member.learner,
            matrix[train],
            y[train],
            spec.config,
            task,
            budget.limits(share),
            _MAX_NEW_ROUNDS,
            validation=(matrix[valid], y[valid]),
        )
        scores = trial.predict(matrix[valid])
        candidate.loss = metric.loss(y[valid], scores)
        blended = member.weight * scores if blended is None else blended + member.weight * scores
        report("refit", [*candidates, candidate])
        share = budget.now() + (budget.refit_deadline - budget.now()) / (len(specs) - position)
        rounds = int(trial.refit_config["rounds"])
        final = family.continue_boosting(
            member.learner, matrix, y, spec.config, task, budget.limits(share), rounds
        )
        total_rounds = final.booster.current_iteration()
        candidate.refit_config = {"rounds": total_rounds}
        candidate.message = (
            f"{rounds} rounds boosted on the new data after the parent's {total_rounds - rounds}"
        )
        candidates.append(candidate)
        members.append(EnsembleMember("lightgbm", member.weight, final, Encoding.TREE, position))
    assert blended is not None, "a parent has members"
    validation_score = metric.compute(y[valid], np.asarray(blended, dtype=np.float64))
    model = EnsembleModel(model_type, parent_model.classes, {Encoding.TREE: encoder}, members)
    timings = AutoMLTimings.without_search(budget, preparation_seconds)
    specs_out = tuple(
        MemberSpec("lightgbm", m.weight, dict(c.config), dict(c.refit_config), c.number)
        for c, m in zip(candidates, members, strict=True)
    )
    return AutoMLResult(
        model=model,
        leaderboard=build_leaderboard(candidates, {m.candidate: m.weight for m in members}, metric),
        metric_name=metric.name,
        validation_score=validation_score,
        validation=f"{plan.description} of the new data ({parent.ml_model_id}'s trees boosted further)",
        training_rows=len(y),
        search_rows=0,
        timings=timings,
        members=specs_out,
    )


def _check_link(specs: list[tuple[EnsembleMember, MemberSpec]], task: Task, parent_id: str) -> None:
    """Refuse new data with a negative target value for members boosted with a Poisson or Tweedie
    objective: their trees add to the log of the value, which no squared-error tree can continue."""
    if task.nonnegative_target or task.model_type is not ModelType.REGRESSION:
        return
    logged = [
        str(number)
        for number, (member, _) in enumerate(specs, 1)
        if isinstance(member.learner, LightGBMLearner) and member.learner.log_link
    ]
    if logged:
        raise InvalidInputException(
            f"openaml.updateMode={UpdateMode.WARMSTART.value} continues boosting with each member's own "
            f"objective, and MLModel {parent_id}'s LightGBM member(s) {', '.join(logged)} were boosted with "
            "a Poisson or Tweedie objective, which needs a target with no negative value; the new data's "
            f"target has negative values. Use openaml.updateMode={UpdateMode.REFIT.value} or "
            f"{UpdateMode.RESEARCH.value} for it."
        )


def _matched_specs(parent: ParentEnsemble, model: EnsembleModel) -> list[tuple[EnsembleMember, MemberSpec]]:
    """The loaded members with their configurations (both in the ensemble's order)."""
    if len(model.members) != len(parent.members) or any(
        member.family != spec.family for member, spec in zip(model.members, parent.members, strict=True)
    ):
        raise InternalServerException(
            f"MLModel {parent.ml_model_id}'s saved ensemble does not match its recorded members."
        )
    return [
        (dataclasses.replace(member, weight=spec.weight), spec)
        for member, spec in zip(model.members, parent.members, strict=True)
    ]


def _parent_labels(
    y: Labels, classes: tuple[str, ...] | None, parent_classes: tuple[str, ...] | None, parent_id: str
) -> Labels:
    """``y`` (indices into ``classes``) as indices into the parent's classes, which the trees predict."""
    if classes is None or parent_classes is None or classes == parent_classes:
        return y
    unknown = [label for label in classes if label not in parent_classes]
    if unknown:
        raise InvalidInputException(
            f"The new data has classes MLModel {parent_id} never saw ({', '.join(unknown[:10])}); "
            f"a warm start keeps the parent's classes. Use openaml.updateMode={UpdateMode.REFIT.value} or "
            f"{UpdateMode.RESEARCH.value}."
        )
    mapping = np.array([parent_classes.index(label) for label in classes], dtype=np.int64)
    result: Labels = mapping[y]
    return result
