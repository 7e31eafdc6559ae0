"""The metadata database: migrations, schema checks, and resources with their jobs, on both back ends."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import inspect

from openaml.entities import EntityStatus, Resource, ResourceKind, Tag
from openaml.errors import ConfigurationError
from openaml.store.metadata import MetadataStore, head_revision
from openaml.store.resources import ResourceQuery, ResourceStore
from openaml.store.tables import Base


def make(kind: ResourceKind, resource_id: str, created_at: float, name: str | None = None) -> Resource:
    return Resource(
        kind=kind,
        id=resource_id,
        status=EntityStatus.PENDING,
        created_at=created_at,
        last_updated_at=created_at,
        created_by="arn:aws:iam::000000000000:user/t",
        name=name,
        request={"a": 1},
    )


def test_migrations_create_exactly_the_declared_tables(database_url: str) -> None:
    store = MetadataStore(database_url)
    store.check_schema(initialize_empty=True)
    assert store.current_revision() == head_revision()
    with store.engine.connect() as connection:
        inspector = inspect(connection)
        for table in Base.metadata.sorted_tables:
            migrated = {c["name"] for c in inspector.get_columns(table.name)}
            assert migrated == {c.name for c in table.columns}, table.name
    store.dispose()


def test_refuses_an_outdated_schema_with_the_command_to_run(database_url: str) -> None:
    store = MetadataStore(database_url)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE unrelated (x INTEGER)")
    with pytest.raises(ConfigurationError, match="openaml db upgrade"):
        store.check_schema(initialize_empty=True)
    store.upgrade_schema()
    store.check_schema(initialize_empty=False)
    store.dispose()


def test_create_is_single_and_describe_pages_in_order(service_context) -> None:
    resources: ResourceStore = service_context.resources
    now = time.time()
    for index in range(7):
        _, fresh = resources.create(
            make(ResourceKind.DATA_SOURCE, f"ds-{index}", now + index, name=f"n{index % 3}"), "ingest"
        )
        assert fresh
    again, fresh = resources.create(make(ResourceKind.DATA_SOURCE, "ds-0", now), "ingest")
    assert not fresh and again.created_at == pytest.approx(now)
    assert len(service_context.jobs.jobs_for(ResourceKind.DATA_SOURCE, "ds-0")) == 1

    seen, cursor = [], None
    while True:
        page, cursor = resources.describe(ResourceQuery(ResourceKind.DATA_SOURCE, limit=3, after=cursor))
        seen.extend(r.id for r in page)
        if cursor is None:
            break
    assert seen == [f"ds-{i}" for i in range(7)]

    by_name, _ = resources.describe(
        ResourceQuery(ResourceKind.DATA_SOURCE, column="name", descending=True, comparators={"Prefix": "n"})
    )
    assert [r.name for r in by_name] == ["n2", "n2", "n1", "n1", "n0", "n0", "n0"]
    upper, _ = resources.describe(
        ResourceQuery(ResourceKind.DATA_SOURCE, column="name", comparators={"Prefix": "N"})
    )
    assert upper == []


def test_deleted_resources_are_hidden_unless_asked_for(service_context) -> None:
    resources: ResourceStore = service_context.resources
    resources.create(make(ResourceKind.ML_MODEL, "m1", time.time()), None)
    resources.update(ResourceKind.ML_MODEL, "m1", {"status": EntityStatus.DELETED})
    assert resources.describe(ResourceQuery(ResourceKind.ML_MODEL))[0] == []
    shown, _ = resources.describe(
        ResourceQuery(
            ResourceKind.ML_MODEL, column="status", include_deleted=True, comparators={"EQ": "DELETED"}
        )
    )
    assert [r.id for r in shown] == ["m1"]


def test_conditional_update_and_tags(service_context) -> None:
    resources: ResourceStore = service_context.resources
    resources.create(make(ResourceKind.EVALUATION, "e1", time.time()), None)
    assert (
        resources.update(
            ResourceKind.EVALUATION,
            "e1",
            {"status": EntityStatus.COMPLETED},
            only_if_status=[EntityStatus.INPROGRESS],
        )
        is None
    )
    updated = resources.update(ResourceKind.EVALUATION, "e1", {"details": {"x": 1}})
    assert updated is not None and updated.details == {"x": 1}
    assert resources.put_tags(ResourceKind.EVALUATION, "e1", [Tag("a", "1"), Tag("b", None)], limit=2)
    assert not resources.put_tags(ResourceKind.EVALUATION, "e1", [Tag("c", "3")], limit=2)
    assert resources.put_tags(ResourceKind.EVALUATION, "e1", [Tag("a", "changed")], limit=2)
    resources.delete_tags(ResourceKind.EVALUATION, "e1", ["b", "unknown"])
    assert resources.tags(ResourceKind.EVALUATION, "e1") == [Tag("a", "changed")]
