"""Where the search runs its trials: in the job worker one after another, or on a Dask cluster.

Without a cluster (:class:`LocalTrials`) each trial runs in the job worker as soon as the search
picks it, and the search sees its result before it picks the next one: the search as it always was.

With a cluster (:class:`SearchCluster`, from ``OPENAML_DASK_SCHEDULER``), :class:`ClusterTrials`
sends the search rows to every worker once and keeps as many trials running as the workers have
threads, each a Dask future; the search picks a new trial whenever one comes back. Each family's
Optuna study then lives in the metadata database (:func:`open_study`, Optuna's own tables), named
after the training job, so the trials are shared and a restarted job's studies know its earlier
trials. Time still rules: a trial gets the same deadline it would get locally, and one that has not
come back shortly after it is cancelled and counted as timed out, so the search never waits past its
budget. A trial whose worker dies runs again on another worker (the scheduler's
``allowed-failures``); one that killed every worker it ran on counts as failed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

import optuna

from openaml.engine.automl.budget import Budget
from openaml.engine.automl.trials import Candidate, TrialData, WorkerTrial, run_trial, trial_on_worker
from openaml.engine.cluster import Cluster, ClusterUnavailable, SharedDataLost, WorkersKilled
from openaml.engine.models import TrainingCancelled

#: How long past its deadline a trial on the cluster may take to come back (seconds, plus a share of
#: the time it was given) before it is cancelled.
_GRACE_SECONDS = 1.0
_GRACE_SHARE = 0.1
#: How often the wait for trials looks at the caller's cancellation flag.
_CANCEL_CHECK_SECONDS = 0.25
#: How often a trial whose search data died with its workers is sent again (with the data).
_MAX_RESENDS = 2

DISTRIBUTED_FIT_MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class SearchCluster:
    """How an AutoML run uses a Dask cluster: the open connection, and where its studies live."""

    cluster: Cluster
    #: The SQLAlchemy URL of the database that keeps the Optuna studies (the metadata database).
    storage_url: str
    #: Unique per training job; each family's study is ``<study_name>/<family>``.
    study_name: str
    #: When the final LightGBM refit runs on the cluster (``lightgbm.dask``): ``auto`` (when its data
    #: would not fit the smallest worker's memory), ``always`` or ``never``.
    distributed_fit: str = "auto"


@dataclass
class PendingTrial:
    """A trial the search started: its candidate, its Optuna trial and its deadline (budget clock)."""

    candidate: Candidate
    trial: optuna.trial.Trial
    deadline: float
    #: Successive halving's first-rung bar (see :func:`~.trials.run_trial`); ``None``: no halving.
    rung_threshold: float | None = None
    #: Seconds it took (set when it finished).
    seconds: float = 0.0
    future: Any = None
    allowance: float = 0.0
    #: The shared search data its future reads, and how often it was sent again.
    data: Any = None
    resent: int = 0


class TrialRunner(Protocol):
    """Runs the search's trials and hands them back finished."""

    def has_room(self) -> bool:
        """Whether another trial can start now."""
        ...

    def in_flight(self) -> int:
        """Trials started and not yet handed back."""
        ...

    def submit(self, pending: PendingTrial) -> None:
        """Start ``pending`` (locally: run it to the end)."""
        ...

    def finished(self) -> list[PendingTrial]:
        """The trials that finished since the last call, waiting for at least one if any run."""
        ...

    def close(self) -> None:
        """Cancel what still runs."""
        ...


class LocalTrials:
    """Trials in the job worker, one at a time, each finished before the search picks the next."""

    def __init__(self, data: TrialData, budget: Budget) -> None:
        self._data = data
        self._budget = budget
        self._done: list[PendingTrial] = []

    def has_room(self) -> bool:
        return not self._done

    def in_flight(self) -> int:
        return len(self._done)

    def submit(self, pending: PendingTrial) -> None:
        pending.seconds = run_trial(
            self._data, pending.candidate, self._budget, pending.deadline, pending.rung_threshold
        )
        self._done.append(pending)

    def finished(self) -> list[PendingTrial]:
        done, self._done = self._done, []
        return done

    def close(self) -> None:
        self._done = []


class ClusterTrials:
    """Trials as Dask futures, as many at once as the workers have threads; the data sent once."""

    def __init__(self, cluster: Cluster, data: TrialData, budget: Budget) -> None:
        self._cluster = cluster
        self._budget = budget
        self._slots = cluster.worker_threads()
        self._trial_data = data
        self._data = cluster.share(data)
        self._running: list[PendingTrial] = []

    def has_room(self) -> bool:
        return len(self._running) < self._slots

    def in_flight(self) -> int:
        return len(self._running)

    def submit(self, pending: PendingTrial) -> None:
        pending.allowance = max(pending.deadline - self._budget.now(), 0.0)
        self._send(pending)
        self._running.append(pending)

    def _send(self, pending: PendingTrial) -> None:
        seconds = max(pending.deadline - self._budget.now(), 0.0)
        trial = WorkerTrial(pending.candidate, seconds, time.time(), pending.rung_threshold)
        pending.data = self._data
        pending.future = self._cluster.submit(trial_on_worker, trial, self._data)

    def finished(self) -> list[PendingTrial]:
        while self._running:
            now = self._budget.now()
            overdue_at = min(_overdue_at(pending) for pending in self._running)
            self._cluster.wait(
                [pending.future for pending in self._running],
                timeout=min(max(overdue_at - now, 0.0), _CANCEL_CHECK_SECONDS),
                should_stop=self._cancelled,
            )
            done = [pending for pending in self._running if pending.future.done()]
            done = [pending for pending in done if self._collect(pending)]
            now = self._budget.now()
            late = [p for p in self._running if p not in done and now > _overdue_at(p)]
            if late:
                self._cluster.cancel([pending.future for pending in late])
            for pending in late:
                pending.candidate.status = "timeout"
                pending.candidate.message = "did not come back from the Dask cluster by its deadline"
                pending.seconds = pending.allowance + (now - pending.deadline)
            if done or late:
                self._running = [p for p in self._running if p not in done and p not in late]
                return done + late
        return []

    def close(self) -> None:
        if self._running:
            self._cluster.cancel([pending.future for pending in self._running])
        self._running = []

    def _cancelled(self) -> bool:
        self._budget.check_cancelled(force=True)  # raises TrainingCancelled
        return False

    def _collect(self, pending: PendingTrial) -> bool:
        """Take a finished future's candidate, or mark the candidate failed with why; False when the
        trial was sent again because the search data died with the workers that held it."""
        try:
            candidate, pending.seconds = self._cluster.result(pending.future)
        except SharedDataLost as error:
            if pending.resent >= _MAX_RESENDS:
                pending.candidate.status = "failed"
                pending.candidate.message = f"the Dask workers holding the search data died ({error.message})"
                return True
            if pending.data is self._data:  # share it again, once for all trials that read it
                self._data = self._cluster.share(self._trial_data)
            pending.resent += 1
            self._send(pending)
            return False
        except WorkersKilled as error:
            pending.candidate.status, pending.candidate.message = "failed", error.message
        except (ClusterUnavailable, TrainingCancelled):
            raise
        except Exception as error:  # the task itself failed after its retries
            pending.candidate.status = "failed"
            pending.candidate.message = f"{type(error).__name__}: {error}"
        else:
            pending.candidate = candidate
        return True


def _overdue_at(pending: PendingTrial) -> float:
    return pending.deadline + _GRACE_SECONDS + _GRACE_SHARE * pending.allowance


def study_storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's storage in the database at ``url``, next to OpenAML's own tables.

    Optuna creates its tables (``studies``, ``trials``, ...) on first use. Its schema-version check
    is skipped: it reads the ``alembic_version`` table, which holds OpenAML's migration revision.
    """
    engine_kwargs: dict[str, Any] = (
        {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    )
    return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs, skip_compatibility_check=True)


def open_study(
    storage: optuna.storages.BaseStorage, name: str, sampler: optuna.samplers.BaseSampler
) -> optuna.Study:
    """The study ``name`` in ``storage`` (created, or loaded when a restarted job made it before).

    Trials an earlier run left running or waiting are closed as failed: the search enqueues its own
    first trials again and expects them to be the next ones asked for.
    """
    study = optuna.create_study(
        storage=storage, study_name=name, sampler=sampler, direction="minimize", load_if_exists=True
    )
    for stale in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(stale.number, state=optuna.trial.TrialState.FAIL)
    while study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,)):
        study.tell(study.ask(), state=optuna.trial.TrialState.FAIL)
    return study


def close_storage(storage: optuna.storages.BaseStorage | None) -> None:
    """Release the storage's database connections."""
    if isinstance(storage, optuna.storages.RDBStorage):
        storage.remove_session()
        storage.engine.dispose()
