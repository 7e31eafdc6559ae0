"""AutoML on a Dask cluster: trials as futures, studies in the database, LightGBM refit with lightgbm.dask.

The session's two-worker ``LocalCluster`` (``dask_scheduler``) runs the trials; the results must agree
with the same run in this process within a tolerance (trials run side by side there, so TPE sees them
in another order), the Optuna storage must hold every trial, and a trial that kills its worker runs
again on the other one.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest
from sklearn.metrics import roc_auc_score
from tests.conftest import QUIET_CLUSTER
from tests.engine.automl.conftest import TypedData

from openaml.engine.automl import AutoMLParameters, train_automl
from openaml.engine.automl.budget import FitLimits
from openaml.engine.automl.dispatch import SearchCluster, study_storage
from openaml.engine.automl.families import FAMILIES, Config, FittedLearner, Task
from openaml.engine.automl.families.base import Labels
from openaml.engine.automl.families.knn import NeighboursFamily
from openaml.engine.automl.families.linear import LinearFamily
from openaml.engine.automl.features import Matrix
from openaml.engine.cluster import Cluster, ClusterSettings, ClusterUnavailable, connect
from openaml.engine.models import ModelType, load_model, save_model

pytestmark = pytest.mark.dask

_PARAMS = AutoMLParameters(time_budget_seconds=60, max_trials=6, algorithms=("linear", "lightgbm"), seed=3)


@pytest.fixture
def cluster(dask_scheduler: str) -> Iterator[Cluster]:
    with connect(ClusterSettings(dask_scheduler, timeout_seconds=30, retries=1)) as connected:
        yield connected


def _search_cluster(cluster: Cluster, tmp_path: Path, **options: Any) -> SearchCluster:
    return SearchCluster(cluster, f"sqlite:///{tmp_path / 'studies.db'}", "openaml-training-job-7", **options)


def _holdout_auc(result: Any, frame: Any) -> float:
    return float(roc_auc_score(frame["y"], result.model.predict_scores(frame)))


def test_trials_on_the_cluster_match_the_local_search_and_are_stored(
    cluster: Cluster, synthetic: Callable[..., TypedData], tmp_path: Path
) -> None:
    frame, schema = synthetic(rows=600, seed=1)
    holdout, _ = synthetic(rows=400, seed=2)
    local = train_automl(frame, schema, ModelType.BINARY, _PARAMS)
    remote = train_automl(
        frame, schema, ModelType.BINARY, _PARAMS, cluster=_search_cluster(cluster, tmp_path)
    )

    assert remote.validation_score == pytest.approx(local.validation_score, abs=0.03)
    assert _holdout_auc(remote, holdout) == pytest.approx(_holdout_auc(local, holdout), abs=0.03)
    tried = [entry for entry in remote.leaderboard if entry["status"] != "skipped"]
    assert len(tried) == 6 and all(entry["status"] == "ok" for entry in tried)

    storage = study_storage(f"sqlite:///{tmp_path / 'studies.db'}")
    studies = {summary.study_name: summary for summary in optuna.get_all_study_summaries(storage)}
    assert set(studies) == {"openaml-training-job-7/linear", "openaml-training-job-7/lightgbm"}
    complete = [
        trial
        for name in studies
        for trial in optuna.load_study(study_name=name, storage=storage).get_trials(
            states=(optuna.trial.TrialState.COMPLETE,)
        )
    ]
    assert len(complete) == 6
    best = max(remote.leaderboard, key=lambda entry: entry["validationScore"] or -1)
    assert -min(trial.value for trial in complete) == pytest.approx(best["validationScore"])


def test_a_forced_distributed_lightgbm_refit_gives_a_working_model(
    cluster: Cluster,
    synthetic: Callable[..., TypedData],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    frame, schema = synthetic(rows=800, seed=4)
    holdout, _ = synthetic(rows=400, seed=5)
    params = dataclasses.replace(_PARAMS, algorithms=("lightgbm",), max_trials=2, bagging=False)
    local = train_automl(frame, schema, ModelType.BINARY, params)
    with caplog.at_level(logging.INFO, logger="openaml.engine.automl.distributed_fit"):
        remote = train_automl(
            frame,
            schema,
            ModelType.BINARY,
            params,
            cluster=_search_cluster(cluster, tmp_path, distributed_fit="always"),
        )
    assert "refits LightGBM on the Dask cluster" in caplog.text
    assert _holdout_auc(remote, holdout) == pytest.approx(_holdout_auc(local, holdout), abs=0.03)

    save_model(remote.model, tmp_path / "model", {"mlModelType": "BINARY"})
    loaded, _ = load_model(tmp_path / "model")
    np.testing.assert_allclose(
        loaded.predict_scores(holdout),
        remote.model.predict_scores(holdout),
        rtol=1e-6,  # type: ignore[attr-defined]
    )


class _DiesOnce(LinearFamily):
    """The linear family, but the first fit kills its worker process (as an out-of-memory kill would)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def fit(
        self,
        features: Matrix,
        y: Labels,
        config: Config,
        task: Task,
        limits: FitLimits,
        validation: tuple[Matrix, Labels] | None = None,
    ) -> FittedLearner:
        if not Path(self.marker).exists():
            Path(self.marker).touch()
            os._exit(1)
        return super().fit(features, y, config, task, limits, validation)


@pytest.fixture
def linear_dies_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The linear family replaced by :class:`_DiesOnce`; the marker file its first fit leaves."""
    marker = tmp_path / "died"
    monkeypatch.setitem(FAMILIES, "linear", _DiesOnce(str(marker)))
    return marker


def _one_linear_trial(cluster: Cluster, synthetic: Callable[..., TypedData], tmp_path: Path) -> list[str]:
    """The leaderboard's statuses after a search of one linear trial on ``cluster``."""
    frame, schema = synthetic(rows=300)
    params = dataclasses.replace(_PARAMS, algorithms=("linear",), max_trials=1)
    result = train_automl(frame, schema, ModelType.BINARY, params, cluster=_search_cluster(cluster, tmp_path))
    return [entry["status"] for entry in result.leaderboard]


def test_a_trial_whose_worker_dies_runs_again(
    cluster: Cluster, synthetic: Callable[..., TypedData], tmp_path: Path, linear_dies_once: Path
) -> None:
    assert _one_linear_trial(cluster, synthetic, tmp_path) == ["ok"]
    assert linear_dies_once.exists()


def test_a_trial_whose_worker_died_with_the_only_copy_of_the_data_runs_again(
    synthetic: Callable[..., TypedData], tmp_path: Path, linear_dies_once: Path
) -> None:
    """With one worker, the search data dies with it: the trial is sent again, with the data."""
    from distributed import LocalCluster

    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=True, **QUIET_CLUSTER) as alone,
        connect(ClusterSettings(alone.scheduler_address, timeout_seconds=30, retries=1)) as cluster,
    ):
        statuses = _one_linear_trial(cluster, synthetic, tmp_path)

    assert statuses == ["ok"]
    assert linear_dies_once.exists()


class _IgnoresItsDeadline(NeighboursFamily):
    """k-NN, but its fit ignores its deadline (a stuck worker): it waits until ``release`` exists.

    It touches ``started`` (when given) as it begins.
    """

    def __init__(self, release: str, started: str | None = None) -> None:
        self.release = release
        self.started = started

    def fit(
        self,
        features: Matrix,
        y: Labels,
        config: Config,
        task: Task,
        limits: FitLimits,
        validation: tuple[Matrix, Labels] | None = None,
    ) -> FittedLearner:
        if self.started is not None:
            Path(self.started).touch()
        for _ in range(600):
            if Path(self.release).exists():
                break
            time.sleep(0.1)
        return super().fit(features, y, config, task, limits, validation)


def test_a_trial_that_overruns_its_deadline_is_cancelled_and_the_search_goes_on(
    cluster: Cluster,
    synthetic: Callable[..., TypedData],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame, schema = synthetic(rows=300)
    release = tmp_path / "release"
    monkeypatch.setitem(FAMILIES, "knn", _IgnoresItsDeadline(str(release)))
    params = AutoMLParameters(time_budget_seconds=10, algorithms=("linear", "knn"), seed=3)
    try:
        result = train_automl(
            frame, schema, ModelType.BINARY, params, cluster=_search_cluster(cluster, tmp_path)
        )
    finally:
        release.touch()  # frees the worker

    tried = [entry for entry in result.leaderboard if entry["status"] != "skipped"]
    overrun = [entry for entry in tried if entry["family"] == "knn"]
    assert overrun and all(entry["status"] == "timeout" for entry in overrun)
    assert "did not come back from the Dask cluster by its deadline" in str(overrun[0]["message"])
    assert any(entry["family"] == "linear" and entry["status"] == "ok" for entry in tried)
    assert result.timings.total_seconds < 10 * 1.1 + 2  # the stuck fit was not waited for


_SCHEDULER_PROCESS = """
import time
from distributed import LocalCluster
cluster = LocalCluster(
    n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None,
    scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
)
print(cluster.scheduler_address, flush=True)
time.sleep(600)
"""


def test_a_scheduler_lost_during_the_search_fails_the_training_with_a_message(
    synthetic: Callable[..., TypedData], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search never waits forever for trials whose scheduler is gone."""
    frame, schema = synthetic(rows=300)
    started = tmp_path / "started"
    monkeypatch.setitem(FAMILIES, "knn", _IgnoresItsDeadline(str(tmp_path / "never"), str(started)))
    params = AutoMLParameters(time_budget_seconds=120, algorithms=("knn",), seed=3)
    process = subprocess.Popen([sys.executable, "-c", _SCHEDULER_PROCESS], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        address = process.stdout.readline().strip()
        with connect(ClusterSettings(address, timeout_seconds=3)) as cluster:
            threading.Thread(target=_kill_when_exists, args=(started, process), daemon=True).start()
            with pytest.raises(ClusterUnavailable, match=r"scheduler at tcp://127\.0\.0\.1:[0-9]+"):
                train_automl(
                    frame, schema, ModelType.BINARY, params, cluster=_search_cluster(cluster, tmp_path)
                )
    finally:
        process.kill()
        process.wait()


def _kill_when_exists(path: Path, process: subprocess.Popen[str]) -> None:
    for _ in range(1200):
        if path.exists():
            break
        time.sleep(0.05)
    process.kill()
