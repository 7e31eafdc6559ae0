"""The object store: local and S3 objects, atomic writes, and confinement to the allowed locations."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from openaml.errors import ConfigurationError, InvalidInputException
from openaml.store.objects import MIN_S3_PART_SIZE, ObjectInfo, ObjectStore


class WriteFailed(Exception):
    """Raised inside a write block to test what a failed write leaves behind."""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    path = tmp_path / "outside"
    path.mkdir()
    return path


@pytest.fixture
def store(data_dir: Path, root: Path) -> ObjectStore:
    return ObjectStore(data_dir, [str(root)])


def file_uri(path: Path) -> str:
    return "file://" + path.as_posix()


# --- Local objects ---------------------------------------------------------------------------------


def test_written_bytes_read_back_and_parent_folders_are_created(store: ObjectStore, data_dir: Path) -> None:
    files = store.server_files
    uri = files.data_uri("models", "m-1", "model.bin")

    files.write_bytes(uri, b"weights")

    assert uri == file_uri(data_dir / "models" / "m-1" / "model.bin")
    assert files.read_bytes(uri) == b"weights"
    assert files.exists(uri)
    assert files.info(uri) == ObjectInfo(uri, 7)
    assert files.local_path(uri) == data_dir / "models" / "m-1" / "model.bin"


def test_open_write_shows_the_object_only_after_the_block(store: ObjectStore, root: Path) -> None:
    uri = str(root / "out.csv")

    with store.open_write(uri) as file:
        file.write(b"a,b\n")
        assert not store.exists(uri)

    assert (root / "out.csv").read_bytes() == b"a,b\n"


def test_failed_write_keeps_the_old_object_and_leaves_no_temporary_file(
    store: ObjectStore, root: Path
) -> None:
    (root / "out.csv").write_bytes(b"old")

    with pytest.raises(WriteFailed), store.open_write(str(root / "out.csv")) as file:
        file.write(b"new")
        raise WriteFailed

    assert [path.name for path in root.iterdir()] == ["out.csv"]
    assert (root / "out.csv").read_bytes() == b"old"


def test_failed_write_of_a_new_object_leaves_nothing(store: ObjectStore, root: Path) -> None:
    with pytest.raises(WriteFailed), store.open_write(str(root / "new.csv")) as file:
        file.write(b"partial")
        raise WriteFailed

    assert list(root.iterdir()) == []


def test_open_read_streams_and_seeks(store: ObjectStore, root: Path) -> None:
    (root / "data.bin").write_bytes(b"0123456789")

    with store.open_read(str(root / "data.bin")) as stream:
        stream.seek(4)
        assert stream.read(3) == b"456"


def test_list_files_walks_a_folder_sorted_without_hidden_names(store: ObjectStore, root: Path) -> None:
    (root / "set" / "b").mkdir(parents=True)
    (root / "set" / ".cache").mkdir()
    (root / "set" / "b" / "part-2.csv").write_bytes(b"22")
    (root / "set" / "a.csv").write_bytes(b"1")
    (root / "set" / "empty.csv").write_bytes(b"")
    (root / "set" / ".hidden.csv").write_bytes(b"h")
    (root / "set" / ".cache" / "c.csv").write_bytes(b"c")

    files = store.list_files(str(root / "set"))

    assert files == [
        ObjectInfo(file_uri(root / "set" / "a.csv"), 1),
        ObjectInfo(file_uri(root / "set" / "b" / "part-2.csv"), 2),
        ObjectInfo(file_uri(root / "set" / "empty.csv"), 0),
    ]


def test_list_files_of_one_file_is_that_file(store: ObjectStore, root: Path) -> None:
    (root / "one.csv").write_bytes(b"x,y\n")

    assert store.list_files(str(root / "one.csv")) == [ObjectInfo(file_uri(root / "one.csv"), 4)]


def test_list_files_of_nothing_is_an_error(store: ObjectStore, root: Path) -> None:
    (root / "only-hidden").mkdir()
    (root / "only-hidden" / ".x").write_bytes(b"x")

    for uri in (str(root / "missing"), str(root / "only-hidden")):
        with pytest.raises(InvalidInputException, match="nothing at"):
            store.list_files(uri)


def test_missing_objects_and_folders_are_reported_to_the_caller(store: ObjectStore, root: Path) -> None:
    (root / "folder").mkdir()

    assert not store.exists(str(root / "missing.csv"))
    with pytest.raises(InvalidInputException, match=r"nothing at .*missing\.csv"):
        store.read_bytes(str(root / "missing.csv"))
    with pytest.raises(InvalidInputException, match="is a folder"):
        store.info(str(root / "folder"))
    with pytest.raises(InvalidInputException, match="names a folder"):
        store.write_bytes(str(root / "folder") + "/", b"x")


def test_delete_and_delete_prefix(store: ObjectStore, root: Path) -> None:
    (root / "run" / "sub").mkdir(parents=True)
    (root / "run" / "sub" / "a").write_bytes(b"a")
    (root / "run-keep").write_bytes(b"k")
    (root / "single").write_bytes(b"s")

    store.delete(str(root / "single"))
    store.delete(str(root / "single"))
    store.delete_prefix(str(root / "run"))
    store.delete_prefix(str(root / "run"))

    assert sorted(path.name for path in root.iterdir()) == ["run-keep"]


def test_delete_prefix_refuses_to_delete_a_root(root: Path) -> None:
    data_dir = root / "service" / "data"
    store = ObjectStore(data_dir, [str(root)])
    store.server_files.write_bytes(store.data_uri("kept"), b"k")

    for uri in (str(root), str(data_dir), str(root / "service")):
        with pytest.raises(InvalidInputException, match=r"refusing|not allowed"):
            store.delete_prefix(uri)
    with pytest.raises(InvalidInputException, match="refusing"):
        store.server_files.delete_prefix(str(data_dir))
    assert (data_dir / "kept").read_bytes() == b"k"


# --- Local roots -------------------------------------------------------------------------------------


def test_paths_outside_the_roots_are_refused_with_an_actionable_message(
    store: ObjectStore, outside: Path, root: Path
) -> None:
    (outside / "secret").write_bytes(b"s")

    with pytest.raises(InvalidInputException) as refused:
        store.read_bytes(str(outside / "secret"))

    message = refused.value.message
    assert "OPENAML_DATA_ROOTS" in message
    assert file_uri(root) in message
    assert "data directory" in message


def test_every_operation_checks_the_roots(store: ObjectStore, outside: Path) -> None:
    uri = str(outside / "x")
    operations: list[Callable[[str], object]] = [
        store.resolve,
        store.exists,
        store.info,
        store.list_files,
        store.open_read,
        store.read_bytes,
        store.delete,
        store.delete_prefix,
        store.local_path,
        lambda uri: store.write_bytes(uri, b"x"),
    ]
    for operation in operations:
        with pytest.raises(InvalidInputException, match="outside"):
            operation(uri)
    assert list(outside.iterdir()) == []


def test_dot_dot_segments_are_refused(store: ObjectStore, root: Path) -> None:
    for uri in (f"{root}/../outside/x", f"{root}/sub/../x", f"file://{root}/../x"):
        with pytest.raises(InvalidInputException, match=r"'\.\.'"):
            store.resolve(uri)


def test_percent_encoding_is_not_decoded(store: ObjectStore, root: Path) -> None:
    store.write_bytes(f"{root}/%2e%2e/x", b"literal")

    assert (root / "%2e%2e" / "x").read_bytes() == b"literal"


def test_symbolic_links_out_of_a_root_are_refused(store: ObjectStore, root: Path, outside: Path) -> None:
    (outside / "secret").write_bytes(b"secret")
    (root / "link-to-file").symlink_to(outside / "secret")
    (root / "link-to-folder").symlink_to(outside, target_is_directory=True)

    for uri in (str(root / "link-to-file"), str(root / "link-to-folder" / "secret")):
        with pytest.raises(InvalidInputException, match="symbolic link"):
            store.read_bytes(uri)
    with pytest.raises(InvalidInputException, match="symbolic link"):
        store.write_bytes(str(root / "link-to-folder" / "planted"), b"x")
    with pytest.raises(InvalidInputException, match="symbolic link"):
        store.write_bytes(str(root / "link-to-file"), b"overwrite")
    assert sorted(path.name for path in outside.iterdir()) == ["secret"]
    assert (outside / "secret").read_bytes() == b"secret"


def test_a_listed_folder_may_not_link_out_of_the_roots(store: ObjectStore, root: Path, outside: Path) -> None:
    (outside / "secret").write_bytes(b"secret")
    (root / "set").mkdir()
    (root / "set" / "a.csv").write_bytes(b"a")
    (root / "set" / "b.csv").symlink_to(outside / "secret")

    with pytest.raises(InvalidInputException, match="outside"):
        store.list_files(str(root / "set"))


def test_symbolic_links_within_a_root_are_followed(store: ObjectStore, root: Path) -> None:
    (root / "real").mkdir()
    (root / "real" / "a.csv").write_bytes(b"a")
    (root / "alias").symlink_to(root / "real", target_is_directory=True)

    assert store.read_bytes(str(root / "alias" / "a.csv")) == b"a"
    assert store.resolve(str(root / "alias" / "a.csv")) == file_uri(root / "real" / "a.csv")


def test_file_uris_and_plain_paths_name_the_same_location(data_dir: Path, root: Path) -> None:
    store = ObjectStore(data_dir, [file_uri(root)])
    normalised = file_uri(root / "a" / "b.csv")

    assert store.resolve(f"{root}//a/./b.csv") == normalised
    assert store.resolve(f"file://{root}/a/b.csv") == normalised
    assert store.resolve(f"file://localhost{root}/a/b.csv") == normalised


def test_the_server_reaches_its_data_directory_through_server_files(data_dir: Path) -> None:
    store = ObjectStore(data_dir, [])
    uri = store.data_uri("artifact.json")

    store.server_files.write_bytes(uri, b"{}")

    assert (data_dir / "artifact.json").read_bytes() == b"{}"
    assert "no data roots" in store.public_description()
    with pytest.raises(InvalidInputException, match="not allowed"):
        store.read_bytes(uri)
    with pytest.raises(InvalidInputException, match="outside"):
        store.server_files.resolve(str(data_dir.parent))


# --- The sealed data directory (issue 13 item 4) ------------------------------------------------------


def test_callers_may_use_only_the_uploads_folder_of_the_data_directory(root: Path) -> None:
    """A data root containing the data directory still exposes none of the server's files."""
    data_dir = root / "data"
    store = ObjectStore(data_dir, [str(root)])
    store.server_files.write_bytes(store.data_uri("credentials.json"), b"[secret]")
    (data_dir / "uploads" / "in.csv").write_bytes(b"a\n1\n")

    assert store.read_bytes(str(data_dir / "uploads" / "in.csv")) == b"a\n1\n"
    store.write_bytes(str(data_dir / "uploads" / "out" / "x.csv"), b"x")
    for uri in (str(data_dir / "credentials.json"), str(data_dir), f"file://{data_dir}/metadata.db"):
        with pytest.raises(InvalidInputException, match="not allowed") as refused:
            store.read_bytes(uri)
        assert uri in refused.value.message and "uploads" in refused.value.message
    with pytest.raises(InvalidInputException, match="not allowed"):
        store.write_bytes(str(data_dir / "credentials.json"), b"[]")
    with pytest.raises(InvalidInputException, match="contains the server's own files"):
        store.list_files(str(root))
    assert (data_dir / "credentials.json").read_bytes() == b"[secret]"


def test_server_files_outside_the_data_directory_are_sealed(data_dir: Path, root: Path) -> None:
    (root / "keys.json").write_bytes(b"[secret]")
    (root / "set").mkdir()
    (root / "set" / "a.csv").write_bytes(b"a")
    (root / "set" / "b.csv").symlink_to(root / "keys.json")
    store = ObjectStore(data_dir, [str(root)], server_files=[root / "keys.json", root / "meta.db"])

    with pytest.raises(InvalidInputException, match="server's own files"):
        store.read_bytes(str(root / "keys.json"))
    with pytest.raises(InvalidInputException, match="symbolic link") as refused:
        store.list_files(str(root / "set"))
    assert "keys.json" not in refused.value.message
    with pytest.raises(InvalidInputException, match="contains the server's own files"):
        store.list_files(str(root))


def test_refusals_never_say_where_a_symbolic_link_leads(
    store: ObjectStore, root: Path, outside: Path
) -> None:
    (outside / "hidden-name").write_bytes(b"s")
    (root / "link").symlink_to(outside / "hidden-name")

    with pytest.raises(InvalidInputException, match="symbolic link") as refused:
        store.read_bytes(str(root / "link"))

    assert str(root / "link") in refused.value.message
    assert "hidden-name" not in refused.value.message and str(outside) not in refused.value.message


def test_a_data_root_inside_the_data_directory_is_a_configuration_error(data_dir: Path) -> None:
    with pytest.raises(ConfigurationError, match="inside the data directory"):
        ObjectStore(data_dir, [str(data_dir / "models")])
    ObjectStore(data_dir, [str(data_dir / "uploads" / "team")])


def test_what_the_store_creates_is_private(data_dir: Path, root: Path) -> None:
    store = ObjectStore(data_dir, [str(root)])
    store.server_files.write_bytes(store.data_uri("a", "b", "log.txt"), b"x")
    store.write_bytes(str(root / "out" / "deep" / "result.csv"), b"y")

    folders = [
        data_dir,
        data_dir / "uploads",
        data_dir / "a",
        data_dir / "a" / "b",
        root / "out",
        root / "out" / "deep",
    ]
    files = [data_dir / "a" / "b" / "log.txt", root / "out" / "deep" / "result.csv"]
    assert {stat.S_IMODE(path.stat().st_mode) for path in folders} == {0o700}
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}


def test_check_writable_names_the_folder_it_was_given(store: ObjectStore, root: Path, outside: Path) -> None:
    store.check_writable(str(root / "results") + "/")
    assert list((root / "results").iterdir()) == []

    with pytest.raises(InvalidInputException) as refused:
        store.check_writable(str(outside / "results") + "/")
    assert str(outside / "results") in refused.value.message
    assert "write-check" not in refused.value.message


@pytest.mark.parametrize(
    "uri",
    ["relative/path.csv", "", "http://example.com/x.csv", "file://server/share/x", "s3://", "s3:///key"],
)
def test_unsupported_uris_are_refused(store: ObjectStore, uri: str) -> None:
    with pytest.raises(InvalidInputException, match="cannot use"):
        store.resolve(uri)


@pytest.mark.parametrize("root", ["relative/dir", "s3://bucket/a/../b", "https://example.com"])
def test_malformed_data_roots_are_configuration_errors(data_dir: Path, root: str) -> None:
    with pytest.raises(ConfigurationError, match="OPENAML_DATA_ROOTS"):
        ObjectStore(data_dir, [root])


def test_data_uri_takes_only_relative_segments(store: ObjectStore) -> None:
    for parts in [(), ("..", "x"), ("/abs",), ("a//b",)]:
        with pytest.raises(ValueError):
            store.data_uri(*parts)


# --- S3 URIs and roots (parsing only; no server needed) --------------------------------------------


@pytest.mark.parametrize(
    "uri",
    ["s3://bucket/a/../b", "s3://bucket/a/./b", "s3://bucket/a//b", "s3://bucket/..", "s3://bad?name/k"],
)
def test_s3_keys_with_ambiguous_segments_are_refused(data_dir: Path, uri: str) -> None:
    store = ObjectStore(data_dir, ["s3://"])

    with pytest.raises(InvalidInputException, match="cannot use"):
        store.resolve(uri)


def test_s3_roots_cover_their_bucket_or_prefix(data_dir: Path) -> None:
    store = ObjectStore(data_dir, ["s3://whole-bucket", "s3://shared/team-a"])

    assert store.resolve("s3://whole-bucket/any/key") == "s3://whole-bucket/any/key"
    assert store.resolve("s3://shared/team-a") == "s3://shared/team-a"
    assert store.resolve("s3://shared/team-a/") == "s3://shared/team-a"
    assert store.resolve("s3://shared/team-a/x.csv") == "s3://shared/team-a/x.csv"
    assert store.local_path("s3://shared/team-a/x.csv") is None
    for refused in (
        "s3://other-bucket/key",
        "s3://shared/team-b/x.csv",
        "s3://shared/team-a2/x",
        "s3://shared",
    ):
        with pytest.raises(InvalidInputException, match="OPENAML_DATA_ROOTS"):
            store.resolve(refused)


def test_the_s3_scheme_alone_is_every_bucket(data_dir: Path) -> None:
    store = ObjectStore(data_dir, ["s3://"])

    assert store.resolve("s3://any-bucket/key") == "s3://any-bucket/key"
    assert "every bucket" in store.public_description()
    with pytest.raises(InvalidInputException, match="outside"):
        store.resolve("/etc/passwd")


# --- S3 objects through a moto server ------------------------------------------------------------------


@pytest.fixture
def s3_store(data_dir: Path, s3_bucket: str, s3_endpoint: str) -> ObjectStore:
    return ObjectStore(
        data_dir, [f"s3://{s3_bucket}"], s3_endpoint_url=s3_endpoint, s3_part_size=MIN_S3_PART_SIZE
    )


def pending_uploads(endpoint: str, bucket: str) -> list[object]:
    uploads: list[object] = (
        boto3.client("s3", endpoint_url=endpoint).list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    )
    return uploads


@pytest.mark.s3
def test_s3_write_read_and_info(s3_store: ObjectStore, s3_bucket: str) -> None:
    uri = f"s3://{s3_bucket}/models/m-1.bin"

    s3_store.write_bytes(uri, b"weights")

    assert s3_store.read_bytes(uri) == b"weights"
    assert s3_store.exists(uri)
    assert s3_store.info(uri) == ObjectInfo(uri, 7)
    with s3_store.open_read(uri) as stream:
        stream.seek(3)
        assert stream.read() == b"ghts"


@pytest.mark.s3
def test_s3_endpoint_url_is_honoured(s3_store: ObjectStore, s3_bucket: str, s3_endpoint: str) -> None:
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.put_object(Bucket=s3_bucket, Key="from-boto3", Body=b"hello")

    s3_store.write_bytes(f"s3://{s3_bucket}/from-store", b"world")

    assert s3_store.read_bytes(f"s3://{s3_bucket}/from-boto3") == b"hello"
    assert client.get_object(Bucket=s3_bucket, Key="from-store")["Body"].read() == b"world"


@pytest.mark.s3
def test_s3_list_files_of_a_prefix(s3_store: ObjectStore, s3_bucket: str, s3_endpoint: str) -> None:
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    for key, body in [
        ("set/b/part-2.csv", b"22"),
        ("set/a.csv", b"1"),
        ("set/b/", b""),
        ("set/.hidden", b"h"),
        ("set/.cache/c.csv", b"c"),
        ("set-other/x.csv", b"x"),
    ]:
        client.put_object(Bucket=s3_bucket, Key=key, Body=body)

    expected = [
        ObjectInfo(f"s3://{s3_bucket}/set/a.csv", 1),
        ObjectInfo(f"s3://{s3_bucket}/set/b/part-2.csv", 2),
    ]
    assert s3_store.list_files(f"s3://{s3_bucket}/set") == expected
    assert s3_store.list_files(f"s3://{s3_bucket}/set/") == expected
    assert s3_store.list_files(f"s3://{s3_bucket}/set/a.csv") == expected[:1]
    with pytest.raises(InvalidInputException, match="nothing at"):
        s3_store.list_files(f"s3://{s3_bucket}/nothing-here")


@pytest.mark.s3
def test_s3_failed_write_leaves_nothing(s3_store: ObjectStore, s3_bucket: str, s3_endpoint: str) -> None:
    small, multipart = f"s3://{s3_bucket}/small", f"s3://{s3_bucket}/multipart"

    for uri, size in [(small, 10), (multipart, MIN_S3_PART_SIZE + 1)]:
        with pytest.raises(WriteFailed), s3_store.open_write(uri) as file:
            file.write(b"x" * size)
            raise WriteFailed
        assert not s3_store.exists(uri)

    assert pending_uploads(s3_endpoint, s3_bucket) == []


@pytest.mark.s3
def test_s3_failed_write_keeps_the_old_object(s3_store: ObjectStore, s3_bucket: str) -> None:
    uri = f"s3://{s3_bucket}/report.json"
    s3_store.write_bytes(uri, b"old")

    with pytest.raises(WriteFailed), s3_store.open_write(uri) as file:
        file.write(b"new" * MIN_S3_PART_SIZE)
        raise WriteFailed

    assert s3_store.read_bytes(uri) == b"old"


@pytest.mark.s3
def test_s3_multipart_write_appears_complete_on_exit(
    s3_store: ObjectStore, s3_bucket: str, s3_endpoint: str
) -> None:
    uri = f"s3://{s3_bucket}/large.bin"
    data = bytes(range(256)) * (MIN_S3_PART_SIZE // 256 + 1)

    with s3_store.open_write(uri) as file:
        file.write(data)
        assert pending_uploads(s3_endpoint, s3_bucket) != []
        assert not s3_store.exists(uri)

    assert s3_store.read_bytes(uri) == data
    assert pending_uploads(s3_endpoint, s3_bucket) == []


@pytest.mark.s3
def test_s3_delete_and_delete_prefix(s3_store: ObjectStore, s3_bucket: str) -> None:
    for key in ("run/a", "run/sub/b", "run-keep", "single"):
        s3_store.write_bytes(f"s3://{s3_bucket}/{key}", b"x")

    s3_store.delete(f"s3://{s3_bucket}/single")
    s3_store.delete(f"s3://{s3_bucket}/single")
    s3_store.delete_prefix(f"s3://{s3_bucket}/run")
    s3_store.delete_prefix(f"s3://{s3_bucket}/run")

    assert s3_store.list_files(f"s3://{s3_bucket}") == [ObjectInfo(f"s3://{s3_bucket}/run-keep", 1)]
    with pytest.raises(InvalidInputException, match="refusing"):
        s3_store.delete_prefix(f"s3://{s3_bucket}")


@pytest.mark.s3
def test_s3_prefix_roots_are_enforced_against_the_server(
    data_dir: Path, s3_bucket: str, s3_endpoint: str
) -> None:
    store = ObjectStore(data_dir, [f"s3://{s3_bucket}/allowed"], s3_endpoint_url=s3_endpoint)
    boto3.client("s3", endpoint_url=s3_endpoint).put_object(Bucket=s3_bucket, Key="private", Body=b"p")

    store.write_bytes(f"s3://{s3_bucket}/allowed/x", b"x")

    assert store.read_bytes(f"s3://{s3_bucket}/allowed/x") == b"x"
    for uri in (f"s3://{s3_bucket}/private", f"s3://{s3_bucket}/allowed/../private"):
        with pytest.raises(InvalidInputException):
            store.read_bytes(uri)


@pytest.mark.s3
def test_every_bucket_root_reaches_any_bucket(data_dir: Path, s3_bucket: str, s3_endpoint: str) -> None:
    store = ObjectStore(data_dir, ["s3://"], s3_endpoint_url=s3_endpoint)

    store.write_bytes(f"s3://{s3_bucket}/k", b"v")

    assert store.read_bytes(f"s3://{s3_bucket}/k") == b"v"
    with pytest.raises(InvalidInputException, match="bucket does not exist"):
        store.write_bytes("s3://no-such-bucket-here/k", b"v")
    with pytest.raises(InvalidInputException, match="nothing at"):
        store.read_bytes("s3://no-such-bucket-here/k")
