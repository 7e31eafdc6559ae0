"""Where the object store's bytes go: a local folder or an S3 prefix, behind one small interface.

:class:`openaml.store.objects.ObjectStore` checks every location against the data roots and the sealed
data directory first; the targets here only read, list, write and delete at a location already allowed.
Writes are atomic: a hidden ``.partial`` file renamed over its destination locally, a multipart upload
completed (or aborted) on S3. Folders are created with mode 0700.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from openaml.store.locations import LocalLocation, S3Location

#: The mode of every folder the store creates, and of the data directory it creates.
FOLDER_MODE = 0o700


@dataclass(frozen=True)
class ObjectInfo:
    """One stored object: its normalised URI and its size in bytes."""

    uri: str
    size: int


class PendingWrite(Protocol):
    """A write in progress: ``file`` takes the data, then exactly one of ``commit`` or ``abandon``."""

    @property
    def file(self) -> BinaryIO: ...

    def commit(self) -> None: ...

    def abandon(self) -> None: ...


class Target(Protocol):
    """The operations at one allowed location, for one back end. Missing objects raise FileNotFoundError."""

    def exists(self) -> bool: ...

    def info(self) -> ObjectInfo: ...

    def list_files(self) -> list[ObjectInfo]: ...

    def open_read(self) -> BinaryIO: ...

    def start_write(self) -> PendingWrite: ...

    def delete(self) -> None: ...

    def discard_unfinished_writes(self) -> int: ...

    def delete_prefix(self) -> None: ...


class LocalTarget:
    """A location on the local file system, given as its real path."""

    def __init__(self, location: LocalLocation, check_allowed: Callable[[str], object]) -> None:
        self._path = location.path
        # Files listed through a symbolic link inside a folder must themselves be allowed.
        self._check_allowed = check_allowed

    def exists(self) -> bool:
        return self._path.exists()

    def info(self) -> ObjectInfo:
        if self._path.is_dir():
            raise IsADirectoryError(str(self._path))
        return ObjectInfo(LocalLocation(self._path).uri, self._path.stat().st_size)

    def list_files(self) -> list[ObjectInfo]:
        if not self._path.is_dir():
            return [self.info()] if self._path.exists() else []
        files = []
        for path, size, is_link in _walk_visible_files(self._path):
            uri = LocalLocation(path).uri
            if is_link:
                self._check_allowed(uri)
            files.append(ObjectInfo(uri, size))
        return files

    def open_read(self) -> BinaryIO:
        return self._path.open("rb")

    def start_write(self) -> PendingWrite:
        return _LocalPendingWrite(self._path)

    def delete(self) -> None:
        self._path.unlink(missing_ok=True)

    def discard_unfinished_writes(self) -> int:
        if not self._path.parent.is_dir():
            return 0
        pattern = re.compile(
            rf"{re.escape(_temporary_prefix(self._path))}[^.]+{re.escape(_TEMPORARY_SUFFIX)}"
        )
        removed = 0
        for entry in self._path.parent.iterdir():
            if pattern.fullmatch(entry.name):
                entry.unlink(missing_ok=True)
                removed += 1
        return removed

    def delete_prefix(self) -> None:
        if self._path.is_dir():
            shutil.rmtree(self._path)
        else:
            self._path.unlink(missing_ok=True)


def discard_unfinished_below(folder: Path) -> int:
    """Remove hidden ``*.partial`` files and hidden ``*.tmp`` staging folders below ``folder``."""
    removed = 0
    if not folder.is_dir():
        return 0
    for entry in list(folder.rglob(".*")):
        if entry.is_symlink():
            continue
        if entry.name.endswith(_TEMPORARY_SUFFIX) and entry.is_file():
            entry.unlink(missing_ok=True)
            removed += 1
        elif entry.name.endswith(".tmp") and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def _walk_visible_files(folder: Path) -> Iterator[tuple[Path, int, bool]]:
    """``(path, size, is_symbolic_link)`` of every file below ``folder``, skipping hidden names.

    Symbolic links to files are included; links to folders are not followed (they could form cycles).
    """
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                yield from _walk_visible_files(Path(entry.path))
            elif entry.is_file():
                yield Path(entry.path), entry.stat().st_size, entry.is_symlink()


class _LocalPendingWrite:
    """A hidden temporary file beside the destination, flushed to disk and renamed over it on commit."""

    def __init__(self, destination: Path) -> None:
        make_private_folders(destination.parent)
        descriptor, temporary_name = tempfile.mkstemp(
            dir=destination.parent, prefix=_temporary_prefix(destination), suffix=_TEMPORARY_SUFFIX
        )
        self._destination = destination
        self._temporary_path = Path(temporary_name)
        self._file = os.fdopen(descriptor, "wb")

    @property
    def file(self) -> BinaryIO:
        return self._file

    def commit(self) -> None:
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._temporary_path, self._destination)
        except BaseException:
            self.abandon()
            raise
        _fsync_folder(self._destination.parent)

    def abandon(self) -> None:
        self._file.close()
        self._temporary_path.unlink(missing_ok=True)


def make_private_folders(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each with mode 0700 (existing ones are left alone)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for path in reversed(missing):
        with suppress(FileExistsError):  # another process created it meanwhile
            path.mkdir(mode=FOLDER_MODE)


_TEMPORARY_SUFFIX = ".partial"


def _temporary_prefix(destination: Path) -> str:
    """The start of the names of a local write's temporary files (mkstemp adds letters and the suffix)."""
    return f".{destination.name[:100]}."


def _fsync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable across a crash."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class S3Target:
    """A key (object or prefix) in an S3 bucket, reached through s3fs."""

    def __init__(self, location: S3Location, filesystem: Any, part_size: int) -> None:
        self._location = location
        self._filesystem = filesystem
        self._part_size = part_size

    def exists(self) -> bool:
        return bool(self._filesystem.exists(self._location.fs_path))

    def info(self) -> ObjectInfo:
        details = self._filesystem.info(self._location.fs_path)
        if details["type"] != "file":
            raise IsADirectoryError(self._location.fs_path)
        return ObjectInfo(self._location.uri, int(details["size"]))

    def list_files(self) -> list[ObjectInfo]:
        prefix = self._location.fs_path + "/"
        files = []
        for name, details in self._filesystem.find(self._location.fs_path, detail=True).items():
            below_prefix = name.removeprefix(prefix) if name.startswith(prefix) else ""
            is_folder_marker = name.endswith("/")
            is_hidden = any(segment.startswith(".") for segment in below_prefix.split("/"))
            if details["type"] == "file" and not is_folder_marker and not is_hidden:
                files.append(ObjectInfo(S3Location(*name.split("/", 1)).uri, int(details["size"])))
        return files

    def open_read(self) -> BinaryIO:
        stream: BinaryIO = self._filesystem.open(self._location.fs_path, "rb")
        return stream

    def start_write(self) -> PendingWrite:
        return _S3PendingWrite(
            self._filesystem.open(self._location.fs_path, "wb", block_size=self._part_size)
        )

    def delete(self) -> None:
        self._filesystem.rm_file(self._location.fs_path)

    def discard_unfinished_writes(self) -> int:
        bucket, key = self._location.bucket, self._location.key
        removed = 0
        request: dict[str, str] = {"Bucket": bucket, "Prefix": key}
        while True:
            listing = self._filesystem.call_s3("list_multipart_uploads", **request)
            for upload in listing.get("Uploads", []):
                if upload["Key"] == key:
                    self._filesystem.call_s3(
                        "abort_multipart_upload", Bucket=bucket, Key=key, UploadId=upload["UploadId"]
                    )
                    removed += 1
            if not listing.get("IsTruncated"):
                return removed
            request |= {
                "KeyMarker": listing["NextKeyMarker"],
                "UploadIdMarker": listing["NextUploadIdMarker"],
            }

    def delete_prefix(self) -> None:
        with suppress(FileNotFoundError):
            self._filesystem.rm(self._location.fs_path, recursive=True)


class _S3PendingWrite:
    """An s3fs upload: one PUT on commit for small objects, else a multipart upload completed on commit.

    The object does not exist on S3 until the commit, so abandoning only has to abort a multipart
    upload that has begun.
    """

    def __init__(self, upload: Any) -> None:
        self._upload = upload

    @property
    def file(self) -> BinaryIO:
        file: BinaryIO = self._upload
        return file

    def commit(self) -> None:
        try:
            self._upload.close()
        except BaseException:
            self.abandon()
            raise

    def abandon(self) -> None:
        try:
            self._upload.discard()
        finally:
            # discard() leaves the file open, and closing (or garbage-collecting) an open s3fs file
            # commits it: mark it closed instead.
            self._upload.closed = True
