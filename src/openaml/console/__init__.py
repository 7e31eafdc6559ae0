"""The web console at ``/console``: dashboard, data insights, models, evaluations and predictions.

It is a layer just below ``openaml.api``: pages call the same operation and extension handlers the
API uses (through :class:`~openaml.console.gateway.Gateway`), so validation, errors and results are
the API's own. The HTTP composition root mounts :func:`console_routes`.
"""

from openaml.console.routes import console_routes

__all__ = ["console_routes"]
