"""The ``refit`` update mode: a parent's ensemble fitted again on new data, without any search.

The parent's pipeline is kept whole: the same input attributes (the parent's, read from the new
data), the same encodings (their encoders fitted afresh on the new rows, as any training fits
them), every member's family with its configuration and learned settings (boosting rounds, epochs)
and the parent's ensemble weights. Nothing is validated — there is no choice to make — so the
result has no validation score; the time budget only caps the fits (each member gets an equal share
of it, and one that fails is left out, the other weights rescaled, as in a normal run's final refit).
A refit costs what fitting the parent's members on all the new rows costs: little for linear and
boosted members (their rounds are known), most for forests and networks; a member cut short by the
budget says so on the leaderboard. A member the parent bagged (:mod:`.bagging`) is fitted as one model
on all rows (a refit has no validation folds to bag over), and a parent stacked by a logistic layer
(:mod:`.stacking`) becomes a weighted average with the parent's weights; the manifest's members record
``baggedFolds`` 0 for them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from openaml.engine.automl.budget import Budget
from openaml.engine.automl.ensemble import EnsembleModel
from openaml.engine.automl.families import Task
from openaml.engine.automl.features import Encoding
from openaml.engine.automl.lineage import ParentEnsemble
from openaml.engine.automl.parameters import AutoMLParameters
from openaml.engine.automl.result import AutoMLResult, AutoMLTimings, refit_leaderboard
from openaml.engine.automl.search import ProgressReporter
from openaml.engine.automl.targets import prepare_target
from openaml.engine.automl.training import (
    ProgressCallback,
    encode,
    member_specs,
    model_inputs,
    refit_members,
)
from openaml.engine.automl.trials import Candidate
from openaml.engine.data.schema import DataSchema
from openaml.engine.metrics import metric_for
from openaml.engine.models import ModelType
from openaml.errors import InvalidInputException


def refit_parent(
    frame: pd.DataFrame,
    schema: DataSchema,
    model_type: ModelType,
    params: AutoMLParameters,
    parent: ParentEnsemble,
    *,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> AutoMLResult:
    """Fit ``parent``'s members on the typed ``frame`` (whose ``schema`` fits the parent's, see
    :func:`~.lineage.check_compatible_schema`) and return the ensemble with the parent's weights.

    ``params`` give the seed, the metric named on the leaderboard, the group attribute left out of the
    inputs and the time budget; the search settings do not apply.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _refit(frame, schema, model_type, params, parent, progress, should_stop)


def _refit(
    frame: pd.DataFrame,
    schema: DataSchema,
    model_type: ModelType,
    params: AutoMLParameters,
    parent: ParentEnsemble,
    progress: ProgressCallback | None,
    should_stop: Callable[[], bool] | None,
) -> AutoMLResult:
    if schema.target_attribute_name is None:
        raise InvalidInputException(
            "The datasource has no targetAttributeName, so no model can be refit on it."
        )
    if not parent.members:
        raise InvalidInputException(f"MLModel {parent.ml_model_id} has no ensemble members to refit.")
    names = {attribute.name for attribute in model_inputs(parent.schema, params)}
    attributes = tuple(attribute for attribute in schema.attributes if attribute.name in names)
    budget = Budget(params.budget_for(len(frame), len(attributes)), should_stop)
    metric = metric_for(params.metric, model_type)
    frame, y, classes = prepare_target(frame, schema.target_attribute_name, model_type)
    report = ProgressReporter(budget, metric, progress)
    report("preparing")
    encoders, matrices = encode(frame, attributes, {member.encoding for member in parent.members})
    tree_encoder = encoders.get(Encoding.TREE)
    categorical = tuple(tree_encoder.categorical_indices) if tree_encoder else ()
    n_classes = 0 if model_type is ModelType.REGRESSION else int(np.max(y)) + 1
    task = Task.describe(model_type, y, n_classes, len(attributes), params.seed, categorical)
    preparation_seconds = budget.elapsed()
    candidates = [
        Candidate(
            number,
            member.family,
            dict(member.config),
            "ok",
            refit_config=dict(member.refit_config),
            refit_estimate=1.0,  # equal shares of the budget
            origin="refit",
        )
        for number, member in enumerate(parent.members)
    ]
    chosen = [
        (candidate, member.weight) for candidate, member in zip(candidates, parent.members, strict=True)
    ]
    report("refit", candidates)
    members = refit_members(chosen, matrices, y, task, budget)
    kept = {member.candidate: member for member in members}
    for candidate, spec in zip(candidates, parent.members, strict=True):
        if candidate.number not in kept:
            candidate.status, candidate.message = "failed", "its refit failed or ran out of time; left out"
        elif not kept[candidate.number].learner.complete:
            candidate.message = "cut short at the time budget (fewer trees or epochs than planned)"
        elif spec.bagged_folds:
            candidate.message = (
                f"bagged over {spec.bagged_folds} folds in the parent; refit as one model on all rows"
            )
    model = EnsembleModel(model_type, classes, {m.encoding: encoders[m.encoding] for m in members}, members)
    timings = AutoMLTimings.without_search(budget, preparation_seconds)
    return AutoMLResult(
        model=model,
        leaderboard=refit_leaderboard(candidates, {m.candidate: m.weight for m in members}),
        metric_name=metric.name,
        validation_score=None,
        validation=f"none: MLModel {parent.ml_model_id}'s ensemble refit on all rows without search",
        training_rows=len(y),
        search_rows=0,
        timings=timings,
        members=member_specs(chosen, members),
    )
