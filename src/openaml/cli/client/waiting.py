"""Waiting for long operations with a progress bar: status, elapsed time and, for training, the best score.

A :class:`Watch` polls one object (a ``Get*`` call) until it is done. The bar shows the object's status
and its ``Message``; while a job runs, the object's structured progress (``GET .../{id}/progress``, an
:class:`openaml.progress.JobProgress`) gives the bar its fill (bytes read or scored, the training budget
used) and the best score so far. Nothing is parsed back out of the message text.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import RenderableType
from rich.progress import BarColumn, Progress, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from openaml.cli.client.errors import CliError, ExitCode
from openaml.cli.client.output import Printer
from openaml.progress import JobProgress

POLL_SECONDS = 0.5


@dataclass(frozen=True)
class Observation:
    """One look at the watched object."""

    status: str
    message: str = ""
    finished: bool = False
    #: Why it can no longer finish (FAILED, DELETED, ...); ``None`` while it can.
    failure: str | None = None
    #: The running job's structured progress, when the server reported one.
    progress: JobProgress | None = None


def resource_observation(response: dict[str, Any], progress: dict[str, Any] | None = None) -> Observation:
    """A ``Get*`` response of a datasource, model, evaluation or batch prediction (and the ``Progress``
    of its ``.../progress`` endpoint, when fetched) as an observation."""
    status = str(response.get("Status", "?"))
    message = str(response.get("Message") or "")
    failure = (
        f"it is {status}" + (f": {message}" if message else "") if status in ("FAILED", "DELETED") else None
    )
    report = JobProgress.from_json(progress) if isinstance(progress, dict) else None
    return Observation(status, message, finished=status == "COMPLETED", failure=failure, progress=report)


def bar_fill(progress: JobProgress | None) -> tuple[float, float] | None:
    """``(done, total)`` for the bar: bytes read or scored, or training seconds of the budget."""
    if progress is None:
        return None
    if progress.bytes_total:
        return float(progress.bytes_done or 0), float(progress.bytes_total)
    if progress.budget_seconds:
        return float(progress.budget_seconds_used or 0.0), progress.budget_seconds
    return None


class _OutcomeColumn(SpinnerColumn):
    """A spinner while the task runs, then the ``outcome`` mark it was given (✓ or ✗)."""

    def render(self, task: Task) -> RenderableType:
        outcome = task.fields.get("outcome")
        return Text.from_markup(outcome) if outcome else super().render(task)


@dataclass
class Watch:
    """Poll ``observe`` until it reports the object finished, with a progress bar on stderr."""

    printer: Printer
    label: str
    observe: Callable[[], Observation]
    timeout: float | None = None
    resume_hint: str = ""

    def run(self) -> Observation:
        """The final observation; raises :class:`CliError` on failure (exit 5) or timeout (exit 6)."""
        started = time.monotonic()
        best: str | None = None
        progress = Progress(
            _OutcomeColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=20),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[detail]}", style="dim"),
            console=self.printer.messages,
            transient=False,
        )
        with progress:
            task = progress.add_task(self.label, total=None, status="", detail="", outcome="")
            while True:
                observation = self.observe()
                best = (observation.progress.best() if observation.progress else None) or best
                fill = bar_fill(observation.progress)
                detail = f"best {best}" if best else _short(observation.message)
                progress.update(task, status=observation.status, detail=detail)
                if fill is not None:
                    progress.update(task, completed=fill[0], total=fill[1])
                if observation.finished:
                    progress.update(task, completed=1, total=1, outcome="[green]✓[/]")
                    return observation
                if observation.failure is not None:
                    progress.update(task, outcome="[red]✗[/]")
                    progress.stop_task(task)
                    raise CliError(f"{self.label}: {observation.failure}", ExitCode.FAILED)
                if self.timeout is not None and time.monotonic() - started >= self.timeout:
                    progress.update(task, outcome="[yellow]…[/]")
                    progress.stop_task(task)
                    raise CliError(
                        f"{self.label} is still {observation.status} after {self.timeout:g} s"
                        + (f"; {self.resume_hint}" if self.resume_hint else "."),
                        ExitCode.TIMEOUT,
                    )
                time.sleep(POLL_SECONDS)


def _short(message: str, limit: int = 50) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
