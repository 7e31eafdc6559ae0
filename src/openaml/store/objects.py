"""The object store: reading and writing data files on local disk or S3 through one interface.

Every method takes a URI (``s3://bucket/key``, ``file:///absolute/path`` or ``/absolute/path``) and
first checks that it lies inside an allowed location: one of the configured data roots (the setting
``OPENAML_DATA_ROOTS``) or the ``uploads/`` folder of the server's data directory. Users name input and
output locations in API calls, so this check is what keeps them from reading or overwriting anything
else on the server. Local locations are checked by their real path, with symbolic links followed; see
:mod:`openaml.store.locations` for how URIs are normalised.

The rest of the data directory is *sealed*: it holds the server's own files (the credentials, the
metadata database, model artifacts, statistics, reports and job logs), so no caller-supplied location
may lie inside it, even through a data root that contains it or a symbolic link; nor may one name the
credentials file or SQLite database where they are configured outside it. The server itself reaches its
files through :attr:`ObjectStore.server_files`, a view confined to the data directory. Refusals name
the URI as the caller gave it, never where a symbolic link leads.

Folders the store creates are mode 0700 and files 0600: the data is the server's, not other users'.

Writes are atomic: a reader sees either the old object or the complete new one, never a partial file,
and a write that fails leaves nothing behind. Locally the data goes to a hidden temporary file beside
the destination that is renamed over it; on S3 the object only appears when its upload completes, and
an unfinished multipart upload is aborted.

S3 access uses s3fs with the standard AWS credential chain (environment variables, shared config files,
instance roles) and an optional endpoint URL for S3-compatible servers.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from openaml.errors import ConfigurationError, InvalidInputException
from openaml.store.locations import (
    LocalLocation,
    Location,
    LocationSyntaxError,
    S3Location,
    parse_location,
    parse_root,
)
from openaml.store.targets import (
    LocalTarget,
    ObjectInfo,
    S3Target,
    Target,
    discard_unfinished_below,
    make_private_folders,
)

#: s3fs's own default: objects smaller than one part are sent in a single PUT.
DEFAULT_S3_PART_SIZE = 50 * 2**20
#: S3 refuses multipart uploads whose parts (except the last) are smaller than this.
MIN_S3_PART_SIZE = 5 * 2**20
DATA_ROOTS_SETTING = "OPENAML_DATA_ROOTS"
#: The folder of the data directory callers may use (to upload data, or write outputs to).
UPLOADS_FOLDER = "uploads"
#: The hidden object written (and deleted) to find out whether a folder is writable.
WRITE_CHECK_NAME = ".openaml-write-check"


class ObjectStore:
    """Local and S3 objects behind one URI-based interface, confined to the allowed locations.

    ``data_dir`` is the server's own data directory (created, mode 0700, with its ``uploads/`` folder);
    callers may use only that folder of it. ``data_roots`` are further locations users may name: absolute
    paths, ``file://`` URIs, ``s3://bucket``, ``s3://bucket/prefix``, or ``s3://`` for every bucket.
    ``server_files`` are further files of the server outside the data directory that callers may never
    name (a configured credentials file, the SQLite database). ``s3_endpoint_url`` points S3 access at an
    S3-compatible server. ``s3_part_size`` is the size of each multipart-upload part; smaller objects go up
    in one request.
    """

    def __init__(
        self,
        data_dir: Path,
        data_roots: Sequence[str],
        s3_endpoint_url: str | None = None,
        *,
        s3_part_size: int = DEFAULT_S3_PART_SIZE,
        server_files: Sequence[Path] = (),
    ) -> None:
        if s3_part_size < MIN_S3_PART_SIZE:
            raise ConfigurationError(f"the S3 part size must be at least {MIN_S3_PART_SIZE} bytes")
        absolute = Path(data_dir).absolute()
        make_private_folders(absolute / UPLOADS_FOLDER)
        self._data_dir = LocalLocation(absolute).with_links_resolved()
        self._uploads = LocalLocation(self._data_dir.path / UPLOADS_FOLDER).with_links_resolved()
        self._data_roots = tuple(_configured_root(text) for text in data_roots)
        for root in self._data_roots:
            if root.is_within(self._data_dir) and not root.is_within(self._uploads):
                raise ConfigurationError(
                    f"{DATA_ROOTS_SETTING}: the data root {root.uri} lies inside the data directory, whose "
                    f"files are the server's own; name a folder outside it, or inside {self._uploads.uri}."
                )
        self._allowed_roots: tuple[Location, ...] = (self._uploads, *self._data_roots)
        self._server_files = tuple(
            LocalLocation(Path(path).absolute()).with_links_resolved() for path in server_files
        )
        self._sealed = True
        self._s3_endpoint_url = s3_endpoint_url
        self._s3_part_size = s3_part_size
        self._s3_filesystem_by_process: tuple[int, Any] | None = None
        self.server_files: ObjectStore = self._server_view()

    def __getstate__(self) -> dict[str, Any]:
        """What a copy in another process needs: the same roots, seals and S3 settings.

        A store is pickled to reach Dask workers (its ``open_read``/``open_write`` are the openers the
        engine's task functions get), so the location checks run there too; the s3fs instance stays
        behind (each process makes its own, with the standard AWS credential chain of its machine).
        """
        state = self.__dict__.copy()
        state["_s3_filesystem_by_process"] = None
        return state

    def _server_view(self) -> ObjectStore:
        """The same store confined to the data directory and unsealed: the server's own files."""
        view = copy.copy(self)
        view._allowed_roots = (self._data_dir,)
        view._sealed = False
        view.server_files = view
        return view

    # --- Locations ---------------------------------------------------------------------------------

    def resolve(self, uri: str) -> str:
        """The normalised URI of an allowed location (local ones as ``file://`` real paths)."""
        return self._allowed(uri).uri

    def data_uri(self, *parts: str) -> str:
        """The URI of a location inside the data directory; ``parts`` are relative path segments.

        Only :attr:`server_files` may read and write there (except in the uploads folder).
        """
        segments = "/".join(parts).split("/")
        if not parts or any(segment in ("", ".", "..") for segment in segments):
            raise ValueError(f"data_uri needs plain relative path segments, got {parts!r}")
        return LocalLocation(self._data_dir.path.joinpath(*segments)).uri

    def local_path(self, uri: str) -> Path | None:
        """The real local path of an allowed location, or ``None`` when it is on S3."""
        location = self._allowed(uri)
        return location.path if isinstance(location, LocalLocation) else None

    def public_description(self) -> str:
        """The allowed locations, in words, for messages shown to users and operators."""
        description = f"the uploads folder {self._uploads.uri} of the data directory"
        if not self._data_roots:
            return description + " (no data roots are configured)"
        roots = ", ".join(_describe_root(root) for root in self._data_roots)
        return f"{description} and the data roots {roots}"

    def check_writable(self, uri: str) -> None:
        """Fail now, naming ``uri``, when objects could not be written below the folder ``uri``.

        A hidden, empty probe object is written there and deleted again; messages never name it.
        """
        location = self._allowed(uri)
        if isinstance(location, LocalLocation):
            probe: Location = LocalLocation(location.path / WRITE_CHECK_NAME)
        else:
            probe = S3Location(location.bucket, f"{location.key}/{WRITE_CHECK_NAME}".lstrip("/"))
        target = self._target_at(probe)
        try:
            pending = target.start_write()
            pending.commit()
            target.delete()
        except FileNotFoundError as error:
            raise InvalidInputException(f"cannot write to {uri}: its bucket does not exist") from error
        except PermissionError as error:
            raise InvalidInputException(f"cannot write to {uri}: the server is not permitted to") from error
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise InvalidInputException(f"cannot write to {uri}: {reason}") from error

    # --- Reading -----------------------------------------------------------------------------------

    def exists(self, uri: str) -> bool:
        """Whether anything, an object or a folder, is at the location."""
        target = self._target(uri)
        with _reported_to_caller(uri):
            return target.exists()

    def info(self, uri: str) -> ObjectInfo:
        """The object at the location; a folder or a missing object is an error."""
        target = self._object_target(uri)
        with _reported_to_caller(uri):
            return target.info()

    def list_files(self, uri: str) -> list[ObjectInfo]:
        """The object at the location, or every object below it as a folder (prefix), sorted.

        Hidden names (starting with ``.``, which includes unfinished local writes) and S3 folder markers
        are skipped. Finding nothing is an error: data locations name something to read.
        """
        location = self._allowed(uri)
        if self._contains_sealed(location):
            raise InvalidInputException(
                f"{uri} is not allowed: it contains the server's own files (its data directory, "
                "credentials or metadata database); name a folder that does not."
            )
        with _reported_to_caller(uri):
            files = self._target_at(location).list_files()
        if not files:
            raise InvalidInputException(f"nothing at {uri}: no file there, and no folder with files")
        return sorted(files, key=lambda file: file.uri)

    def open_read(self, uri: str) -> BinaryIO:
        """A binary stream over the object, read lazily; seekable (on S3 through ranged requests)."""
        target = self._object_target(uri)
        with _reported_to_caller(uri):
            return target.open_read()

    def read_bytes(self, uri: str) -> bytes:
        """The whole content of the object."""
        with self.open_read(uri) as stream:
            return stream.read()

    # --- Writing -----------------------------------------------------------------------------------

    @contextmanager
    def open_write(self, uri: str) -> Iterator[BinaryIO]:
        """A binary file whose content replaces the object only when the block exits without error.

        If the block raises, the object is left as it was and nothing else remains (no temporary file,
        no unfinished multipart upload). Local parent folders are created as needed.
        """
        target = self._object_target(uri)
        # The only thing a write can find missing is an S3 bucket: local folders are created.
        when_missing = f"cannot write {uri}: its bucket does not exist"
        with _reported_to_caller(uri, when_missing=when_missing):
            pending = target.start_write()
        try:
            yield pending.file
        except BaseException:
            pending.abandon()
            raise
        with _reported_to_caller(uri, when_missing=when_missing):
            pending.commit()

    def write_bytes(self, uri: str, data: bytes) -> None:
        """Replace the object with ``data``, atomically."""
        with self.open_write(uri) as file:
            file.write(data)

    def delete(self, uri: str) -> None:
        """Delete the object if it exists."""
        target = self._object_target(uri)
        with _reported_to_caller(uri):
            target.delete()

    def discard_unfinished_writes(self, uri: str) -> int:
        """Remove what writes of the object at ``uri`` left behind when their process was killed.

        Locally that is the hidden temporary files beside it; on S3, multipart uploads to its key that
        were never completed (invisible, but stored and billed). Returns how many were removed. Call it
        only when no write of that object can still be running.
        """
        target = self._object_target(uri)
        with _reported_to_caller(uri):
            return target.discard_unfinished_writes()

    def discard_unfinished_below(self, uri: str) -> int:
        """Remove the temporary files and folders that killed writes left anywhere below a local folder.

        These are the hidden ``.<name>.<random>.partial`` files of :meth:`open_write` and the hidden
        ``.<name>.<random>.tmp`` staging folders of model artifacts. Meant for a resource's own folder in
        the data directory when its job is retried: nothing else writes there. Returns how many were
        removed; an S3 location or a missing folder has none.
        """
        location = self._allowed(uri)
        if not isinstance(location, LocalLocation):
            return 0
        with _reported_to_caller(uri):
            return discard_unfinished_below(location.path)

    def delete_prefix(self, uri: str) -> None:
        """Delete the object at the location and everything below it, if anything is there.

        A whole data root or bucket is never deleted, so a mistaken URI cannot wipe out a data root.
        """
        location = self._allowed(uri)
        protected = (*self._allowed_roots, self._data_dir, *self._server_files)
        if any(root.is_within(location) for root in protected) or (
            isinstance(location, S3Location) and not location.key
        ):
            raise InvalidInputException(
                f"refusing to delete everything in {uri}: it is a data root or bucket"
            )
        with _reported_to_caller(uri):
            self._target_at(location).delete_prefix()

    # --- Internals ---------------------------------------------------------------------------------

    def _allowed(self, uri: str) -> Location:
        """The location ``uri`` names, after checking that it lies inside an allowed location.

        Messages name ``uri`` as given: where a symbolic link leads is not the caller's business.
        """
        try:
            named = parse_location(uri)
        except LocationSyntaxError as error:
            raise InvalidInputException(f"cannot use {uri!r} as a data location: {error}") from error
        location = named.with_links_resolved() if isinstance(named, LocalLocation) else named
        through_link = location != named
        if self._sealed and self._is_sealed(location):
            if through_link:
                reason = "it leads through a symbolic link to the server's own files"
            elif location.is_within(self._data_dir):
                reason = (
                    "it is inside the server's data directory, which holds the server's own files "
                    "(credentials, metadata database, models, logs); callers may use only its uploads "
                    f"folder {self._uploads.uri}"
                )
            else:
                reason = "it is one of the server's own files (credentials or metadata database)"
            raise InvalidInputException(f"{uri} is not allowed: {reason}.")
        if any(location.is_within(root) for root in self._allowed_roots):
            return location
        where = "leads through a symbolic link to a place outside" if through_link else "is outside"
        raise InvalidInputException(
            f"{uri} {where} the locations this server may use, which are {self.public_description()}. "
            f"An operator can allow more with the setting {DATA_ROOTS_SETTING}."
        )

    def _is_sealed(self, location: Location) -> bool:
        """Whether a (real) location is, or lies inside, the server's own files."""
        if not isinstance(location, LocalLocation):
            return False
        in_data_dir = location.is_within(self._data_dir) and not location.is_within(self._uploads)
        return in_data_dir or any(location.is_within(file) for file in self._server_files)

    def _contains_sealed(self, location: Location) -> bool:
        """Whether listing everything below ``location`` would reach the server's own files."""
        return self._sealed and any(
            sealed.is_within(location) for sealed in (self._data_dir, *self._server_files)
        )

    def _target(self, uri: str) -> Target:
        return self._target_at(self._allowed(uri))

    def _object_target(self, uri: str) -> Target:
        """The target for an operation on one object, refusing folder and bucket URIs."""
        location = self._allowed(uri)
        if uri.endswith("/") or (isinstance(location, S3Location) and not location.key):
            raise InvalidInputException(f"{uri} names a folder or bucket; an object (file) is needed here")
        return self._target_at(location)

    def _target_at(self, location: Location) -> Target:
        if isinstance(location, LocalLocation):
            return LocalTarget(location, check_allowed=self._allowed)
        return S3Target(location, self._s3_filesystem(), self._s3_part_size)

    def _s3_filesystem(self) -> Any:
        """This store's s3fs instance, created on first use and again in a forked child process.

        Creating one is slow, so it is kept; but its HTTP session and event loop belong to the process
        that made it. s3fs is imported here so that servers which never touch S3 do not pay for it.
        """
        process_id = os.getpid()
        if self._s3_filesystem_by_process is None or self._s3_filesystem_by_process[0] != process_id:
            import s3fs

            filesystem = s3fs.S3FileSystem(
                endpoint_url=self._s3_endpoint_url,
                # Other processes (job workers) write too: a cached listing would go stale.
                use_listings_cache=False,
                skip_instance_cache=True,
            )
            self._s3_filesystem_by_process = (process_id, filesystem)
        return self._s3_filesystem_by_process[1]


def _configured_root(text: str) -> Location:
    try:
        root = parse_root(text)
    except LocationSyntaxError as error:
        raise ConfigurationError(
            f"{DATA_ROOTS_SETTING}: cannot use {text!r} as a data root: {error}"
        ) from error
    return root.with_links_resolved() if isinstance(root, LocalLocation) else root


def _describe_root(root: Location) -> str:
    if isinstance(root, S3Location) and not root.bucket:
        return "s3:// (every bucket)"
    return root.uri


@contextmanager
def _reported_to_caller(uri: str, when_missing: str | None = None) -> Iterator[None]:
    """Report the storage errors a caller's URI can cause as :class:`InvalidInputException`."""
    try:
        yield
    except FileNotFoundError as error:
        raise InvalidInputException(when_missing or f"nothing at {uri}") from error
    except IsADirectoryError as error:
        raise InvalidInputException(f"{uri} is a folder; an object (file) is needed here") from error
    except NotADirectoryError as error:
        raise InvalidInputException(f"{uri} goes through a file as if it were a folder") from error
    except PermissionError as error:
        # The error's own text names the real path, which may be where a symbolic link leads.
        raise InvalidInputException(f"the server is not permitted to access {uri}") from error
