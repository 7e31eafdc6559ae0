"""Random forests and extremely randomised trees (scikit-learn), validated out-of-bag where bagged.

A forest grown on bootstrap samples is validated out-of-bag: one fit on all search rows gives honest
scores for every row, as AutoGluon does, k times cheaper than cross-validating it. Random forests
are always bagged. Extra trees search ``bootstrap`` too: grown on every row (scikit-learn's default
for them) they were up to 5 % better on regression and multiclass data than bagged ones, worse in
AUC on binary data (fully grown trees of all rows give near 0/1 leaf probabilities); those are
cross-validated like the other families. Trees are grown in batches so that a fit can stop at its
deadline; prediction uses one thread.

Many rows are scored tree by tree. A few rows (real-time prediction) are scored by walking every
tree at once over the forest's nodes flattened into arrays (:class:`_FlatForest`): calling hundreds
of trees one by one costs milliseconds per record, one level of all trees a few microseconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import optuna
import scipy.sparse as sp
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)

from openaml.engine.automl.budget import FitLimits
from openaml.engine.automl.families.base import (
    Config,
    Family,
    FittedLearner,
    FloatArray,
    Labels,
    Task,
    balanced_sample_weights,
    expand_probabilities,
)
from openaml.engine.automl.families.derived_portfolios import PORTFOLIOS
from openaml.engine.automl.features import Encoding, Matrix
from openaml.engine.predictors.transient import transient_cached_property

_TREES = 300
# Trees are added in batches sized to take about _BATCH_SECONDS, and a batch that would run past
# the deadline is shrunk, so a fit overshoots its deadline by little more than the first batch.
_FIRST_BATCH = 10
_BATCH_SECONDS = 0.5
# scikit-learn forests take NaN in dense input only; in sparse input a value below every real one
# sends missing values down the same side of each split.
_SPARSE_MISSING = -1e30
#: Rows × trees up to which the flattened forest scores the rows (beyond, tree by tree is faster).
_FLAT_MAX_ROW_TREES = 20_000
#: How many levels the flattened forest walks between checks that every walk reached its leaf.
_LEAF_CHECK_LEVELS = 4

Forest: TypeAlias = (
    RandomForestClassifier | RandomForestRegressor | ExtraTreesClassifier | ExtraTreesRegressor
)


class ForestLearner:
    """A fitted forest."""

    def __init__(self, model: Forest, task: Task) -> None:
        self.refit_config: Config = {}
        self.model = model
        self.task = task
        self.complete = len(model.estimators_) == _TREES

    def predict(self, features: Matrix) -> FloatArray:
        prepared = _for_trees(features)
        if prepared.shape[0] * len(self.model.estimators_) <= _FLAT_MAX_ROW_TREES:
            dense = prepared if isinstance(prepared, np.ndarray) else prepared.toarray()
            return _task_scores(self._flat.mean_leaf_values(dense), self.model, self.task)
        first, *others = self.model.estimators_
        total = _tree_scores(first, prepared, self.task)
        for tree in others:
            total += _tree_scores(tree, prepared, self.task)
        return _task_scores(total / (len(others) + 1), self.model, self.task)

    @transient_cached_property
    def _flat(self) -> _FlatForest:
        return _FlatForest.of(self.model, self.task)


@dataclass(frozen=True)
class _FlatForest:
    """Every tree's nodes in shared arrays, walked for all trees at once, one level per step.

    A tree sends a row to the left child when its float32 feature value is <= the threshold, and a
    missing (NaN) value where ``missing_go_to_left`` says. Each node here instead tests whether one
    entry of ``[x, -x]`` is <= a bound, and NaN fails every test. A node whose missing values go
    right keeps the tree's test (``x <= threshold``: passing goes left, failing right); one whose
    missing values go left tests ``x > threshold`` instead, written ``-x <= -nextafter(threshold,
    inf)``: passing goes right, failing (NaN included) left. Either way a row reaches the leaf the
    tree's own ``apply`` finds, without testing for NaN at every level. Leaves are their own
    children, so walks that arrived stay put.
    """

    roots: npt.NDArray[np.intp]
    #: Index into ``[x, -x]`` of each node's tested value.
    columns: npt.NDArray[np.intp]
    bounds: FloatArray
    #: ``children[2 * node + passed]``: where a walk goes from ``node`` when its test fails or passes.
    children: npt.NDArray[np.intp]
    leaf_values: FloatArray
    depth: int

    @classmethod
    def of(cls, model: Forest, task: Task) -> _FlatForest:
        trees = [estimator.tree_ for estimator in model.estimators_]
        roots = np.cumsum([0, *[tree.node_count for tree in trees[:-1]]]).astype(np.intp)
        width = model.n_features_in_
        parts: list[tuple[np.ndarray, ...]] = []
        for root, tree in zip(roots, trees, strict=True):
            leaf = tree.children_left < 0
            own = np.arange(root, root + tree.node_count)
            left = np.where(leaf, own, tree.children_left + root)
            right = np.where(leaf, own, tree.children_right + root)
            flipped = tree.missing_go_to_left.astype(bool) & ~leaf
            parts.append(
                (
                    np.where(leaf, 0, tree.feature + np.where(flipped, width, 0)),
                    np.where(flipped, -np.nextafter(tree.threshold, np.inf), tree.threshold),
                    np.column_stack([np.where(flipped, left, right), np.where(flipped, right, left)]).ravel(),
                )
            )
        columns, bounds, children = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
        outputs = len(model.classes_) if task.is_classification else 1
        return cls(
            roots=roots,
            columns=columns.astype(np.intp),
            bounds=bounds.astype(np.float64),
            children=children.astype(np.intp),
            leaf_values=np.concatenate([tree.value[:, 0, :outputs] for tree in trees]).astype(np.float64),
            depth=max(tree.max_depth for tree in trees),
        )

    def mean_leaf_values(self, features: npt.NDArray[np.floating[Any]]) -> FloatArray:
        """The trees' mean output (class probabilities, or a value as one column) for each row."""
        values = np.asarray(features, dtype=np.float64)
        flat = np.hstack([values, -values]).ravel()
        nodes = np.broadcast_to(self.roots, (len(values), len(self.roots)))
        starts = (np.arange(len(values), dtype=np.intp) * 2 * values.shape[1])[
            :, None
        ]  # of each row's [x, -x]
        for level in range(1, self.depth + 1):
            columns = self.columns.take(nodes)
            if len(values) > 1:
                columns += starts
            passed = flat.take(columns) <= self.bounds.take(nodes)
            children = self.children.take(2 * nodes + passed)
            if level % _LEAF_CHECK_LEVELS == 0 and (children == nodes).all():  # every walk is at its leaf
                break
            nodes = children
        leaf_values: FloatArray = self.leaf_values.take(nodes, axis=0).mean(axis=1)
        return leaf_values


class ForestFamily(Family):
    """A forest of one kind; ``extremely_randomized`` picks extra trees (bagged or not) over random
    forests (always bagged)."""

    encoding = Encoding.TREE
    max_training_rows = 1_000_000
    has_out_of_bag = True
    serving_cost = 8.0

    def __init__(self, name: str, *, extremely_randomized: bool) -> None:
        self.name = name
        self._extra = extremely_randomized

    def portfolio(self, task: Task) -> list[Config]:
        """The derived portfolio of this forest kind, or two leaf sizes until one is derived; no
        criterion or class weights for regression, a balanced variant when classes are imbalanced."""
        derived = PORTFOLIOS.get(self.name)
        if derived:
            configs = [dict(config) for config in derived]
        else:
            features: Config = {"max_features": "sqrt" if task.is_classification else 1.0}
            configs = [features | {"min_samples_leaf": 1}, features | {"min_samples_leaf": 5}]
        for config in configs:
            if task.is_classification:
                config.setdefault("criterion", "gini")
                config.setdefault("class_weight", "none")
            else:
                config.pop("criterion", None)
                config.pop("class_weight", None)
        if task.imbalanced and all(config.get("class_weight") != "balanced" for config in configs):
            configs.insert(1, configs[0] | {"class_weight": "balanced"})
        if self._extra:
            configs = [config | {"bootstrap": config.get("bootstrap", True)} for config in configs]
            if all(config["bootstrap"] for config in configs):
                configs.insert(1, configs[0] | {"bootstrap": False})
        return configs

    def suggest(self, trial: optuna.Trial, task: Task) -> Config:
        config: Config = {
            "max_features": trial.suggest_categorical("max_features", ["sqrt", "log2", 0.3, 0.6, 1.0]),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 30, log=True),
        }
        if task.is_classification:
            config["criterion"] = trial.suggest_categorical("criterion", ["gini", "entropy"])
            config["class_weight"] = trial.suggest_categorical("class_weight", ["none", "balanced"])
        if self._extra:
            config["bootstrap"] = trial.suggest_categorical("bootstrap", [True, False])
        return config

    def validates_out_of_bag(self, config: Config) -> bool:
        return bool(config.get("bootstrap", True))

    def trial_key(self, config: Config, n_features: int) -> str:
        """``max_features`` as the number of columns each split draws, as scikit-learn counts them:
        on 12 columns ``sqrt``, ``log2`` and 0.3 all draw 3, i.e. train the same forest."""
        return super().trial_key(
            config | {"max_features": _features_per_split(config["max_features"], n_features)}, n_features
        )

    def fit(
        self,
        features: Matrix,
        y: Labels,
        config: Config,
        task: Task,
        limits: FitLimits,
        validation: tuple[Matrix, Labels] | None = None,
    ) -> FittedLearner:
        model = self._estimator(config, task, limits.threads)
        prepared = _prepare(features)
        weights = balanced_sample_weights(y, task) if config.get("class_weight") == "balanced" else None
        trees, seconds_per_tree = 0, 0.0
        while trees < _TREES:
            batch = _FIRST_BATCH
            if seconds_per_tree > 0:
                affordable = int(limits.seconds_left() / seconds_per_tree)
                batch = min(max(int(_BATCH_SECONDS / seconds_per_tree), 1), _TREES - trees, affordable)
                if batch < 1:
                    break
            started = time.monotonic()
            model.set_params(n_estimators=trees + batch)
            model.fit(prepared, y, sample_weight=weights)
            seconds_per_tree = (time.monotonic() - started) / batch
            trees += batch
            if limits.should_end():
                break
        model.set_params(n_jobs=1)
        return ForestLearner(model, task)

    def out_of_bag(self, learner: FittedLearner, features: Matrix, y: Labels, task: Task) -> FloatArray:
        """Average, per row, the trees whose bootstrap sample left that row out."""
        assert isinstance(learner, ForestLearner)
        model = learner.model
        prepared = _for_trees(features)
        n_rows = prepared.shape[0]
        width = len(model.classes_) if task.is_classification else 1
        totals = np.zeros((n_rows, width))
        counts = np.zeros(n_rows)
        for tree, in_bag in zip(model.estimators_, model.estimators_samples_, strict=True):
            out = np.ones(n_rows, dtype=bool)
            out[in_bag] = False
            rows = np.flatnonzero(out)
            totals[rows] += _tree_scores(tree, prepared[rows], task)
            counts[rows] += 1
        never_out = counts == 0
        totals[never_out] = totals[~never_out].sum(axis=0) / max(counts[~never_out].sum(), 1.0)
        return _task_scores(totals / np.maximum(counts, 1.0)[:, None], model, task)

    def _estimator(self, config: Config, task: Task, threads: int) -> Forest:
        settings: dict[str, Any] = {
            "max_features": config["max_features"],
            "min_samples_leaf": int(config["min_samples_leaf"]),
            "bootstrap": bool(config.get("bootstrap", True)),
            "warm_start": True,
            "n_jobs": threads,
            "random_state": task.seed,
        }
        if task.is_classification:
            settings["criterion"] = config["criterion"]
            classifier = ExtraTreesClassifier if self._extra else RandomForestClassifier
            return classifier(**settings)
        regressor = ExtraTreesRegressor if self._extra else RandomForestRegressor
        return regressor(**settings)


def _features_per_split(max_features: str | float, n_features: int) -> int:
    """How many columns scikit-learn's trees draw per split for ``max_features``."""
    if max_features == "sqrt":
        return max(1, int(np.sqrt(n_features)))
    if max_features == "log2":
        return max(1, int(np.log2(n_features)))
    if isinstance(max_features, float):
        return max(1, int(max_features * n_features))
    return int(max_features)


def _prepare(features: Matrix) -> Matrix:
    """Input for fitting: sparse missing values replaced by the sentinel."""
    if not sp.issparse(features):
        return features
    prepared = sp.csr_matrix(features, copy=True)
    prepared.data[np.isnan(prepared.data)] = _SPARSE_MISSING
    return prepared


def _for_trees(features: Matrix) -> Matrix:
    """Input for the trees' own predict: float32, CSR when sparse (what the trees validate to)."""
    prepared = _prepare(features)
    if sp.issparse(prepared):
        return sp.csr_matrix(prepared, dtype=np.float32)
    return np.asarray(prepared, dtype=np.float32)


def _tree_scores(tree: Any, features: Matrix, task: Task) -> FloatArray:
    """One tree's class probabilities, or its values as one column.

    Calling each tree without input validation is several times faster than the forest's own
    predict for the single records of real-time prediction (measured 8 ms against 41 ms for 300
    trees on a busy machine); the input is already validated by :func:`_for_trees`.
    """
    if task.is_classification:
        return np.asarray(tree.predict_proba(features, check_input=False), dtype=np.float64)
    return np.asarray(tree.predict(features, check_input=False), dtype=np.float64)[:, None]


def _task_scores(average: FloatArray, model: Forest, task: Task) -> FloatArray:
    if task.is_classification:
        return expand_probabilities(average, model.classes_, task)
    result: FloatArray = average[:, 0]
    return result
