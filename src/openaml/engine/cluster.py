"""Running the engine's per-file work on an existing Dask ``distributed`` cluster.

OpenAML never schedules work across machines itself: it hands tasks to a Dask scheduler (the setting
``OPENAML_DASK_SCHEDULER``) and collects their results. A :class:`Cluster` is one connection, opened
by a job for its own duration (:func:`connect`), so no process keeps global state and a job that
fails leaves no client behind.

What can go wrong, and what happens:

* The scheduler cannot be reached: :func:`connect` gives up after ``timeout_seconds`` and raises
  :class:`ClusterUnavailable`, whose message names the address; the job fails with it.
* A worker dies (killed, out of memory): the scheduler reschedules its tasks on the other workers
  (``distributed.scheduler.allowed-failures`` times, 3 by default), so the job goes on.
* A task raises an unexpected error (a dropped S3 connection): it runs again, ``retries`` times.
  Expected failures (the data is wrong) are *returned* by the task functions as values, not raised,
  so they are not retried pointlessly.
* The scheduler goes away while tasks run: the client tries to reconnect; when it is still not
  connected after ``timeout_seconds``, :meth:`Cluster.gather` raises :class:`ClusterUnavailable` —
  a job never waits for a scheduler forever.

Task functions run in the workers' processes, so they and their arguments must pickle: the domain
layer passes resolved, checked locations and picklable openers, never its database or settings
objects. ``distributed`` is imported only here, and only when a cluster is configured.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

#: How often :meth:`Cluster.gather` looks at its futures, the connection and the stop request.
POLL_SECONDS = 0.1


class ClusterUnavailable(Exception):
    """The Dask scheduler could not be reached, or stopped answering; ``message`` says which and where."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WorkersKilled(ClusterUnavailable):
    """A task killed every worker that ran it (``distributed.scheduler.allowed-failures`` times)."""


class SharedDataLost(ClusterUnavailable):
    """A task was cancelled because a value sent with :meth:`Cluster.share` was lost with the workers
    that held it (they died); sharing the value again and resubmitting the task can recover."""


class ClusterStopped(Exception):
    """:meth:`Cluster.gather` stopped early because the caller's ``should_stop`` asked for it."""


@dataclass(frozen=True)
class ClusterSettings:
    """Where the scheduler is and how patient to be with it."""

    scheduler: str
    timeout_seconds: float = 30.0
    retries: int = 2


@contextmanager
def connect(settings: ClusterSettings) -> Iterator[Cluster]:
    """A connection to the scheduler for the duration of the ``with`` block, closed afterwards."""
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - the dask extra is part of every test install
        raise ClusterUnavailable(
            "OPENAML_DASK_SCHEDULER is set, but the dask extra is not installed: "
            "pip install 'openaml[dask]' (on the server and on every Dask worker)."
        ) from exc
    try:
        client = Client(settings.scheduler, timeout=f"{settings.timeout_seconds}s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterUnavailable(
            f"Could not reach the Dask scheduler at {settings.scheduler} within "
            f"{settings.timeout_seconds:g} s ({exc.__class__.__name__}: {exc}). Check that it runs and "
            "that OPENAML_DASK_SCHEDULER names it, or unset the setting to run jobs locally."
        ) from exc
    try:
        yield Cluster(client, settings)
    finally:
        # A client whose scheduler is gone cannot close cleanly; that must not hide why the job failed.
        with contextlib.suppress(Exception):
            client.close(timeout=settings.timeout_seconds)


class Cluster:
    """One client of the scheduler: submit tasks, gather their results in order."""

    def __init__(self, client: Any, settings: ClusterSettings) -> None:
        self._client = client
        self._settings = settings
        #: When the client was first seen without its scheduler (None while connected).
        self._lost_since: float | None = None

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` itself, for libraries that drive the cluster on their own
        (``lightgbm.dask``)."""
        return self._client

    def worker_threads(self) -> int:
        """How many tasks the cluster runs at once (the workers' threads, summed); at least 1."""
        workers = self._client.scheduler_info(n_workers=-1)["workers"].values()
        return max(sum(int(worker.get("nthreads", 1)) for worker in workers), 1)

    def smallest_worker_memory(self) -> int | None:
        """The smallest worker's memory limit in bytes; None when no worker has one (or none runs)."""
        limits = [
            int(worker.get("memory_limit") or 0)
            for worker in self._client.scheduler_info(n_workers=-1)["workers"].values()
        ]
        known = [limit for limit in limits if limit > 0]
        return min(known) if known and len(known) == len(limits) else None

    def share(self, value: Any) -> Any:
        """``value`` sent once to every worker; pass the result to :meth:`map` instead of the value."""
        try:
            return self._client.scatter(value, broadcast=True, hash=False)
        except (OSError, TimeoutError) as exc:  # distributed's CommClosedError is an OSError
            raise self._lost(exc) from exc

    def map(
        self,
        function: Callable[..., T],
        items: Sequence[Any],
        *shared: Any,
        should_stop: Callable[[], bool] | None = None,
        on_done: Callable[[int], None] | None = None,
    ) -> list[T]:
        """``function(item, *shared)`` for every item, run on the workers; the results in item order.

        ``on_done`` is called with the number of finished tasks whenever it grows. Raises
        :class:`ClusterStopped` when ``should_stop`` returns True (the tasks are cancelled), and
        :class:`ClusterUnavailable` when the scheduler has been gone for ``timeout_seconds``.
        """
        futures = [
            self._client.submit(function, item, *shared, pure=False, retries=self._settings.retries)
            for item in items
        ]
        try:
            return self._gather(futures, should_stop, on_done)
        except BaseException:
            self._cancel(futures)
            raise

    def submit(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` as one task (retried ``retries`` times on an unexpected error); its future."""
        try:
            return self._client.submit(function, *args, pure=False, retries=self._settings.retries)
        except (OSError, TimeoutError) as exc:
            raise self._lost(exc) from exc

    def _lost(self, exc: BaseException) -> ClusterUnavailable:
        return ClusterUnavailable(
            f"The connection to the Dask scheduler at {self._settings.scheduler} was lost while the job "
            f"ran ({exc.__class__.__name__}), so the job was stopped. Check the scheduler, then create the "
            "resource again."
        )

    def wait(
        self, futures: Sequence[Any], timeout: float, should_stop: Callable[[], bool] | None = None
    ) -> None:
        """Return when one of ``futures`` is done or after ``timeout`` seconds, whichever comes first.

        Raises :class:`ClusterStopped` when ``should_stop`` returns True (the futures are left to the
        caller) and :class:`ClusterUnavailable` when the scheduler has been gone for ``timeout_seconds``.
        """
        end = time.monotonic() + max(timeout, 0.0)
        self._check_connected()
        while not any(future.done() for future in futures) and time.monotonic() < end:
            if should_stop is not None and should_stop():
                raise ClusterStopped()
            self._check_connected()
            time.sleep(POLL_SECONDS)

    def result(self, future: Any) -> Any:
        """A finished task's result; raises what the task raised, :class:`WorkersKilled` when it killed
        its workers, :class:`SharedDataLost` when the data it needed died with its workers, and
        :class:`ClusterUnavailable` when the scheduler was lost."""
        return self._result(future)

    def cancel(self, futures: Sequence[Any]) -> None:
        """Cancel ``futures`` (best effort: tasks already running finish on their own)."""
        self._cancel(list(futures))

    def _check_connected(self) -> None:
        """Note when the scheduler was first seen gone; raise once it has stayed away too long (over
        any number of waits: the AutoML search waits in short steps)."""
        if self._client.status == "running":
            self._lost_since = None
            return
        if self._lost_since is None:
            self._lost_since = time.monotonic()
            return
        if time.monotonic() - self._lost_since > self._settings.timeout_seconds:
            raise ClusterUnavailable(
                f"The Dask scheduler at {self._settings.scheduler} stopped answering, and did not come "
                f"back within {self._settings.timeout_seconds:g} s; the job was stopped. Restart the "
                "scheduler and create the resource again."
            )

    def _gather(
        self,
        futures: list[Any],
        should_stop: Callable[[], bool] | None,
        on_done: Callable[[int], None] | None,
    ) -> list[Any]:
        reported = 0
        while True:
            done = sum(1 for future in futures if future.done())
            if on_done is not None and done > reported:
                reported = done
                on_done(done)
            if done == len(futures):
                return [self._result(future) for future in futures]
            if should_stop is not None and should_stop():
                raise ClusterStopped()
            self._check_connected()
            time.sleep(POLL_SECONDS)

    def _result(self, future: Any) -> Any:
        """A finished task's result; a task the scheduler gave up on fails the job with a message."""
        from distributed import KilledWorker

        if future.status == "cancelled" and self._client.status == "running":
            raise SharedDataLost(
                "A Dask worker died holding data this job had sent to the cluster, and no other worker "
                "had a copy, so the job was stopped. Create the resource again; give the workers more "
                "memory if they run out of it."
            )
        if future.status == "cancelled":  # the client lost its scheduler
            raise ClusterUnavailable(
                f"The connection to the Dask scheduler at {self._settings.scheduler} was lost while the job "
                "ran, so the job was stopped. Check the scheduler, then create the resource again."
            )
        try:
            return future.result()
        except KilledWorker as exc:
            raise WorkersKilled(
                f"A Dask task of this job killed every worker that ran it ({exc}); a worker likely ran out "
                "of memory. Give the workers more memory or split the data into smaller files."
            ) from exc

    def _cancel(self, futures: list[Any]) -> None:
        if self._client.status == "running":
            # Best effort: the futures go when the client closes anyway.
            with contextlib.suppress(Exception):
                self._client.cancel(futures)
