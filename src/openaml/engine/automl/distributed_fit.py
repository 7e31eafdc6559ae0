"""The final LightGBM refit on the Dask cluster (``lightgbm.dask``), for data too big for one worker.

When a cluster is configured, a LightGBM member of the chosen ensemble is refit on all rows with
``lightgbm.dask`` (data-parallel: every worker holds a share of the rows, the workers build each tree
together) when ``OPENAML_DASK_DISTRIBUTED_FIT`` says so: ``always``, ``never``, or ``auto`` — when its
matrix, times what LightGBM needs beside it, would not fit the smallest worker's memory limit. Every
other member, and every LightGBM member below that size, is refit in the job worker as without a cluster.

The rows are the matrix the search's encoder made from the typed frame, so the types come from the
schema, not from Dask's guesses: numbers as they are (NaN missing), categories as integer codes that
LightGBM treats as categorical (the schema's CATEGORICAL attributes), text as its encoded counts. The
matrix is cut into one block of rows per worker and each block sent to a worker once.

The result is the same :class:`~.families.lightgbm.LightGBMLearner` (a booster) a local refit gives,
saved and served the same way. A distributed fit runs the rounds the search chose and cannot be cut
short at a deadline (the workers must agree on every round), so its time is the estimate's.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import numpy as np
import scipy.sparse as sp

from openaml.engine.automl.budget import FitLimits
from openaml.engine.automl.dispatch import SearchCluster
from openaml.engine.automl.families import Config, Family, FittedLearner, Task
from openaml.engine.automl.families.base import Labels, balanced_sample_weights
from openaml.engine.automl.families.lightgbm import LightGBMLearner, _booster_params
from openaml.engine.automl.features import Matrix
from openaml.engine.models import ModelType

_log = logging.getLogger(__name__)

#: LightGBM's binned dataset, gradients and the raw rows side by side, per byte of the matrix.
FIT_MEMORY_FACTOR = 3.0
_DEFAULT_ROUNDS = 100
#: Parameters the scikit-learn wrappers set themselves.
_WRAPPER_OWNED = ("objective", "num_class", "num_threads", "seed")

MemberFit = Callable[[Family, Matrix, Labels, Config, Task, FitLimits], FittedLearner]


def matrix_bytes(features: Matrix) -> int:
    """The bytes ``features`` takes in memory (a sparse matrix: its data and index arrays)."""
    if isinstance(features, sp.csr_matrix):
        return int(features.data.nbytes + features.indices.nbytes + features.indptr.nbytes)
    return int(np.asarray(features).nbytes)


def should_distribute(mode: str, features: Matrix, smallest_worker_memory: int | None) -> bool:
    """Whether a LightGBM refit on ``features`` runs on the cluster in ``mode`` (auto, always, never)."""
    if mode == "always":
        return True
    if mode == "never" or smallest_worker_memory is None:
        return False
    return matrix_bytes(features) * FIT_MEMORY_FACTOR > smallest_worker_memory


def cluster_refit(cluster: SearchCluster) -> MemberFit:
    """The refit of one ensemble member: LightGBM on the cluster where :func:`should_distribute`
    says so, everything else as the family fits it."""

    def fit(
        family: Family, features: Matrix, y: Labels, config: Config, task: Task, limits: FitLimits
    ) -> FittedLearner:
        if family.name == "lightgbm":
            memory = cluster.cluster.smallest_worker_memory()
            if should_distribute(cluster.distributed_fit, features, memory):
                _log.info(
                    "AutoML refits LightGBM on the Dask cluster (%d rows, %d bytes; smallest worker %s)",
                    features.shape[0],
                    matrix_bytes(features),
                    memory,
                )
                return fit_lightgbm_on_cluster(cluster.cluster.client, features, y, config, task)
        return family.fit(features, y, config, task, limits)

    return fit


def fit_lightgbm_on_cluster(
    client: Any, features: Matrix, y: Labels, config: Config, task: Task
) -> LightGBMLearner:
    """LightGBM boosted for ``config["rounds"]`` rounds on all workers of ``client``'s cluster."""
    import dask.array as da
    from lightgbm.dask import DaskLGBMClassifier, DaskLGBMRegressor

    workers = list(client.scheduler_info(n_workers=-1)["workers"])
    bounds = np.linspace(0, features.shape[0], num=max(min(len(workers), features.shape[0]), 1) + 1)
    blocks = [(int(start), int(stop)) for start, stop in itertools.pairwise(bounds)]
    weights = balanced_sample_weights(y, task) if config.get("class_weight") == "balanced" else None
    columns = features.shape[1]
    meta = sp.csr_matrix((0, columns), dtype=features.dtype) if sp.issparse(features) else None

    def spread(parts: list[Any], shape: Callable[[int], tuple[int, ...]], dtype: Any, part_meta: Any) -> Any:
        futures = client.scatter(parts, workers=None, hash=False)
        arrays = [
            da.from_delayed(future, shape=shape(stop - start), dtype=dtype, meta=part_meta)
            for future, (start, stop) in zip(futures, blocks, strict=True)
        ]
        return da.concatenate(arrays, axis=0)

    x = spread(
        [features[start:stop] for start, stop in blocks], lambda rows: (rows, columns), features.dtype, meta
    )
    labels = spread([y[start:stop] for start, stop in blocks], lambda rows: (rows,), y.dtype, None)
    sample_weight = (
        spread([weights[start:stop] for start, stop in blocks], lambda rows: (rows,), weights.dtype, None)
        if weights is not None
        else None
    )
    booster_params = _booster_params(config, task, threads=1)
    params = {key: value for key, value in booster_params.items() if key not in _WRAPPER_OWNED}
    if task.model_type is ModelType.REGRESSION:  # the classifiers choose theirs from the labels
        params["objective"] = booster_params["objective"]
    model_class = DaskLGBMRegressor if task.model_type is ModelType.REGRESSION else DaskLGBMClassifier
    rounds = int(config.get("rounds", _DEFAULT_ROUNDS))
    model = model_class(client=client, n_estimators=rounds, random_state=task.seed, **params)
    # lightgbm.dask waits on its own futures with the current client; it sets each worker's threads
    # itself and says so about the wrapper's n_jobs.
    with client.as_current(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Parameter (n_jobs|num_threads) will be ignored")
        model.fit(
            x,
            labels,
            sample_weight=sample_weight,
            categorical_feature=list(task.categorical_columns) or "auto",
        )
    # A booster without the network settings of the distributed fit, as a local fit would give.
    booster = lgb.Booster(model_str=model.booster_.model_to_string())
    return LightGBMLearner(booster, booster.current_iteration(), complete=True)
