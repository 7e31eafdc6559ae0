"""Locations: the parsed, normalised form of the URIs that name stored data.

A location is either a local path or an S3 bucket and key. Parsing is purely syntactic and strict, so
that a location that passes it means exactly one thing:

* S3 keys are literal strings to S3 (``a//b`` and ``a/./b`` are different keys from ``a/b``), and some
  S3-compatible servers normalise ``..`` in request paths, so keys with empty, ``.`` or ``..`` segments
  are refused rather than rewritten.
* Local paths are refused when they contain ``..``; empty and ``.`` segments are dropped because the
  operating system ignores them anyway.
* Nothing is percent-decoded, in local paths and ``file://`` URIs alike: ``%2e%2e`` is an ordinary name,
  never ``..``. A ``file://`` URI therefore names the path written after the scheme, byte for byte.

Symbolic links are not this module's concern: :meth:`LocalLocation.with_links_resolved` gives the real
location, which is what the object store checks against the allowed roots.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

S3_SCHEME = "s3://"
FILE_SCHEME = "file://"
ACCEPTED_FORMS = "s3://bucket/key, file:///absolute/path or /absolute/path"

# Current S3 bucket names are stricter; this also admits legacy names (upper case, underscores) while
# keeping out everything that could change how a request URL is read (``/ ? # @ :`` and the like).
_BUCKET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")


class LocationSyntaxError(ValueError):
    """A URI or data root is not a well-formed location; the message says what is wrong with it."""


@dataclass(frozen=True)
class LocalLocation:
    """An absolute path on the server's file system, without ``..``, ``.`` or empty segments."""

    path: Path

    @property
    def uri(self) -> str:
        return FILE_SCHEME + self.path.as_posix()

    def with_links_resolved(self) -> LocalLocation:
        """The real location: symbolic links followed as far as the path exists."""
        return LocalLocation(Path(os.path.realpath(self.path)))

    def is_within(self, root: Location) -> bool:
        return isinstance(root, LocalLocation) and self.path.is_relative_to(root.path)


@dataclass(frozen=True)
class S3Location:
    """An S3 bucket and key; an empty key is the whole bucket, an empty bucket (roots only) every bucket."""

    bucket: str
    key: str = ""

    @property
    def uri(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.key}" if self.key else f"{S3_SCHEME}{self.bucket}"

    @property
    def fs_path(self) -> str:
        """The ``bucket/key`` form that s3fs takes."""
        return f"{self.bucket}/{self.key}" if self.key else self.bucket

    def is_within(self, root: Location) -> bool:
        if not isinstance(root, S3Location):
            return False
        if not root.bucket:
            return True
        if root.bucket != self.bucket:
            return False
        return not root.key or self.key == root.key or self.key.startswith(root.key + "/")


Location = LocalLocation | S3Location


def parse_location(uri: str) -> Location:
    """Parse a URI naming data (``s3://bucket[/key]``, ``file:///path``, ``/path``).

    Raises :class:`LocationSyntaxError` for anything else. A single trailing ``/`` is accepted (a folder).
    """
    return _parse(uri, allow_every_bucket=False)


def parse_root(text: str) -> Location:
    """Parse a configured data root: what :func:`parse_location` accepts, and ``s3://`` for every bucket."""
    return _parse(text, allow_every_bucket=True)


def _parse(text: str, *, allow_every_bucket: bool) -> Location:
    if "\x00" in text:
        raise LocationSyntaxError("it contains a NUL character")
    if text.startswith(S3_SCHEME):
        return _parse_s3(text.removeprefix(S3_SCHEME), allow_every_bucket=allow_every_bucket)
    if text.startswith(FILE_SCHEME):
        authority, slash, path = text.removeprefix(FILE_SCHEME).partition("/")
        if authority not in ("", "localhost") or not slash:
            raise LocationSyntaxError("a file URI must name an absolute path on this server: file:///path")
        return _parse_local("/" + path)
    if text.startswith("/"):
        return _parse_local(text)
    raise LocationSyntaxError(f"it is not one of the accepted forms: {ACCEPTED_FORMS}")


def _parse_local(path: str) -> LocalLocation:
    segments = [segment for segment in path.split("/") if segment not in ("", ".")]
    if ".." in segments:
        raise LocationSyntaxError("it contains a '..' segment")
    return LocalLocation(Path("/" + "/".join(segments)))


def _parse_s3(bucket_and_key: str, *, allow_every_bucket: bool) -> S3Location:
    bucket, _, key = bucket_and_key.partition("/")
    if not bucket:
        if allow_every_bucket and not key:
            return S3Location(bucket="")
        raise LocationSyntaxError("an S3 URI needs a bucket: s3://bucket/key")
    if not _BUCKET_NAME.fullmatch(bucket):
        raise LocationSyntaxError(f"{bucket!r} is not a valid S3 bucket name")
    key = key.removesuffix("/")
    if key:
        segments = key.split("/")
        if "" in segments:
            raise LocationSyntaxError("its key contains an empty segment ('//')")
        if "." in segments or ".." in segments:
            raise LocationSyntaxError("its key contains a '.' or '..' segment")
    return S3Location(bucket=bucket, key=key)
