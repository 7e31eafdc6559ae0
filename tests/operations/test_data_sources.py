"""DataSources through the unchanged boto3 client against a live server."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import sqlite3
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from tests.support.server import LiveServer

WAIT = {"Delay": 1, "MaxAttempts": 240}


def wait_done(ml: Any, data_source_id: str, timeout: float = 240) -> dict[str, Any]:
    """Poll until the datasource is COMPLETED or FAILED and return GetDataSource(Verbose=True)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = ml.get_data_source(DataSourceId=data_source_id, Verbose=True)
        if got["Status"] in ("COMPLETED", "FAILED"):
            return got  # type: ignore[no-any-return]
        time.sleep(0.3)
    raise AssertionError(f"{data_source_id} did not finish: {got}")


def statistics(server: LiveServer, data_source_id: str) -> dict[str, Any]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY

    url = f"{server.url}/openaml/v1/datasources/{data_source_id}/statistics"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1").add_auth(request)
    with urllib.request.urlopen(
        urllib.request.Request(url, headers=dict(request.headers.items()))
    ) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_a_local_csv_becomes_a_datasource_with_statistics(
    ml: Any, server: LiveServer, datasets_dir: Path, new_id: Any
) -> None:
    data_source_id = new_id("ds")
    ml.create_data_source_from_s3(
        DataSourceId=data_source_id,
        DataSourceName="titanic",
        ComputeStatistics=True,
        DataSpec={
            "DataLocationS3": str(datasets_dir / "titanic.csv"),
            "DataSchema": json.dumps({"targetAttributeName": "survived"}),
        },
    )
    assert ml.get_data_source(DataSourceId=data_source_id)["Status"] in ("PENDING", "INPROGRESS", "COMPLETED")
    got = wait_done(ml, data_source_id)
    assert got["Status"] == "COMPLETED", got.get("Message")
    assert (
        got["NumberOfFiles"] == 1 and got["DataSizeInBytes"] == (datasets_dir / "titanic.csv").stat().st_size
    )
    assert got["ComputeStatistics"] is True and got["ComputeTime"] >= 0
    assert got["StartedAt"] <= got["FinishedAt"]
    schema = json.loads(got["DataSourceSchema"])
    assert schema["targetAttributeName"] == "survived"
    types = {a["attributeName"]: a["attributeType"] for a in schema["attributes"]}
    assert types["survived"] == "BINARY" and types["sex"] == "CATEGORICAL" and types["age"] == "NUMERIC"

    stats = statistics(server, data_source_id)
    assert stats["recordsRead"] == 891 and stats["validRecords"] == 891
    age = next(a for a in stats["attributes"] if a["name"] == "age")
    assert age["missing"] == 177 and age["correlationToTarget"]["measure"] == "mutualInformation"

    with urllib.request.urlopen(got["LogUri"]) as response:  # presigned: opens without credentials
        assert b"records read: 891" in response.read()

    waiter = ml.get_waiter("data_source_available")
    waiter.wait(FilterVariable="Name", EQ="titanic", WaiterConfig=WAIT)


def test_create_is_idempotent_and_a_mismatch_is_refused(ml: Any, datasets_dir: Path, new_id: Any) -> None:
    data_source_id = new_id("ds")
    spec = {
        "DataLocationS3": str(datasets_dir / "penguins.csv"),
        "DataSchema": '{"targetAttributeName": "species"}',
    }
    ml.create_data_source_from_s3(DataSourceId=data_source_id, DataSpec=spec)
    assert (
        ml.create_data_source_from_s3(DataSourceId=data_source_id, DataSpec=spec)["DataSourceId"]
        == data_source_id
    )
    with pytest.raises(ml.exceptions.IdempotentParameterMismatchException):
        ml.create_data_source_from_s3(DataSourceId=data_source_id, DataSpec=spec, ComputeStatistics=True)
    got = wait_done(ml, data_source_id)
    assert got["Status"] == "COMPLETED" and "ComputeTime" not in got


def test_request_time_errors_are_invalid_input(
    ml: Any, datasets_dir: Path, new_id: Any, tmp_path: Path
) -> None:
    cases = [
        ({"DataLocationS3": "/etc/passwd"}, "outside"),
        ({"DataLocationS3": str(datasets_dir / "missing.csv")}, "nothing at"),
        ({"DataLocationS3": str(datasets_dir / "titanic.csv"), "DataSchema": "{not json"}, "JSON"),
        (
            {
                "DataLocationS3": str(datasets_dir / "titanic.csv"),
                "DataSchema": json.dumps(
                    {
                        "version": "1.0",
                        "targetAttributeName": "nope",
                        "attributes": [{"attributeName": "a", "attributeType": "NUMERIC"}],
                    }
                ),
            },
            "nope",
        ),
        (
            {"DataLocationS3": str(datasets_dir / "titanic.csv"), "DataRearrangement": '{"splitting": 5}'},
            "splitting",
        ),
        ({"DataLocationS3": "relative/path.csv"}, "DataLocationS3"),
    ]
    for spec, fragment in cases:
        with pytest.raises(ml.exceptions.InvalidInputException, match=fragment):
            ml.create_data_source_from_s3(DataSourceId=new_id("ds"), DataSpec=spec)


def test_invalid_records_are_logged_and_too_many_fail(ml: Any, server: LiveServer, new_id: Any) -> None:
    assert server.scratch is not None
    good_rows = [[str(i), str(i * 2), "yes" if i % 2 else "no"] for i in range(200)]
    bad_rows = [["x1", "1", "yes"], ["3", "2", "maybe"], ["4", "2"]]
    path = server.scratch / f"{new_id('bad')}.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a", "b", "label"])
        writer.writerows(good_rows[:100] + bad_rows + good_rows[100:])
    schema = json.dumps(
        {
            "version": "1.0",
            "targetAttributeName": "label",
            "dataFileContainsHeader": True,
            "attributes": [
                {"attributeName": "a", "attributeType": "NUMERIC"},
                {"attributeName": "b", "attributeType": "NUMERIC"},
                {"attributeName": "label", "attributeType": "BINARY"},
            ],
        }
    )
    ok_id = new_id("ds")
    ml.create_data_source_from_s3(
        DataSourceId=ok_id,
        ComputeStatistics=True,
        DataSpec={"DataLocationS3": str(path), "DataSchema": schema},
    )
    got = wait_done(ml, ok_id)
    assert got["Status"] == "COMPLETED", got.get("Message")
    assert "3 of 203 records were invalid" in got["Message"]
    with urllib.request.urlopen(got["LogUri"]) as response:
        log = response.read().decode()
    assert "row 102" in log and "'x1'" in log and "'maybe'" in log

    too_many = server.scratch / f"{new_id('many')}.csv"
    too_many.write_text("a,b,label\n" + "1,2,no\n" * 10 + "".join(f"{i},oops,yes\n" for i in range(10_050)))
    failing = new_id("ds")
    ml.create_data_source_from_s3(
        DataSourceId=failing, DataSpec={"DataLocationS3": str(too_many), "DataSchema": schema}
    )
    got = wait_done(ml, failing)
    assert got["Status"] == "FAILED"
    assert "More than 10,000 records are invalid" in got["Message"] and "oops" in got["Message"]
    empty = server.scratch / f"{new_id('empty')}.csv"
    empty.write_text("a,b,label\n" + "".join(f"{i},oops,yes\n" for i in range(5)))
    failing = new_id("ds")
    ml.create_data_source_from_s3(
        DataSourceId=failing, DataSpec={"DataLocationS3": str(empty), "DataSchema": schema}
    )
    got = wait_done(ml, failing)
    assert (
        got["Status"] == "FAILED" and "No valid record remains" in got["Message"] and "oops" in got["Message"]
    )


def test_rearrangement_splits_one_file_into_disjoint_datasources(
    ml: Any, server: LiveServer, datasets_dir: Path, real_datasets: bool, new_id: Any
) -> None:
    location = str(datasets_dir / "wine_quality.csv")
    records = 6497 if real_datasets else len(Path(location).read_text().splitlines()) - 1
    ids = []
    for rearrangement in (
        '{"splitting": {"percentBegin": 0, "percentEnd": 70, "strategy": "random", '
        '"strategyParams": {"randomSeed": "s"}}}',
        '{"splitting": {"percentBegin": 0, "percentEnd": 70, "complement": "true", '
        '"strategy": "random", "strategyParams": {"randomSeed": "s"}}}',
    ):
        data_source_id = new_id("ds")
        ml.create_data_source_from_s3(
            DataSourceId=data_source_id,
            ComputeStatistics=True,
            DataSpec={
                "DataLocationS3": location,
                "DataRearrangement": rearrangement,
                "DataSchema": '{"targetAttributeName": "quality"}',
            },
        )
        ids.append(data_source_id)
    counts = []
    for data_source_id in ids:
        got = wait_done(ml, data_source_id)
        assert got["Status"] == "COMPLETED", got.get("Message")
        assert json.loads(got["DataRearrangement"])["splitting"]["percentEnd"] == 70
        counts.append(statistics(server, data_source_id)["recordsRead"])
    assert sum(counts) == records and 0.6 < counts[0] / records < 0.8


def test_an_s3_prefix_of_several_files_and_gzip(
    ml: Any, server: LiveServer, server_s3: Any, datasets_dir: Path, new_id: Any
) -> None:
    bucket = new_id("bucket").lower().replace("_", "-")[:60]
    server_s3.create_bucket(Bucket=bucket)
    lines = (datasets_dir / "penguins.csv").read_text().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    server_s3.put_object(
        Bucket=bucket, Key="penguins/part-1.csv", Body="".join([header, *rows[:150]]).encode()
    )
    server_s3.put_object(
        Bucket=bucket,
        Key="penguins/part-2.csv.gz",
        Body=gzip.compress("".join([header, *rows[150:]]).encode()),
    )
    server_s3.put_object(Bucket=bucket, Key="penguins/.schema", Body=b"ignored hidden file")
    data_source_id = new_id("ds")
    ml.create_data_source_from_s3(
        DataSourceId=data_source_id,
        ComputeStatistics=True,
        DataSpec={
            "DataLocationS3": f"s3://{bucket}/penguins/",
            "DataSchema": '{"targetAttributeName": "species"}',
        },
    )
    got = wait_done(ml, data_source_id)
    assert got["Status"] == "COMPLETED", got.get("Message")
    assert got["NumberOfFiles"] == 2 and got["DataLocationS3"] == f"s3://{bucket}/penguins/"
    assert statistics(server, data_source_id)["recordsRead"] == 344

    server_s3.put_object(Bucket=bucket, Key="mixed/a.csv", Body=b"x,y\n1,2\n")
    server_s3.put_object(Bucket=bucket, Key="mixed/b.csv", Body=b"x,z\n1,2\n")
    mixed = new_id("ds")
    ml.create_data_source_from_s3(DataSourceId=mixed, DataSpec={"DataLocationS3": f"s3://{bucket}/mixed/"})
    got = wait_done(ml, mixed)
    assert got["Status"] == "FAILED" and "b.csv" in got["Message"]


def test_a_sql_query_is_snapshotted(
    ml: Any, tmp_path_factory: pytest.TempPathFactory, datasets_dir: Path, new_id: Any
) -> None:
    folder = tmp_path_factory.mktemp("sql")
    database = folder / "penguins.db"
    with sqlite3.connect(database) as connection, (datasets_dir / "penguins.csv").open() as handle:
        reader = csv.reader(handle)
        header = next(reader)
        connection.execute(f"CREATE TABLE penguins ({', '.join(header)})")
        connection.executemany(
            f"INSERT INTO penguins VALUES ({', '.join('?' * len(header))})",
            [[v or None for v in row] for row in reader],
        )
    server = LiveServer(
        folder / "data",
        env={
            "OPENAML_SQL_DATABASES": json.dumps({"penguins-db": f"sqlite:///{database}"}),
            "OPENAML_DATA_ROOTS": str(folder / "staging"),
        },
    ).start()
    try:
        client = server.client()
        data_source_id = new_id("ds")
        request = {
            "DataSourceId": data_source_id,
            "RoleARN": "arn:aws:iam::000000000000:role/x",
            "ComputeStatistics": True,
            "RDSData": {
                "DatabaseInformation": {"InstanceIdentifier": "penguins-db", "DatabaseName": "main"},
                "SelectSqlQuery": "SELECT * FROM penguins WHERE island != 'Torgersen'",
                "DatabaseCredentials": {"Username": "reader", "Password": "not-used-1"},
                "S3StagingLocation": str(folder / "staging") + "/",
                "ResourceRole": "r",
                "ServiceRole": "s",
                "SubnetId": "subnet-1",
                "SecurityGroupIds": ["sg-1"],
                "DataSchema": '{"targetAttributeName": "species"}',
            },
        }
        client.create_data_source_from_rds(**request)
        got = wait_done(client, data_source_id)
        assert got["Status"] == "COMPLETED", got.get("Message")
        assert got["RDSMetadata"]["SelectSqlQuery"].startswith("SELECT")
        assert got["DataLocationS3"].endswith(f"{data_source_id}.parquet")
        assert "Password" not in json.dumps(got, default=str)
        snapshot = folder / "staging" / f"{data_source_id}.parquet"
        mine = folder / "staging" / "mine.csv"  # the caller's own file beside the snapshot
        mine.write_text("a,b\n1,2\n")
        assert snapshot.exists()
        with pytest.raises(client.exceptions.InvalidInputException, match="OPENAML_SQL_DATABASES"):
            client.create_data_source_from_rds(
                **{
                    **request,
                    "DataSourceId": new_id("ds"),
                    "RDSData": {
                        **request["RDSData"],
                        "DatabaseInformation": {"InstanceIdentifier": "other", "DatabaseName": "x"},
                    },
                }
            )
        client.delete_data_source(DataSourceId=data_source_id)  # removes what the service wrote only
        assert client.get_data_source(DataSourceId=data_source_id)["Status"] == "DELETED"
        assert not snapshot.exists() and mine.exists()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_describe_filters_sorts_pages_and_hides_deleted(ml: Any, datasets_dir: Path, new_id: Any) -> None:
    prefix = new_id("list")
    ids = [f"{prefix}-{i}" for i in range(5)]
    for index, data_source_id in enumerate(ids):
        ml.create_data_source_from_s3(
            DataSourceId=data_source_id,
            DataSourceName=f"{prefix}-name-{index}",
            DataSpec={"DataLocationS3": str(datasets_dir / "penguins.csv")},
        )
    pages = list(
        ml.get_paginator("describe_data_sources").paginate(
            FilterVariable="Name", Prefix=prefix, SortOrder="dsc", PaginationConfig={"PageSize": 2}
        )
    )
    assert [len(p["Results"]) for p in pages] == [2, 2, 1]
    assert [r["DataSourceId"] for p in pages for r in p["Results"]] == ids[::-1]

    ml.delete_data_source(DataSourceId=ids[0])
    assert ml.get_data_source(DataSourceId=ids[0])["Status"] == "DELETED"
    listed = ml.describe_data_sources(FilterVariable="Name", Prefix=prefix)["Results"]
    assert ids[0] not in [r["DataSourceId"] for r in listed]
    deleted = ml.describe_data_sources(FilterVariable="Status", EQ="DELETED")["Results"]
    assert ids[0] in [r["DataSourceId"] for r in deleted]
    with pytest.raises(ml.exceptions.InvalidInputException):
        ml.update_data_source(DataSourceId=ids[0], DataSourceName="renamed")
    ml.update_data_source(DataSourceId=ids[1], DataSourceName="renamed")
    assert ml.get_data_source(DataSourceId=ids[1])["Name"] == "renamed"
    with pytest.raises(ml.exceptions.InvalidInputException, match="NextToken"):
        ml.describe_data_sources(FilterVariable="Name", NextToken="garbage")
    recent = ml.describe_data_sources(FilterVariable="CreatedAt", GE="2000-01-01T00:00:00Z", Limit=1)
    assert len(recent["Results"]) == 1 and "NextToken" in recent


def test_tags(ml: Any, datasets_dir: Path, new_id: Any) -> None:
    data_source_id = new_id("ds")
    ml.create_data_source_from_s3(
        DataSourceId=data_source_id, DataSpec={"DataLocationS3": str(datasets_dir / "penguins.csv")}
    )
    ml.add_tags(
        ResourceId=data_source_id,
        ResourceType="DataSource",
        Tags=[{"Key": "team", "Value": "ml"}, {"Key": "flag"}],
    )
    ml.add_tags(ResourceId=data_source_id, ResourceType="DataSource", Tags=[{"Key": "team", "Value": "data"}])
    tags = ml.describe_tags(ResourceId=data_source_id, ResourceType="DataSource")["Tags"]
    assert tags == [{"Key": "flag"}, {"Key": "team", "Value": "data"}]
    with pytest.raises(ml.exceptions.InvalidTagException, match="aws:"):
        ml.add_tags(
            ResourceId=data_source_id, ResourceType="DataSource", Tags=[{"Key": "aws:x", "Value": "1"}]
        )
    with pytest.raises(ml.exceptions.TagLimitExceededException):
        ml.add_tags(
            ResourceId=data_source_id,
            ResourceType="DataSource",
            Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)],
        )
    with pytest.raises(ml.exceptions.ResourceNotFoundException):
        ml.describe_tags(ResourceId=data_source_id, ResourceType="MLModel")
    ml.delete_tags(ResourceId=data_source_id, ResourceType="DataSource", TagKeys=["flag", "unknown"])
    assert ml.describe_tags(ResourceId=data_source_id, ResourceType="DataSource")["Tags"] == [
        {"Key": "team", "Value": "data"}
    ]


def test_deleting_during_ingest_wins_over_the_job(ml: Any, datasets_dir: Path, new_id: Any) -> None:
    data_source_id = new_id("ds")
    ml.create_data_source_from_s3(
        DataSourceId=data_source_id,
        ComputeStatistics=True,
        DataSpec={"DataLocationS3": str(datasets_dir / "skin_segmentation.csv")},
    )
    ml.delete_data_source(DataSourceId=data_source_id)
    time.sleep(3)
    got = ml.get_data_source(DataSourceId=data_source_id)
    assert got["Status"] == "DELETED"
    with pytest.raises(ml.exceptions.InvalidInputException, match="deleted"):
        ml.create_data_source_from_s3(
            DataSourceId=data_source_id,
            ComputeStatistics=True,
            DataSpec={"DataLocationS3": str(datasets_dir / "skin_segmentation.csv")},
        )


def test_schema_inference_preview(server: LiveServer, datasets_dir: Path) -> None:
    import httpx
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY

    def post(body: dict[str, Any]) -> httpx.Response:
        url = f"{server.url}/openaml/v1/datasources/schema-inference"
        data = json.dumps(body).encode()
        request = AWSRequest(method="POST", url=url, data=data, headers={"Content-Type": "application/json"})
        SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1").add_auth(
            request
        )
        return httpx.post(url, content=data, headers=dict(request.headers.items()))

    response = post({"DataLocationS3": str(datasets_dir / "titanic.csv"), "targetAttributeName": "survived"})
    assert response.status_code == 200, response.text
    schema = json.loads(response.json()["DataSchema"])
    assert schema["targetAttributeName"] == "survived" and len(schema["attributes"]) == 14
    assert post({"DataLocationS3": "/etc/passwd"}).json()["__type"] == "InvalidInputException"
    assert (
        "target"
        in post({"DataLocationS3": str(datasets_dir / "titanic.csv"), "targetAttributeName": "nope"})
        .json()["message"]
        .lower()
    )


TARGETS = {
    "bike_sharing_hourly.csv": "cnt",
    "caravan.csv": "Purchase",
    "diamonds.csv": "price",
    "digits.csv": "digit",
    "har_train_sample.csv": "activity",
    "penguins.csv": "species",
    "sentiment_sentences.csv": "sentiment",
    "skin_segmentation.csv": "skin",
    "titanic.csv": "survived",
    "wine_quality.csv": "quality",
}


@pytest.mark.parametrize("file_name", sorted(TARGETS))
def test_every_dev_dataset_becomes_a_datasource_with_statistics(
    ml: Any, server: LiveServer, datasets_dir: Path, new_id: Any, file_name: str
) -> None:
    data_source_id = new_id("ds")
    ml.create_data_source_from_s3(
        DataSourceId=data_source_id,
        ComputeStatistics=True,
        DataSpec={
            "DataLocationS3": str(datasets_dir / file_name),
            "DataSchema": json.dumps({"targetAttributeName": TARGETS[file_name]}),
        },
    )
    got = wait_done(ml, data_source_id)
    assert got["Status"] == "COMPLETED", got.get("Message")
    stats = statistics(server, data_source_id)
    rows = sum(1 for _ in (datasets_dir / file_name).open()) - 1
    assert stats["validRecords"] == stats["recordsRead"] and stats["recordsRead"] >= rows - 5
    assert stats["target"]["name"] == TARGETS[file_name]
    assert all(a["correlationToTarget"] is not None for a in stats["attributes"] if a["role"] == "input")
