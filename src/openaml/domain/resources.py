"""The life-cycle all four resource types share.

Create (idempotent on the caller's ID), get, rename, soft delete (which cancels the resource's job),
the status transitions PENDING → INPROGRESS → COMPLETED | FAILED, and tags.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, Self

import regex

from openaml.domain.context import ServiceContext
from openaml.entities import (
    ALLOWED_TRANSITIONS,
    EntityStatus,
    Resource,
    ResourceKind,
    ResourceQuery,
    Tag,
    descriptor_of,
)
from openaml.errors import (
    IdempotentParameterMismatchException,
    InvalidInputException,
    InvalidTagException,
    ResourceNotFoundException,
    TagLimitExceededException,
)
from openaml.jobs.worker import JobContext
from openaml.progress import JobProgress
from openaml.store.resources import RowWriter

MAX_TAGS_PER_RESOURCE = 50
#: IDs the API's pattern admits but that cannot name the folder of a resource's files.
PATH_SEGMENT_IDS = frozenset({".", ".."})
DEPENDENCY_POLL_SECONDS = 0.5
MAX_MESSAGE_LENGTH = 10240
# The model's pattern plus '%', which its documentation lists as valid (see operations/validation.py).
_TAG_PATTERN = regex.compile(r"[\p{L}\p{Z}\p{N}_.:/=+\-@%]*")


class CreationRecord(Protocol):
    """A typed creation record (:mod:`openaml.domain.records`), stored as JSON in ``request``."""

    def to_json(self) -> dict[str, Any]: ...

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self: ...


def create_resource(
    ctx: ServiceContext,
    *,
    kind: ResourceKind,
    resource_id: str,
    name: str | None,
    request: CreationRecord,
    created_by: str,
    job_type: str | None,
    links: Mapping[str, Any] | None = None,
    tags: Sequence[Tag] = (),
    also: RowWriter | None = None,
) -> Resource:
    """Create a PENDING resource and its job in one transaction, or accept an identical repeat.

    ``request`` is the typed creation record (stored as its JSON); a second call with the same ID and an
    equal record succeeds without starting anything, different parameters fail with
    :class:`IdempotentParameterMismatchException`. ``links`` fills the denormalised filter fields;
    ``also`` writes rows that belong to the new resource in its transaction (a model's group version).
    """
    check_resource_id(kind, resource_id)
    now = time.time()
    resource = Resource(
        kind=kind,
        id=resource_id,
        status=EntityStatus.PENDING,
        created_at=now,
        last_updated_at=now,
        created_by=created_by,
        name=name,
        request=request.to_json(),
        **dict(links or {}),
    )
    stored, created = ctx.resources.create(resource, job_type, also=also)
    if created:
        if tags:
            ctx.resources.put_tags(kind, resource_id, tags, MAX_TAGS_PER_RESOURCE)
        return stored
    if stored.status is EntityStatus.DELETED:
        raise InvalidInputException(
            f"{kind.value} {resource_id} was deleted; the IDs of deleted objects cannot be reused."
        )
    if type(request).from_json(stored.request) != request or stored.name != name:
        raise IdempotentParameterMismatchException(
            f"{kind.value} {resource_id} already exists with different parameters; "
            "use a new ID or repeat the original request exactly."
        )
    return stored


def get_resource(ctx: ServiceContext, kind: ResourceKind, resource_id: str) -> Resource:
    resource = ctx.resources.get(kind, resource_id)
    if resource is None:
        raise ResourceNotFoundException(f"No {kind.value} with id {resource_id} exists.")
    return resource


def get_usable_resource(ctx: ServiceContext, kind: ResourceKind, resource_id: str, role: str) -> Resource:
    """The resource, if it exists and is neither DELETED nor FAILED (``role`` names it in messages)."""
    resource = get_resource(ctx, kind, resource_id)
    if resource.status in (EntityStatus.DELETED, EntityStatus.FAILED):
        raise InvalidInputException(
            f"{role} {resource_id} is {resource.status.value} and cannot be used"
            + (f": {resource.message}" if resource.message else ".")
        )
    return resource


def wait_until_completed(
    ctx: ServiceContext, kind: ResourceKind, resource_id: str, role: str, context: JobContext
) -> Resource:
    """Wait (in a job) until a resource this job depends on is COMPLETED.

    A dependency that is or becomes FAILED or DELETED ends the wait with ``InvalidInputException``
    naming it; a cancelled job stops waiting with ``JobCancelled``.
    """
    while True:
        resource = get_usable_resource(ctx, kind, resource_id, role)
        if resource.status is EntityStatus.COMPLETED:
            return resource
        context.check_cancelled()
        time.sleep(DEPENDENCY_POLL_SECONDS)


def rename_resource(
    ctx: ServiceContext,
    kind: ResourceKind,
    resource_id: str,
    name: str | None,
    extra: Mapping[str, Any] | None = None,
) -> Resource:
    resource = get_resource(ctx, kind, resource_id)
    if resource.status is EntityStatus.DELETED:
        raise InvalidInputException(f"{kind.value} {resource_id} is DELETED and cannot be updated.")
    updated = ctx.resources.update(
        kind,
        resource_id,
        {"name": name, **dict(extra or {})},
        only_if_status=[s for s in EntityStatus if s is not EntityStatus.DELETED],
    )
    if updated is None:
        raise InvalidInputException(f"{kind.value} {resource_id} is DELETED and cannot be updated.")
    return updated


def delete_resource(
    ctx: ServiceContext, kind: ResourceKind, resource_id: str, extra: Mapping[str, Any] | None = None
) -> Resource:
    """Soft-delete: the status becomes DELETED (Get still returns it) and its job is cancelled."""
    resource = get_resource(ctx, kind, resource_id)
    if resource.status is EntityStatus.DELETED:
        return resource
    updated = ctx.resources.update(kind, resource_id, {"status": EntityStatus.DELETED, **dict(extra or {})})
    ctx.jobs.cancel_for(kind, resource_id)
    return updated or resource


def start_resource(
    ctx: ServiceContext, kind: ResourceKind, resource_id: str, message: str | JobProgress | None = None
) -> Resource | None:
    """Move to INPROGRESS (again, when a job is retried); None if the resource left the job's hands.

    A :class:`JobProgress` is stored as the resource's progress and its ``Message`` rendered from it.
    """
    now = time.time()
    progress = JobProgress(message, seconds_elapsed=0.0) if isinstance(message, str) else message
    return ctx.resources.update(
        kind,
        resource_id,
        {
            "status": EntityStatus.INPROGRESS,
            "started_at": now,
            "message": progress.message() if progress is not None else None,
            "progress": progress.to_json() if progress is not None else None,
        },
        only_if_status=ALLOWED_TRANSITIONS[EntityStatus.INPROGRESS],
    )


def report_progress(
    ctx: ServiceContext, kind: ResourceKind, resource_id: str, progress: str | JobProgress
) -> None:
    """Store a running job's progress and its ``Message`` (rendered from it by :meth:`JobProgress.message`).

    A plain string is a report with only a phase.
    """
    report = JobProgress(progress) if isinstance(progress, str) else progress
    ctx.resources.update(
        kind,
        resource_id,
        {"message": report.message()[:MAX_MESSAGE_LENGTH], "progress": report.to_json()},
        only_if_status=[EntityStatus.INPROGRESS],
    )


def complete_resource(
    ctx: ServiceContext,
    kind: ResourceKind,
    resource_id: str,
    *,
    details: Mapping[str, Any],
    compute_time_ms: int | None,
    message: str | None = None,
    links: Mapping[str, Any] | None = None,
) -> Resource | None:
    return ctx.resources.update(
        kind,
        resource_id,
        {
            "status": EntityStatus.COMPLETED,
            "finished_at": time.time(),
            "details": dict(details),
            "compute_time_ms": compute_time_ms,
            "message": message,
            "progress": None,
            **dict(links or {}),
        },
        only_if_status=ALLOWED_TRANSITIONS[EntityStatus.COMPLETED],
    )


def fail_resource(
    ctx: ServiceContext,
    kind: ResourceKind,
    resource_id: str,
    message: str,
    details: Mapping[str, Any] | None = None,
) -> Resource | None:
    return ctx.resources.update(
        kind,
        resource_id,
        {
            "status": EntityStatus.FAILED,
            "finished_at": time.time(),
            "message": message[:MAX_MESSAGE_LENGTH],
            "details": dict(details or {}),
            "progress": None,
        },
        only_if_status=ALLOWED_TRANSITIONS[EntityStatus.FAILED],
    )


def describe_resources(
    ctx: ServiceContext, query: ResourceQuery
) -> tuple[list[Resource], tuple[Any, str] | None]:
    return ctx.resources.describe(query)


def check_resource_id(kind: ResourceKind, resource_id: str) -> None:
    """Refuse an ID that cannot name a folder (the validator refuses them first; this guards the rest)."""
    if resource_id in PATH_SEGMENT_IDS:
        raise InvalidInputException(
            f"{kind.value} ID {resource_id!r} is not allowed: '.' and '..' cannot name a resource."
        )


def read_text_at(ctx: ServiceContext, location: str, what: str) -> str:
    """The UTF-8 text at ``location`` (a schema, a recipe: read once, at request time); ``what`` names
    it in the ``InvalidInputException`` for text that is not UTF-8."""
    try:
        return ctx.objects.read_bytes(location).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputException(f"The {what} at {location} is not UTF-8 text.") from exc


def artifact_uri(ctx: ServiceContext, kind: ResourceKind, resource_id: str, name: str) -> str:
    """Where a resource's job keeps a file (statistics, model, report, log) in the data directory."""
    check_resource_id(kind, resource_id)
    return ctx.objects.data_uri(descriptor_of(kind).collection, resource_id, name)


def discard_unfinished_files(ctx: ServiceContext, kind: ResourceKind, resource_id: str) -> int:
    """Remove what a killed run of the resource's job left half-written in its data-directory folder."""
    check_resource_id(kind, resource_id)
    folder = ctx.objects.data_uri(descriptor_of(kind).collection, resource_id)
    return ctx.objects.server_files.discard_unfinished_below(folder)


def write_job_log(ctx: ServiceContext, kind: ResourceKind, resource_id: str, lines: Sequence[str]) -> None:
    """Replace the resource's job log (served at its ``LogUri``), each line stamped with the time."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    text = "".join(f"{stamp} {line}\n" for line in lines)
    ctx.objects.server_files.write_bytes(
        artifact_uri(ctx, kind, resource_id, "log.txt"), text.encode("utf-8")
    )


# --- tags ----------------------------------------------------------------------------------------


def _taggable(ctx: ServiceContext, kind: ResourceKind, resource_id: str, *, changing: bool) -> Resource:
    resource = get_resource(ctx, kind, resource_id)
    if changing and resource.status is EntityStatus.DELETED:
        raise InvalidInputException(f"{kind.value} {resource_id} is DELETED; its tags cannot be changed.")
    return resource


def _check_tag_key(key: str) -> None:
    if not key or len(key) > 128 or not _TAG_PATTERN.fullmatch(key):
        raise InvalidTagException(
            f"Invalid tag key {key!r}: keys are 1-128 letters, digits, spaces or _ . : / = + - @."
        )
    if key.lower().startswith("aws:"):
        raise InvalidTagException(f"Invalid tag key {key!r}: the prefix 'aws:' is reserved.")


def add_tags(ctx: ServiceContext, kind: ResourceKind, resource_id: str, tags: Sequence[Tag]) -> None:
    _taggable(ctx, kind, resource_id, changing=True)
    for tag in tags:
        _check_tag_key(tag.key)
        if tag.value is not None and (len(tag.value) > 256 or not _TAG_PATTERN.fullmatch(tag.value)):
            raise InvalidTagException(
                f"Invalid value for tag {tag.key!r}: "
                "values are 0-256 letters, digits, spaces or _ . : / = + - @ %."
            )
    if len({t.key for t in tags}) != len(tags):
        raise InvalidTagException("The same tag key appears more than once in the request.")
    if not ctx.resources.put_tags(kind, resource_id, tags, MAX_TAGS_PER_RESOURCE):
        raise TagLimitExceededException(
            f"{kind.value} {resource_id} would have more than {MAX_TAGS_PER_RESOURCE} tags; "
            "delete some first."
        )


def describe_tags(ctx: ServiceContext, kind: ResourceKind, resource_id: str) -> list[Tag]:
    _taggable(ctx, kind, resource_id, changing=False)
    return ctx.resources.tags(kind, resource_id)


def delete_tags(ctx: ServiceContext, kind: ResourceKind, resource_id: str, keys: Sequence[str]) -> None:
    _taggable(ctx, kind, resource_id, changing=True)
    for key in keys:
        _check_tag_key(key)
    ctx.resources.delete_tags(kind, resource_id, keys)


def inherited_tags(ctx: ServiceContext, parents: Sequence[tuple[ResourceKind, str]]) -> list[Tag]:
    """Tags copied to a new resource from the resources it is made from; later parents win conflicts."""
    merged: dict[str, Tag] = {}
    for kind, resource_id in parents:
        for tag in ctx.resources.tags(kind, resource_id):
            merged[tag.key] = tag
    return list(merged.values())[:MAX_TAGS_PER_RESOURCE]
