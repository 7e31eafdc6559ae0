"""One AutoML run: prepare the target, search, select an ensemble, refit it on all rows.

The steps, all inside one time budget (see :mod:`.budget`):

1. Rows without a target are dropped; BINARY targets must be 0/1, MULTICLASS labels become class
   indices (numeric-looking labels in numeric order, others alphabetically).
2. Data above the search row limit is subsampled (stratified) for the search; validation is planned
   (group- or time-aware when ``openaml.groupAttribute`` or ``openaml.timeAttribute`` is given).
3. One feature encoder per encoding is fitted on the search rows (unsupervised, so shared by all
   validation folds).
4. :class:`~.search.Search` tries the portfolio and tunes the best families.
5. Greedy ensemble selection over the kept validation scores, within the time left for refits;
   members are bagged where that applies (:mod:`.bagging`), and one stacking layer
   (:mod:`.stacking`) replaces the weighted average when it validates clearly better and every
   member is bagged (or out-of-bag).
6. The members that are not bagged are refit on all rows (re-encoded first if the search saw a
   subsample; on as many rows as fit the time left when not all do, see :mod:`.scaling`); a refit
   that reaches the refit deadline keeps the part it has trained.

Large data comes as a compact Arrow table (:class:`~.table.TrainingTable`): only the search sample
becomes a pandas frame, and the refit's matrix is encoded from the table chunk by chunk as float32.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
from threadpoolctl import threadpool_limits

from openaml.engine.automl.bagging import BaggedLearner, bagging_applies
from openaml.engine.automl.budget import Budget, FitLimits
from openaml.engine.automl.dispatch import SearchCluster
from openaml.engine.automl.distributed_fit import MemberFit, cluster_refit
from openaml.engine.automl.ensemble import EnsembleMember, EnsembleModel, select_ensemble
from openaml.engine.automl.families import FAMILIES, Config, Family, FittedLearner, Task
from openaml.engine.automl.families.base import FloatArray, Labels
from openaml.engine.automl.features import MAX_TREE_TEXT_ROWS, Encoding, FeatureEncoder, Matrix
from openaml.engine.automl.lineage import MemberSpec
from openaml.engine.automl.parameters import AutoMLParameters
from openaml.engine.automl.result import AutoMLResult, AutoMLTimings, build_leaderboard
from openaml.engine.automl.scaling import (
    families_that_scale,
    plan_refit_rows,
    refit_rows_note,
    refits_on_all_rows,
    sample_refit_notes,
)
from openaml.engine.automl.search import ProgressReporter, Search, SearchSetup
from openaml.engine.automl.stacking import Stacker, fit_stacker
from openaml.engine.automl.table import (
    TrainingTable,
    encode_table,
    rows_frame,
    table_encoding_seconds_per_row,
)
from openaml.engine.automl.targets import prepare_table_target, prepare_target
from openaml.engine.automl.trials import Candidate
from openaml.engine.automl.validation import (
    ValidationPlan,
    check_validation_attributes,
    choose_folds,
    plan_group_validation,
    plan_time_validation,
    plan_validation,
    stratified_sample,
)
from openaml.engine.data.ingest import numbers_as_float32, table_frame
from openaml.engine.data.schema import Attribute, DataSchema
from openaml.engine.metrics import Metric, metric_for
from openaml.engine.models import ModelType, TrainingCancelled, TrainingProgress
from openaml.errors import InternalServerException, InvalidInputException

_log = logging.getLogger(__name__)

_ENCODING_SAFETY = 1.5
_REFIT_SAFETY = 1.25

ProgressCallback = Callable[[TrainingProgress], None]


def train_automl(
    frame: pd.DataFrame | TrainingTable,
    schema: DataSchema,
    model_type: ModelType,
    params: AutoMLParameters,
    *,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
    start_from: Sequence[MemberSpec] = (),
    cluster: SearchCluster | None = None,
) -> AutoMLResult:
    """Train an ensemble for ``schema``'s target on the typed ``frame`` within the time budget.

    ``frame`` is a typed frame, or a compact table (:class:`~.table.TrainingTable`, the memory-lean
    path of large data) that the run takes over and releases once its matrices are built.

    ``start_from`` (a parent model's members, best first) are the first configurations the search
    tries, each as its family's first trial (the ``research`` update mode). With ``cluster`` the
    search's trials run on a Dask cluster and a large LightGBM refit may too (:mod:`.dispatch`,
    :mod:`.distributed_fit`); without it everything runs in this process.

    Raises ``InvalidInputException`` for targets that do not fit ``model_type`` or a metric that
    does not apply, and :class:`~openaml.engine.models.TrainingCancelled` when ``should_stop()``
    turns true. ``clock`` is the budget's clock (tests simulate time with it).
    """
    # Multi-threaded BLAS is many times slower than one thread on a busy machine (measured 10x for
    # logistic regression on 2 shared cores); tree learners get their threads explicitly instead.
    with threadpool_limits(limits=1, user_api="blas"):
        return _train(frame, schema, model_type, params, progress, should_stop, clock, start_from, cluster)


def _train(
    data: pd.DataFrame | TrainingTable,
    schema: DataSchema,
    model_type: ModelType,
    params: AutoMLParameters,
    progress: ProgressCallback | None,
    should_stop: Callable[[], bool] | None,
    clock: Callable[[], float],
    start_from: Sequence[MemberSpec],
    cluster: SearchCluster | None = None,
) -> AutoMLResult:
    rows = data.num_rows if isinstance(data, TrainingTable) else len(data)
    budget = Budget(params.budget_for(rows, len(schema.input_attributes)), should_stop, clock)
    if schema.target_attribute_name is None:
        raise InvalidInputException(
            "The datasource has no targetAttributeName, so no model can be trained on it."
        )
    attributes = model_inputs(schema, params)
    metric = metric_for(params.metric, model_type)
    table: pa.Table | None = None
    if isinstance(data, TrainingTable):
        table, y, classes = prepare_table_target(data.take(), schema.target_attribute_name, model_type)
        search_rows = stratified_sample(y, model_type, params.search_row_limit, params.seed)
        if len(search_rows) < len(y):  # large: the table stays, its numbers as float32
            table = numbers_as_float32(table, schema)
            search_frame = rows_frame(table, search_rows)
        else:  # small enough for the frame path
            search_frame, table = table_frame(table), None
        frame = search_frame
    else:
        frame, y, classes = prepare_target(data, schema.target_attribute_name, model_type)
        search_rows = stratified_sample(y, model_type, params.search_row_limit, params.seed)
        search_frame = frame.iloc[search_rows] if len(search_rows) < len(y) else frame
    del data
    report = ProgressReporter(budget, metric, progress)
    report("preparing")
    inputs = _prepare_search(search_frame, search_rows, y, attributes, model_type, params, budget, metric)
    del search_frame
    encoding_per_row = inputs.encoding_seconds / max(len(search_rows), 1)
    fixed_reserve = inputs.setup.fixed_reserve
    if table is not None:  # the refit's rows are encoded from the table: time that on a chunk
        refit_encodings = {
            family.encoding
            for family in inputs.setup.families
            if family.max_refit_rows is None or len(y) <= family.max_refit_rows
        }
        encoding_per_row = table_encoding_seconds_per_row(
            table, {encoding: inputs.encoders[encoding] for encoding in refit_encodings}
        )
        fixed_reserve = encoding_per_row * len(y) * _ENCODING_SAFETY
    setup = dataclasses.replace(
        inputs.setup,
        start_from=tuple((member.family, member.config) for member in start_from),
        fixed_reserve=fixed_reserve,
    )
    notes = inputs.notes
    preparation_seconds = budget.elapsed()

    search = Search(setup, report, cluster)
    candidates = search.run()
    split_check = search.split_check
    search_deadline_at = search.search_deadline() - budget.start
    reserved = search.reserve_seconds()
    search_seconds = budget.elapsed() - preparation_seconds

    report("ensemble", candidates)
    chosen, validation_score, blend_loss = _choose_ensemble(
        candidates, setup.y[setup.plan.validation_rows], metric, setup
    )
    stacked = _stack(chosen, setup, blend_loss) if params.stacking else None
    if stacked is not None:
        validation_score = metric.from_loss(stacked[1])
    ensemble_seconds = budget.elapsed() - preparation_seconds - search_seconds

    report("refit", candidates)
    encoders, matrices, task, plan = inputs.encoders, setup.matrices, setup.task, setup.plan
    sample = (setup.matrices, setup.y)
    del inputs, setup, search
    refit_y = y
    if len(y) > task.n_rows:  # the search saw a subsample: encode the refit's rows
        refit_rows = plan_refit_rows(chosen, len(y), task.n_rows, encoding_per_row, budget)
        if refit_rows < len(y):
            notes += (refit_rows_note(refit_rows, len(y)),)
            rows = stratified_sample(y, model_type, refit_rows, params.seed)
            refit_y = y[rows]
            if table is not None:
                table = table.take(pa.array(rows, type=pa.int64()))
            else:
                frame = frame.iloc[rows]
        full = {FAMILIES[c.family].encoding for c, _ in chosen if refits_on_all_rows(c, len(refit_y))}
        started = budget.now()
        if table is not None:  # the search's encoders, chunk by chunk; then the table goes
            matrices = encode_table(table, {encoding: encoders[encoding] for encoding in full})
            del table
        else:
            refitted, matrices = encode(frame, attributes, full)
            encoders = encoders | refitted
        _log.info("AutoML encoded %d rows for the refit in %.1f s", len(refit_y), budget.now() - started)
    del frame
    searched_rows = task.n_rows
    task = dataclasses.replace(task, n_rows=len(refit_y))
    fit = cluster_refit(cluster) if cluster is not None else None
    members = refit_members(chosen, matrices, refit_y, task, budget, sample=sample, fit=fit)
    del matrices, sample
    stacker = stacked[0] if stacked is not None and len(members) == len(chosen) else None
    model = EnsembleModel(
        model_type, classes, {m.encoding: encoders[m.encoding] for m in members}, members, stacker
    )
    timings = AutoMLTimings(
        budget_seconds=budget.seconds,
        preparation_seconds=preparation_seconds,
        search_seconds=search_seconds,
        ensemble_seconds=ensemble_seconds,
        refit_seconds=budget.elapsed() - preparation_seconds - search_seconds - ensemble_seconds,
        total_seconds=budget.elapsed(),
        search_deadline_at=search_deadline_at,
        refit_deadline_at=budget.refit_deadline - budget.start,
        reserved_refit_seconds=reserved,
        estimated_refit_seconds=sum(candidate.refit_cost for candidate, _ in chosen),
    )
    return AutoMLResult(
        model=model,
        leaderboard=build_leaderboard(
            candidates,
            {m.candidate: m.weight for m in members},
            metric,
            {m.candidate: m.learner.folds for m in members if isinstance(m.learner, BaggedLearner)},
        ),
        ensemble=_describe_ensemble(members, stacker),
        metric_name=metric.name,
        validation_score=validation_score,
        validation=plan.description,
        training_rows=len(y),
        search_rows=searched_rows,
        timings=timings,
        warnings=notes
        + tuple(filter(None, [split_check.warning(plan.description) if split_check else None])),
        split_check=split_check.to_dict() if split_check else None,
        members=member_specs(chosen, members),
    )


def member_specs(
    chosen: list[tuple[Candidate, float]], members: list[EnsembleMember]
) -> tuple[MemberSpec, ...]:
    """The refit members as configuration, in the ensemble's order, with their final weights."""
    by_number = {candidate.number: candidate for candidate, _ in chosen}
    return tuple(
        MemberSpec(
            family=member.family,
            weight=member.weight,
            config=dict(by_number[member.candidate].config),
            refit_config=dict(by_number[member.candidate].refit_config),
            candidate=member.candidate,
            bagged_folds=member.learner.folds if isinstance(member.learner, BaggedLearner) else 0,
        )
        for member in members
    )


@dataclass(frozen=True)
class _SearchInputs:
    """What the search works on, and the encoders it was fitted with."""

    setup: SearchSetup
    encoders: dict[Encoding, FeatureEncoder]
    #: Why families were left out (shown with the leaderboard's warnings).
    notes: tuple[str, ...] = ()
    #: Seconds fitting the encoders and encoding the search rows took.
    encoding_seconds: float = 0.0


def _prepare_search(
    search_frame: pd.DataFrame,
    search_rows: npt.NDArray[np.int64],
    y: Labels,
    attributes: tuple[Attribute, ...],
    model_type: ModelType,
    params: AutoMLParameters,
    budget: Budget,
    metric: Metric,
) -> _SearchInputs:
    """Fit the encoders on the search rows (``search_frame``, the rows ``search_rows`` of all rows'
    target ``y``) and plan the validation."""
    subsampled = len(search_rows) < len(y)
    families, notes = families_that_scale([FAMILIES[name] for name in params.algorithms], len(y))
    notes += sample_refit_notes(families, attributes, len(y), len(search_rows))
    started = time.monotonic()
    text_vocabulary = len(y) <= MAX_TREE_TEXT_ROWS
    encodings = {family.encoding for family in families}
    encoders, matrices = encode(search_frame, attributes, encodings, text_vocabulary=text_vocabulary)
    encoding_seconds = time.monotonic() - started
    y_search = y[search_rows]
    tree_encoder = encoders.get(Encoding.TREE)
    categorical = tuple(tree_encoder.categorical_indices) if tree_encoder else ()
    n_classes = 0 if model_type is ModelType.REGRESSION else int(np.max(y)) + 1
    task = Task.describe(model_type, y_search, n_classes, len(attributes), params.seed, categorical)
    folds = choose_folds(len(y_search), len(attributes), params.validation_folds)
    plan, random_split = plan_validation_split(search_frame, y_search, model_type, params, folds)
    refit_scale = len(y) / len(y_search)
    bagging = bagging_applies(
        enabled=params.bagging, cross_validation=plan.is_cross_validation, subsampled=subsampled
    )
    setup = SearchSetup(
        families=[family for family in families if family.applicable(task)] or families,
        task=task,
        plan=plan,
        matrices=matrices,
        y=y_search,
        metric=metric,
        budget=budget,
        max_trials=params.max_trials,
        max_ensemble_size=params.max_ensemble_size,
        max_serving_cost=params.max_serving_cost,
        refit_scale=refit_scale,
        fixed_reserve=encoding_seconds * refit_scale * _ENCODING_SAFETY if subsampled else 0.0,
        random_split=random_split,
        bagging=bagging,
        halving=subsampled,
    )
    return _SearchInputs(setup, encoders, notes, encoding_seconds)


def model_inputs(schema: DataSchema, params: AutoMLParameters) -> tuple[Attribute, ...]:
    """The attributes the models learn from: the schema's inputs less the group attribute.

    Raises ``InvalidInputException`` when a group or time attribute is not an attribute of the schema
    other than the target. (Either may be an attribute excluded from the inputs.)
    """
    check_validation_attributes(schema, params.group_attribute, params.time_attribute)
    attributes = tuple(a for a in schema.input_attributes if a.name != params.group_attribute)
    if not attributes:
        raise InvalidInputException("The data schema has no input attributes to learn from.")
    return attributes


def plan_validation_split(
    frame: pd.DataFrame, y: Labels, model_type: ModelType, params: AutoMLParameters, folds: int
) -> tuple[ValidationPlan, ValidationPlan | None]:
    """The validation plan and, when it keeps groups or time apart, a random holdout to compare."""
    seed = params.seed
    if params.group_attribute is not None:
        groups = _column(frame, params.group_attribute)
        plan = plan_group_validation(groups, folds, seed, params.group_attribute)
    elif params.time_attribute is not None:
        plan = plan_time_validation(_column(frame, params.time_attribute), params.time_attribute)
    else:
        return plan_validation(y, model_type, folds, seed), None
    return plan, plan_validation(y, model_type, 0, seed)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].reset_index(drop=True)
    return pd.Series([None] * len(frame), dtype=object)


def encode(
    frame: pd.DataFrame,
    attributes: tuple[Attribute, ...],
    encodings: set[Encoding],
    *,
    text_vocabulary: bool = True,
) -> tuple[dict[Encoding, FeatureEncoder], dict[Encoding, Matrix]]:
    """Encoders for ``encodings`` fitted on ``frame``, and ``frame``'s matrix in each encoding
    (``text_vocabulary``: see :class:`FeatureEncoder`)."""
    encoders = {
        encoding: FeatureEncoder(attributes, encoding, text_vocabulary=text_vocabulary).fit(frame)
        for encoding in sorted(encodings)
    }
    return encoders, {encoding: encoder.transform(frame) for encoding, encoder in encoders.items()}


def _encodings(chosen: list[tuple[Candidate, float]]) -> list[Encoding]:
    return list(dict.fromkeys(FAMILIES[candidate.family].encoding for candidate, _ in chosen))


def _choose_ensemble(
    candidates: list[Candidate], y_valid: Labels, metric: Metric, setup: SearchSetup
) -> tuple[list[tuple[Candidate, float]], float, float]:
    """The ensemble members with their weights, best first, the ensemble's validation score and loss.

    Selection runs with the members' own serving costs and the refit time left; the members are then
    bagged where the serving-cost limit allows (:meth:`SearchSetup.mark_bagged`). When bagging
    applies and there is time, selection also runs a second time as if every candidate that can be
    bagged were bagged (k times its serving cost, no refit time): that ensemble is taken when it
    validates better — typically when refits no longer fit in the time left.
    """
    pool = sorted((c for c in candidates if c.ok and c.predictions is not None), key=Candidate.rank_key)
    if not pool:
        _raise_no_candidate(candidates)
    predictions = [
        candidate.predictions.astype(np.float64) for candidate in pool if candidate.predictions is not None
    ]
    folds = len(setup.plan.folds)
    started = setup.budget.now()
    time_left = setup.budget.end - started - setup.fixed_reserve
    refit_costs = [candidate.refit_cost for candidate in pool]
    serving = [FAMILIES[candidate.family].serving_cost for candidate in pool]
    weights = _select(predictions, y_valid, metric, setup, refit_costs, time_left, serving)
    loss = _blend_loss(predictions, weights, y_valid, metric)
    all_bagged = False
    selection_seconds = setup.budget.now() - started
    refits = sum(refit_costs[index] for index in weights)
    if setup.bagging and time_left - selection_seconds * _REFIT_SAFETY > refits * _REFIT_SAFETY:
        bagged_weights = _select(
            predictions,
            y_valid,
            metric,
            setup,
            [0.0 if c.baggable else c.refit_cost for c in pool],
            time_left - selection_seconds,
            [cost * folds if c.baggable else cost for c, cost in zip(pool, serving, strict=True)],
        )
        bagged_loss = _blend_loss(predictions, bagged_weights, y_valid, metric)
        if bagged_loss < loss:
            weights, loss, all_bagged = bagged_weights, bagged_loss, True
    chosen = [(pool[index], weight) for index, weight in sorted(weights.items())]
    for candidate in pool:
        candidate.bagged = False
    if all_bagged:
        for candidate, _ in chosen:
            candidate.bagged = candidate.baggable
    else:
        setup.mark_bagged([candidate for candidate, _ in chosen])
    return chosen, metric.from_loss(loss), loss


def _select(
    predictions: list[FloatArray],
    y_valid: Labels,
    metric: Metric,
    setup: SearchSetup,
    refit_costs: list[float],
    time_left: float,
    serving_costs: list[float],
) -> dict[int, float]:
    return select_ensemble(
        predictions,
        y_valid,
        metric,
        max_members=setup.max_ensemble_size,
        costs=refit_costs,
        cost_limit=max(time_left, 0.0),
        serving_costs=serving_costs,
        serving_cost_limit=setup.max_serving_cost,
    )


def _blend_loss(predictions: list[FloatArray], weights: dict[int, float], y: Labels, metric: Metric) -> float:
    blended = np.asarray(sum(weight * predictions[index] for index, weight in weights.items()), np.float64)
    return metric.loss(y, blended)


def _stack(
    chosen: list[tuple[Candidate, float]], setup: SearchSetup, blend_loss: float
) -> tuple[Stacker, float] | None:
    """The stacking layer over the members' validation scores, if it beats the blend in the time left
    before the refits (see :mod:`.stacking`).

    Only when every member serves the model its validation scores came from (bagged, or an
    out-of-bag forest already fitted on all rows): a member refit on all rows scores new records
    more confidently than its out-of-fold scores, so a stacker learned on those would be applied to
    inputs unlike the ones it was fitted on (why AutoGluon, too, stacks only bagged models). Never
    over one member: that would only recalibrate it, and a one-member model stays that member
    (explainable, exportable)."""
    if len(chosen) < 2:
        return None
    if not all(candidate.bagged or candidate.final_learner is not None for candidate, _ in chosen):
        return None
    refits = sum(candidate.refit_cost for candidate, _ in chosen)
    deadline = setup.budget.end - setup.fixed_reserve - refits * _REFIT_SAFETY
    if any(candidate.predictions is None for candidate, _ in chosen):
        return None
    try:
        return fit_stacker(
            [
                candidate.predictions.astype(np.float64)
                for candidate, _ in chosen
                if candidate.predictions is not None
            ],
            setup.y[setup.plan.validation_rows],
            setup.metric,
            setup.task.model_type,
            setup.task.n_classes,
            blend_loss,
            setup.task.seed,
            lambda: setup.budget.now() >= deadline,
        )
    except TrainingCancelled:
        raise
    except Exception as error:  # the weighted average is the ensemble then
        _log.warning("AutoML stacking failed: %s", error, exc_info=True)
        return None


def _describe_ensemble(members: list[EnsembleMember], stacker: Stacker | None) -> str:
    """``weighted average of 3 members (2 bagged over 5 folds)`` or the stacked equivalent."""
    bagged = [m.learner.folds for m in members if isinstance(m.learner, BaggedLearner)]
    count = f"{len(members)} member{'s' if len(members) != 1 else ''}"
    how = stacker.description if stacker is not None else "weighted average"
    text = f"{how}: {count}" if stacker is not None else f"{how} of {count}"
    if bagged:
        text += f" ({len(bagged)} bagged over {max(bagged)} folds)"
    return text


def _raise_no_candidate(candidates: list[Candidate]) -> None:
    reasons = sorted({candidate.message or candidate.status for candidate in candidates})
    if all(candidate.status in ("timeout", "skipped") for candidate in candidates):
        raise InvalidInputException(
            "No candidate model finished within the time budget; raise openaml.timeBudgetSeconds."
        )
    raise InternalServerException(f"Every candidate model failed to train: {'; '.join(reasons)}")


def refit_members(
    chosen: list[tuple[Candidate, float]],
    matrices: dict[Encoding, Matrix],
    y: Labels,
    task: Task,
    budget: Budget,
    *,
    sample: tuple[dict[Encoding, Matrix], Labels] | None = None,
    fit: MemberFit | None = None,
) -> list[EnsembleMember]:
    """Refit the chosen candidates on all rows, best first, each within its share of the time left.

    With ``sample`` (the search's matrices and target), a family with fewer ``max_refit_rows`` than
    ``y`` is refit on the sample instead. ``fit`` fits one member (default: its family's own fit;
    :func:`.cluster_refit` on a cluster).

    A member's share of the time up to the refit deadline is its part of the remaining refit
    estimates. A member that fails, or (except the best one) is cut short at its deadline, is
    dropped and the other weights are rescaled.
    """
    members: list[EnsembleMember] = []
    problems = []
    for position, (candidate, weight) in enumerate(chosen):
        family: Family = FAMILIES[candidate.family]
        remaining = sum(other.refit_cost for other, _ in chosen[position:])
        share = candidate.refit_cost / remaining if remaining > 0 else 1.0
        now = budget.now()
        limits = budget.limits(now + max(budget.refit_deadline - now, 0.0) * share)
        config = candidate.config | candidate.refit_config
        try:
            if candidate.final_learner is not None:
                learner = candidate.final_learner
            elif candidate.bagged and candidate.fold_learners is not None:
                learner = BaggedLearner(candidate.fold_learners, candidate.refit_config)
            elif sample is not None and not refits_on_all_rows(candidate, len(y)):
                sample_y = sample[1]
                sample_task = dataclasses.replace(task, n_rows=len(sample_y))
                learner = family.fit(sample[0][family.encoding], sample_y, config, sample_task, limits)
            else:
                learner = (fit or _family_fit)(family, matrices[family.encoding], y, config, task, limits)
            _log.info(
                "AutoML refit of %s took %.1f s (estimate %.1f s, deadline in %.1f s)",
                candidate.family,
                budget.now() - now,
                candidate.refit_cost,
                limits.deadline - now,
            )
        except TrainingCancelled:
            raise
        except Exception as error:  # the other members still make a model
            _log.warning("AutoML refit of %s %s failed: %s", candidate.family, config, error, exc_info=True)
            problems.append(f"{candidate.family}: {type(error).__name__}: {error}")
            continue
        if members and not learner.complete:
            _log.info("AutoML refit of %s was cut short by the time budget; leaving it out", candidate.family)
            continue
        members.append(EnsembleMember(candidate.family, weight, learner, family.encoding, candidate.number))
    if not members:
        raise InternalServerException(
            f"Refitting the chosen models on all rows failed: {'; '.join(problems)}"
        )
    total = sum(member.weight for member in members)
    return [dataclasses.replace(member, weight=member.weight / total) for member in members]


def _family_fit(
    family: Family, features: Matrix, y: Labels, config: Config, task: Task, limits: FitLimits
) -> FittedLearner:
    return family.fit(features, y, config, task, limits)
