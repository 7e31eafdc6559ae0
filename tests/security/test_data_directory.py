"""The server's data directory is sealed (issue 13 item 4; issue 14 item 7).

The data directory holds the server's own files: the credentials, the metadata database, model
artifacts, statistics and job logs. No caller-supplied location (DataLocationS3, DataSchemaLocationS3,
RecipeUri, OutputUri, S3StagingLocation, the schema-inference preview) may name it, even through a data
root that contains it or a symbolic link; callers may use only its ``uploads/`` folder. Refusals name the
caller's URI, never where a symbolic link leads nor anything read from a file. Files and folders the
server creates there are private to its user (0600/0700).

These tests run one live server whose only local data root is the folder that contains its data
directory, the worst case an operator can configure.
"""

from __future__ import annotations

import json
import shutil
import stat
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.support.api import finished
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

PENGUINS_SCHEMA = '{"targetAttributeName": "species"}'


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root that contains the server's data directory (``host/data``)."""
    return tmp_path_factory.mktemp("host")


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside every allowed location, holding a secret file."""
    folder = tmp_path_factory.mktemp("outside-the-roots")
    (folder / "secret.txt").write_text("top secret bytes\n")
    return folder


@pytest.fixture(scope="module")
def sealed_server(host: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    database = tmp_path_factory.mktemp("sql") / "one.db"
    keys = [{"access_key_id": "OAMLOTHERKEY00000001", "secret_access_key": "another-secret-0123456789"}]
    (host / "keys.json").write_text(json.dumps(keys))
    live = LiveServer(
        host / "data",
        env={
            "OPENAML_DATA_ROOTS": str(host),
            "OPENAML_CREDENTIALS_FILE": str(host / "keys.json"),
            "OPENAML_SQL_DATABASES": json.dumps({"one-db": f"sqlite:///{database}"}),
        },
    )
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def client(sealed_server: LiveServer) -> Any:
    return sealed_server.client()


@pytest.fixture(scope="module")
def penguins_upload(sealed_server: LiveServer, datasets_dir: Path) -> Path:
    """penguins.csv copied into the uploads folder, the one part of the data directory callers may use."""
    uploads = sealed_server.data_dir / "uploads"
    uploads.mkdir(exist_ok=True)  # the fixed server creates it; main's code does not
    target = uploads / "penguins.csv"
    shutil.copyfile(datasets_dir / "penguins.csv", target)
    return target


@pytest.fixture(scope="module")
def usable_model(client: Any, penguins_upload: Path) -> str:
    """A datasource and a model made from it (neither need be finished to be named in requests)."""
    client.create_data_source_from_s3(
        DataSourceId="ds-sealed",
        DataSpec={"DataLocationS3": str(penguins_upload), "DataSchema": PENGUINS_SCHEMA},
        ComputeStatistics=True,
    )
    client.create_ml_model(
        MLModelId="ml-sealed",
        MLModelType="MULTICLASS",
        TrainingDataSourceId="ds-sealed",
        Parameters={"openaml.algorithms": "sgd"},
    )
    return "ml-sealed"


def refusal(client: Any, call: Any, **params: Any) -> str:
    """The message of the InvalidInputException ``call(**params)`` must raise."""
    with pytest.raises(client.exceptions.InvalidInputException) as refused:
        call(**params)
    return str(refused.value.response["Error"]["Message"])


def from_s3(client: Any, data_source_id: str, location: str, **spec: Any) -> str:
    return refusal(
        client,
        client.create_data_source_from_s3,
        DataSourceId=data_source_id,
        DataSpec={"DataLocationS3": location, **spec},
        ComputeStatistics=True,
    )


@pytest.mark.parametrize("name", ["credentials.json", "metadata.db", "", "mlmodels/"])
def test_the_servers_own_files_are_never_a_datasource(
    client: Any, sealed_server: LiveServer, name: str
) -> None:
    """Issue 13 item 4: over credentials.json (every key pair through statistics) or metadata.db."""
    location = str(sealed_server.data_dir / name) if name else str(sealed_server.data_dir)
    if name == "credentials.json":
        (sealed_server.data_dir / name).write_text("[]")  # as `openaml serve` writes it without keys
    message = from_s3(client, f"ds-own-{name.strip('/.') or 'dir'}", location)
    assert location in message and "uploads" in message
    assert "not allowed" in message


def test_a_credentials_file_outside_the_data_directory_is_sealed_too(client: Any, host: Path) -> None:
    """Issue 13 item 4: OPENAML_CREDENTIALS_FILE inside a data root is still the server's own file."""
    message = from_s3(client, "ds-keys", str(host / "keys.json"))
    assert "not allowed" in message and "another-secret" not in message


def test_a_data_root_containing_the_data_directory_cannot_be_read_as_a_whole(client: Any, host: Path) -> None:
    """Issue 13 item 4: a prefix holding the data directory would list the server's files."""
    message = from_s3(client, "ds-whole-root", str(host) + "/")
    assert "data directory" in message


def test_a_symbolic_link_to_the_credentials_is_refused_without_naming_its_target(
    client: Any, sealed_server: LiveServer, host: Path
) -> None:
    """Issue 13 item 4: a link inside a data root leads to the credentials file."""
    credentials = sealed_server.data_dir / "credentials.json"
    credentials.write_text("[]")
    link = host / "innocent.csv"
    link.unlink(missing_ok=True)
    link.symlink_to(credentials)

    message = from_s3(client, "ds-link-in", str(link))

    assert str(link) in message and "symbolic link" in message
    assert "credentials.json" not in message


def test_a_symbolic_link_out_of_the_roots_is_refused_without_naming_its_target(
    client: Any, host: Path, outside: Path
) -> None:
    """Issue 13 item 4: where a link outside the roots points is no business of the caller."""
    link = host / "elsewhere.csv"
    link.unlink(missing_ok=True)
    link.symlink_to(outside / "secret.txt")

    message = from_s3(client, "ds-link-out", str(link))

    assert str(link) in message and "symbolic link" in message
    assert str(outside) not in message and "secret" not in message


def test_schema_and_recipe_locations_are_sealed_too(
    client: Any, sealed_server: LiveServer, penguins_upload: Path, usable_model: str
) -> None:
    """Issue 13 item 4: DataSchemaLocationS3 and RecipeUri over the server's files, no byte echoed."""
    credentials = sealed_server.data_dir / "credentials.json"
    credentials.write_text('[{"access_key_id": "AKIDSEALED", "secret_access_key": "s3cr3t-bytes"}]')
    schema_message = from_s3(
        client, "ds-schema-own", str(penguins_upload), DataSchemaLocationS3=str(credentials)
    )
    recipe_message = refusal(
        client,
        client.create_ml_model,
        MLModelId="ml-recipe-own",
        MLModelType="MULTICLASS",
        TrainingDataSourceId="ds-sealed",
        RecipeUri=str(sealed_server.data_dir / "metadata.db"),
    )
    for message in (schema_message, recipe_message):
        assert "not allowed" in message
        assert "AKIDSEALED" not in message and "s3cr3t" not in message and "SQLite" not in message


def test_batch_outputs_may_not_go_into_the_data_directory(
    client: Any, sealed_server: LiveServer, usable_model: str
) -> None:
    """Issue 13 item 4: OutputUri inside the data directory would overwrite the server's files."""
    output = str(sealed_server.data_dir / "mlmodels") + "/"
    message = refusal(
        client,
        client.create_batch_prediction,
        BatchPredictionId="bp-own",
        MLModelId=usable_model,
        BatchPredictionDataSourceId="ds-sealed",
        OutputUri=output,
    )
    assert output in message and "not allowed" in message
    assert not (sealed_server.data_dir / "mlmodels" / "batch-prediction").exists()


def test_an_output_uri_outside_the_roots_is_named_as_given(
    client: Any, outside: Path, usable_model: str
) -> None:
    """Issue 14 item 7: the message named the internal probe file ``.openaml-write-check``."""
    output = str(outside / "results") + "/"
    message = refusal(
        client,
        client.create_batch_prediction,
        BatchPredictionId="bp-outside",
        MLModelId=usable_model,
        BatchPredictionDataSourceId="ds-sealed",
        OutputUri=output,
    )
    assert output.rstrip("/") in message
    assert ".openaml-write-check" not in message and "batch-prediction" not in message


def test_sql_snapshots_may_not_be_staged_in_the_data_directory(
    client: Any, sealed_server: LiveServer
) -> None:
    """Issue 13 item 4: S3StagingLocation is a write location like OutputUri."""
    staging = str(sealed_server.data_dir / "datasources") + "/"
    message = refusal(
        client,
        client.create_data_source_from_rds,
        DataSourceId="ds-sql-own",
        RoleARN="arn:aws:iam::000000000000:role/x",
        RDSData={
            "DatabaseInformation": {"InstanceIdentifier": "one-db", "DatabaseName": "main"},
            "SelectSqlQuery": "SELECT 1 AS x",
            "DatabaseCredentials": {"Username": "reader", "Password": "not-used-1"},
            "S3StagingLocation": staging,
            "ResourceRole": "r",
            "ServiceRole": "s",
            "SubnetId": "subnet-1",
            "SecurityGroupIds": ["sg-1"],
        },
    )
    assert staging in message and "not allowed" in message and ".parquet" not in message


def signed_post(server: LiveServer, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode()
    request = AWSRequest(
        method="POST", url=server.url + path, data=data, headers={"Content-Type": "application/json"}
    )
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "machinelearning", "us-east-1").add_auth(request)
    sent = urllib.request.Request(
        server.url + path, data=data, headers=dict(request.headers.items()), method="POST"
    )
    try:
        with urllib.request.urlopen(sent) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_schema_inference_preview_is_sealed(sealed_server: LiveServer) -> None:
    """Issue 13 item 4: the preview endpoint would show the metadata database's columns."""
    location = str(sealed_server.data_dir / "metadata.db")
    status, answer = signed_post(
        sealed_server, "/openaml/v1/datasources/schema-inference", {"DataLocationS3": location}
    )
    assert status == 400, answer
    assert answer["__type"] == "InvalidInputException" and "not allowed" in answer["message"]


def test_the_uploads_folder_is_usable_and_the_servers_files_are_private(
    client: Any, sealed_server: LiveServer, penguins_upload: Path, usable_model: str
) -> None:
    """Issue 13 item 4: uploads/ works; what the server creates is 0700 (folders) and 0600 (files).

    That is the database and its journals, statistics, logs, the model artifact (written by joblib)
    and batch outputs in uploads/.
    """
    client.create_data_source_from_s3(
        DataSourceId="ds-uploaded",
        DataSpec={"DataLocationS3": str(penguins_upload), "DataSchema": PENGUINS_SCHEMA},
        ComputeStatistics=True,
    )
    done = finished(lambda: client.get_data_source(DataSourceId="ds-uploaded"))
    assert done["Status"] == "COMPLETED", done.get("Message")
    model = finished(lambda: client.get_ml_model(MLModelId=usable_model))
    assert model["Status"] == "COMPLETED", model.get("Message")
    output = sealed_server.data_dir / "uploads" / "out"
    client.create_batch_prediction(
        BatchPredictionId="bp-uploaded",
        MLModelId=usable_model,
        BatchPredictionDataSourceId="ds-uploaded",
        OutputUri=str(output) + "/",
    )
    batch = finished(lambda: client.get_batch_prediction(BatchPredictionId="bp-uploaded"))
    assert batch["Status"] == "COMPLETED", batch.get("Message")

    data_dir = sealed_server.data_dir
    written_by_tests = {penguins_upload, data_dir / "credentials.json"}
    created = [path for path in [data_dir, *data_dir.rglob("*")] if path not in written_by_tests]
    names = {path.relative_to(data_dir).as_posix() for path in created}
    assert {"metadata.db", "datasources/ds-uploaded/statistics.json", "mlmodels/ml-sealed/model"} <= names
    assert any(name.startswith("uploads/out/batch-prediction/result/") for name in names)
    modes = _modes(created, data_dir)
    expected = {name: 0o700 if (data_dir / name).is_dir() else 0o600 for name in modes}
    assert modes == expected


def _modes(paths: list[Path], data_dir: Path) -> dict[str, int]:
    """Each path's permission bits by its name under ``data_dir``. SQLite removes its ``-wal`` and
    ``-shm`` files when the last connection closes, which can happen between listing a file and
    reading its mode: a path gone by then is left out."""
    modes = {}
    for path in paths:
        try:
            modes[path.relative_to(data_dir).as_posix()] = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
    return modes
