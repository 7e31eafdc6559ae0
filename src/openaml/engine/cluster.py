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

    def share(self, value: Any) -> Any:
        """``value`` sent once to every worker; pass the result to :meth:`map` instead of the value."""
        return self._client.scatter(value, broadcast=True, hash=False)

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

    def _gather(
        self,
        futures: list[Any],
        should_stop: Callable[[], bool] | None,
        on_done: Callable[[int], None] | None,
    ) -> list[Any]:
        lost_since: float | None = None
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
            if self._client.status == "running":
                lost_since = None
            elif lost_since is None:
                lost_since = time.monotonic()
            elif time.monotonic() - lost_since > self._settings.timeout_seconds:
                raise ClusterUnavailable(
                    f"The Dask scheduler at {self._settings.scheduler} stopped answering, and did not come "
                    f"back within {self._settings.timeout_seconds:g} s; the job was stopped. Restart the "
                    "scheduler and create the resource again."
                )
            time.sleep(POLL_SECONDS)

    def _result(self, future: Any) -> Any:
        """A finished task's result; a task the scheduler gave up on fails the job with a message."""
        from distributed import KilledWorker

        if future.status == "cancelled":  # the client lost its scheduler (or the task was cancelled)
            raise ClusterUnavailable(
                f"The connection to the Dask scheduler at {self._settings.scheduler} was lost while the job "
                "ran, so the job was stopped. Check the scheduler, then create the resource again."
            )
        try:
            return future.result()
        except KilledWorker as exc:
            raise ClusterUnavailable(
                f"A Dask task of this job killed every worker that ran it ({exc}); a worker likely ran out "
                "of memory. Give the workers more memory or split the data into smaller files."
            ) from exc

    def _cancel(self, futures: list[Any]) -> None:
        if self._client.status == "running":
            # Best effort: the futures go when the client closes anyway.
            with contextlib.suppress(Exception):
                self._client.cancel(futures)
