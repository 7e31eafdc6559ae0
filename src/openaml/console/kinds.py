"""The four object types as the console names, links and fetches them."""

from __future__ import annotations

from dataclasses import dataclass

from openaml.console.pages import BASE
from openaml.entities import KIND_DESCRIPTORS, EntityStatus, KindDescriptor, ResourceKind


@dataclass(frozen=True)
class KindInfo:
    """One object type as the console uses it: its words, its URL collection and its API operations."""

    descriptor: KindDescriptor

    @property
    def kind(self) -> ResourceKind:
        return self.descriptor.kind

    @property
    def label(self) -> str:
        return self.descriptor.label

    @property
    def collection(self) -> str:
        return self.descriptor.collection

    @property
    def id_member(self) -> str:
        return self.descriptor.id_member

    @property
    def get(self) -> str:
        return self.descriptor.get_operation

    @property
    def describe(self) -> str:
        return self.descriptor.describe_operation

    @property
    def delete(self) -> str:
        return self.descriptor.delete_operation

    def url(self, resource_id: str) -> str:
        return f"{BASE}/{self.collection}/{resource_id}"


KINDS: tuple[KindInfo, ...] = tuple(KindInfo(descriptor) for descriptor in KIND_DESCRIPTORS)
BY_KIND = {info.kind: info for info in KINDS}
BY_COLLECTION = {info.collection: info for info in KINDS}
DATA_SOURCES, ML_MODELS, EVALUATIONS, BATCH_PREDICTIONS = KINDS

#: Statuses after which an object no longer changes by itself.
FINAL_STATUSES = frozenset(
    {EntityStatus.COMPLETED.value, EntityStatus.FAILED.value, EntityStatus.DELETED.value}
)


def is_running(status: str | None) -> bool:
    """Whether a job may still change an object with this status (so pages keep polling it)."""
    return status not in FINAL_STATUSES
