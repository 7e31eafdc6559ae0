"""The service context: every concrete store and setting a use case needs, built by a composition root.

``openaml.api.app`` and ``openaml.cli`` build one :class:`ServiceContext` and pass it down; no module
keeps global state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openaml.config import Settings
from openaml.entities import Caller
from openaml.jobs.queue import JobQueue
from openaml.store.metadata import MetadataStore
from openaml.store.objects import ObjectStore
from openaml.store.resources import ResourceStore

if TYPE_CHECKING:
    from openaml.domain.endpoints import EndpointRegistry


@dataclass
class ServiceContext:
    settings: Settings
    metadata: MetadataStore
    resources: ResourceStore
    jobs: JobQueue
    objects: ObjectStore
    #: Signs a URL of this server with the caller's key so it opens without further credentials
    #: (set by the HTTP composition root; ``None`` where no keys are known).
    presign: Callable[[str, Caller], str] | None = None
    #: The real-time models of this serving process (set by the HTTP composition root).
    endpoints: EndpointRegistry | None = None

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

    def close(self) -> None:
        self.metadata.dispose()
