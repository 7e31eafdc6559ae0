"""Datasource use cases in process: create → ingest job → COMPLETED; idempotency; ``open_input``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openaml.domain import data_sources
from openaml.domain.context import ServiceContext
from openaml.domain.records import DataSourceSpec, SqlOrigin, TimeSplitOrigin
from openaml.domain.resources import delete_resource
from openaml.entities import EntityStatus, Resource, ResourceKind
from openaml.errors import IdempotentParameterMismatchException
from tests.domain.conftest import CALLER, HINTS, run_jobs, write_table

#: The full schema of :func:`tests.domain.conftest.write_table`'s tables.
SCHEMA = json.dumps(
    {
        "version": "1.0",
        "dataFormat": "CSV",
        "dataFileContainsHeader": True,
        "targetAttributeName": "y",
        "attributes": [
            {"attributeName": name, "attributeType": kind}
            for name, kind in (("x", "NUMERIC"), ("z", "NUMERIC"), ("y", "BINARY"))
        ],
    }
)


def test_a_created_datasource_is_ingested_to_completed(ctx: ServiceContext, io_dir: Path) -> None:
    data = write_table(io_dir / "train.csv")
    spec = DataSourceSpec(compute_statistics=True, location=str(data), schema_text=HINTS)
    created = data_sources.create_data_source(ctx, CALLER, data_source_id="ds-1", name="train", spec=spec)
    assert created.status is EntityStatus.PENDING and created.data_uri == str(data)
    run_jobs(ctx)
    done = ctx.resources.get(ResourceKind.DATA_SOURCE, "ds-1")
    assert done is not None and done.status is EntityStatus.COMPLETED, done
    assert done.details["ValidRecords"] == 300 and done.details["HasStatistics"] is True
    assert json.loads(done.details["DataSourceSchema"])["targetAttributeName"] == "y"
    assert DataSourceSpec.from_json(done.request) == spec


def test_a_schema_at_a_location_is_read_once_when_the_datasource_is_created(
    ctx: ServiceContext, io_dir: Path
) -> None:
    """The ingest job uses the schema read at request time, even when the file changed meanwhile."""
    data = write_table(io_dir / "train.csv")
    schema_file = io_dir / "train.schema"
    schema_file.write_text(HINTS)
    spec = DataSourceSpec(compute_statistics=False, location=str(data), schema_location=str(schema_file))
    data_sources.create_data_source(ctx, CALLER, data_source_id="ds-1", name=None, spec=spec)
    schema_file.write_text("not a schema any more")
    run_jobs(ctx)
    done = ctx.resources.get(ResourceKind.DATA_SOURCE, "ds-1")
    assert done is not None and done.status is EntityStatus.COMPLETED, done.message
    assert json.loads(done.details["DataSourceSchema"])["targetAttributeName"] == "y"


def test_repeating_a_create_compares_records(ctx: ServiceContext, io_dir: Path) -> None:
    data = str(write_table(io_dir / "train.csv"))
    spec = DataSourceSpec(compute_statistics=True, location=data, schema_text=HINTS)
    data_sources.create_data_source(ctx, CALLER, data_source_id="ds-1", name="n", spec=spec)
    again = DataSourceSpec(compute_statistics=True, location=data, schema_text=HINTS)
    assert (
        data_sources.create_data_source(ctx, CALLER, data_source_id="ds-1", name="n", spec=again).id == "ds-1"
    )
    other = DataSourceSpec(compute_statistics=False, location=data, schema_text=HINTS)
    with pytest.raises(IdempotentParameterMismatchException):
        data_sources.create_data_source(ctx, CALLER, data_source_id="ds-1", name="n", spec=other)


def test_a_row_stored_with_the_old_request_dict_still_loads_and_accepts_a_repeat(
    ctx: ServiceContext, io_dir: Path
) -> None:
    """Databases made before typed records hold the API's dict in ``request``: it reads as a record."""
    data = str(write_table(io_dir / "train.csv"))
    legacy = Resource(
        kind=ResourceKind.DATA_SOURCE,
        id="ds-old",
        status=EntityStatus.PENDING,
        created_at=1.0,
        last_updated_at=1.0,
        created_by=CALLER.user_arn,
        request={"DataSpec": {"DataLocationS3": data, "DataSchema": HINTS}, "ComputeStatistics": True},
        data_uri=data,
    )
    ctx.resources.create(legacy, data_sources.INGEST_JOB)
    repeat = DataSourceSpec(compute_statistics=True, location=data, schema_text=HINTS)
    assert data_sources.create_data_source(ctx, CALLER, data_source_id="ds-old", name=None, spec=repeat)
    run_jobs(ctx)
    done = ctx.resources.get(ResourceKind.DATA_SOURCE, "ds-old")
    assert done is not None and done.status is EntityStatus.COMPLETED, done.message
    assert done.details["ValidRecords"] == 300


def test_open_input_reads_a_sql_snapshot_rather_than_any_location(ctx: ServiceContext, io_dir: Path) -> None:
    snapshot = write_table(io_dir / "staging" / "ds-sql.csv", rows=40)
    elsewhere = write_table(io_dir / "elsewhere.csv", rows=10)
    origin = SqlOrigin("RDS", "db1", "shop", "reader", "SELECT 1", str(io_dir / "staging"), "arn:role")
    spec = DataSourceSpec(
        compute_statistics=False,
        location=str(elsewhere),
        sql=origin,
        snapshot_location=str(snapshot),
        rearrangement_text=json.dumps({"splitting": {"percentBegin": 10, "percentEnd": 20}}),
    )
    data_source = Resource(
        kind=ResourceKind.DATA_SOURCE,
        id="ds-sql",
        status=EntityStatus.COMPLETED,
        created_at=1.0,
        last_updated_at=1.0,
        created_by=CALLER.user_arn,
        request=spec.to_json(),
        details={"DataSourceSchema": SCHEMA},
    )
    data = data_sources.open_input(ctx, data_source)
    assert [Path(file.uri.removeprefix("file://")).name for file in data.files] == ["ds-sql.csv"]
    assert data.rearrangement is not None and data.rearrangement.percent_begin == 10
    assert data.schema.target_attribute_name == "y"


def _time_split_part(ctx: ServiceContext, table: Path, part: str) -> DataSourceSpec:
    """One part of a retrain's time split of ``table`` by ``x``, written under the data directory."""
    files = tuple(file.uri for file in data_sources.data_files(ctx, str(table)))
    splits = ctx.settings.data_dir / "uploads" / "openaml-retrain-splits"
    return DataSourceSpec(
        compute_statistics=False,
        location=str(table),
        schema_text=SCHEMA,
        snapshot_location=(splits / f"ds-{part}.parquet").as_uri(),
        time_split=TimeSplitOrigin(str(table), files, "x", 20.0, part),
    )


def test_deleting_removes_the_files_the_service_wrote_never_the_callers(
    ctx: ServiceContext, io_dir: Path
) -> None:
    table = write_table(io_dir / "months.csv")
    splits = ctx.settings.data_dir / "uploads" / "openaml-retrain-splits"
    for part in ("training", "holdout"):  # a retrain's time split by a column: both parts written
        spec = _time_split_part(ctx, table, part)
        assert data_sources.materialised_files(spec) == [spec.snapshot_location]
        data_sources.create_data_source(ctx, CALLER, data_source_id=f"ds-{part}", name=None, spec=spec)
    run_jobs(ctx)
    assert sorted(p.name for p in splits.iterdir()) == ["ds-holdout.parquet", "ds-training.parquet"]

    deleted = delete_resource(ctx, ResourceKind.DATA_SOURCE, "ds-holdout")
    data_sources.remove_materialised_files(ctx, deleted)  # what DeleteDataSource does after marking it
    assert sorted(p.name for p in splits.iterdir()) == ["ds-training.parquet"]
    assert table.exists()  # the caller's file stays
    plain = DataSourceSpec(compute_statistics=False, location=str(table), schema_text=SCHEMA)
    assert data_sources.materialised_files(plain) == []  # nothing of a plain datasource is removed


def test_a_snapshot_finished_after_the_delete_is_removed_by_its_job(
    ctx: ServiceContext, io_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = write_table(io_dir / "months.csv")
    spec = _time_split_part(ctx, table, "holdout")
    data_sources.create_data_source(ctx, CALLER, data_source_id="ds-holdout", name=None, spec=spec)
    write = data_sources.write_time_split

    def write_then_deleted(*args: Any, **kwargs: Any) -> None:
        write(*args, **kwargs)
        deleted = delete_resource(ctx, ResourceKind.DATA_SOURCE, "ds-holdout")  # DeleteDataSource meanwhile
        data_sources.remove_materialised_files(ctx, deleted)  # before the write below is committed

    monkeypatch.setattr(data_sources, "write_time_split", write_then_deleted)
    run_jobs(ctx)
    assert spec.snapshot_location is not None
    assert not Path(spec.snapshot_location.removeprefix("file://")).exists()
    got = ctx.resources.get(ResourceKind.DATA_SOURCE, "ds-holdout")
    assert got is not None and got.status is EntityStatus.DELETED
