"""The service context: every concrete store and setting a use case needs, built by a composition root.

``openaml.api.app`` and ``openaml.cli`` build one :class:`ServiceContext` and pass it down; no module
keeps global state. A context is frozen: a composition root that adds parts (the HTTP server's URL
signer and real-time models) builds a new, complete one with :meth:`ServiceContext.serving`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from openaml.config import Settings
from openaml.entities import Caller
from openaml.jobs.queue import JobQueue
from openaml.store.metadata import MetadataStore
from openaml.store.model_groups import ModelGroupStore
from openaml.store.objects import ObjectStore
from openaml.store.resources import ResourceStore


class RealtimeModels(Protocol):
    """The real-time models one serving process keeps (:class:`openaml.domain.endpoints.EndpointRegistry`)."""

    def predict(
        self, ml_model_id: str, records: Sequence[Mapping[str, str]], explain_top: int | None = None
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class ServiceContext:
    settings: Settings
    metadata: MetadataStore
    resources: ResourceStore
    jobs: JobQueue
    objects: ObjectStore
    #: Signs a URL of this server with the caller's key so it opens without further credentials
    #: (given by the HTTP composition root; ``None`` elsewhere).
    presign: Callable[[str, Caller], str] | None = None
    #: The real-time models of this serving process (given by the HTTP composition root).
    endpoints: RealtimeModels | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceContext:
        """Open the stores the settings describe (the schema is checked by the caller)."""
        # The object store first: it creates the data directory (mode 0700) the SQLite file goes into.
        objects = ObjectStore(
            settings.resolved_data_dir,
            settings.data_roots,
            s3_endpoint_url=settings.s3_endpoint_url,
            server_files=[settings.resolved_credentials_file, *settings.sqlite_database_files],
        )
        metadata = MetadataStore(settings.resolved_database_url)
        return cls(
            settings=settings,
            metadata=metadata,
            resources=ResourceStore(metadata),
            jobs=JobQueue(
                metadata, lease_seconds=settings.job_lease_seconds, max_attempts=settings.job_max_attempts
            ),
            objects=objects,
        )

    @property
    def model_groups(self) -> ModelGroupStore:
        """Model groups: versions, aliases, their history and retrains (a view of ``metadata``)."""
        return ModelGroupStore(self.metadata)

    def serving(self, presign: Callable[[str, Caller], str], endpoints: RealtimeModels) -> ServiceContext:
        """This context with the HTTP server's URL signer and real-time models (the same stores)."""
        return dataclasses.replace(self, presign=presign, endpoints=endpoints)

    def close(self) -> None:
        self.metadata.dispose()
