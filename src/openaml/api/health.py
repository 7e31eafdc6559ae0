"""``GET /health``: unauthenticated and cheap, for load balancers, orchestrators and monitoring.

It answers **200** whenever this process serves HTTP, with ``{"status": "ok"}``, or with
``{"status": "degraded", "workers": {"alive": n, "configured": m}}`` while fewer job worker processes
run than configured (``openaml serve`` restarts a dead one after a back-off). Degraded is deliberately
not a 503: load balancers and readiness probes act on the status code alone and would take the server
out of rotation, yet every request it serves (Predict, Describe*, Create* that queue jobs, the
console) works without job workers — jobs wait durably in the queue until a worker runs again. A 503
on every instance while workers crash-loop would turn slower jobs into a full outage. Monitoring should
alert on the body's ``status``.

The count comes from the status file the worker supervisor keeps (see :mod:`openaml.jobs.supervisor`):
reading a few hundred bytes per probe, with no database query.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from openaml import __version__
from openaml.jobs.supervisor import WorkerStatusFile


def health_endpoint(worker_status: WorkerStatusFile | None) -> Callable[[Request], Awaitable[Response]]:
    """The handler; without ``worker_status`` (no supervised workers, as in tests) it only says ok."""

    async def health(request: Request) -> Response:
        if worker_status is None:
            return JSONResponse({"status": "ok", "version": __version__})
        workers = worker_status.read()
        return JSONResponse(
            {
                "status": "degraded" if workers.degraded else "ok",
                "version": __version__,
                "workers": {"alive": workers.alive, "configured": workers.configured},
            }
        )

    return health
