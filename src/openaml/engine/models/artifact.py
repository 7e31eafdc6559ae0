"""Model artifacts: a trained model and its self-describing manifest, written atomically.

An artifact is a directory inside the server's own data directory::

    <directory>/model.joblib    the TrainedModel, serialised with joblib
    <directory>/manifest.json   what the model is and where it came from

``manifest.json`` holds the artifact format version, the model type, class labels and algorithm,
the versions of the libraries that produced it, the size and SHA-256 of ``model.joblib``, and the
caller's ``metadata`` (schema, recipe, metrics, leaderboard, ...) unchanged.

joblib files are pickles, and loading a pickle runs code: :func:`load_model` must only ever be given
a directory that the server itself wrote with :func:`save_model`, never a location a caller named.
The checksum guards against truncated or altered files, not against a hostile author.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from openaml.engine.models.model import ModelType, TrainedModel
from openaml.errors import InternalServerException

ARTIFACT_FORMAT_VERSION = 1
MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
_RECORDED_LIBRARIES = (
    "openaml",
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
    "lightgbm",
    "catboost",
    "joblib",
)
_HASH_CHUNK_BYTES = 1 << 20


class ArtifactError(InternalServerException):
    """A model artifact is missing, incomplete, altered or of an unknown format (a server-side fault)."""


def save_model(model: TrainedModel, directory: Path, metadata: dict[str, Any]) -> int:
    """Write ``model`` and its manifest to ``directory`` atomically; return the bytes written.

    The files are written to a temporary sibling directory and renamed into place only when
    complete, so a reader never sees a half-written artifact. An existing artifact at ``directory``
    is replaced. ``metadata`` must be JSON-serialisable (numpy scalars and arrays are converted).
    """
    directory = Path(directory)
    directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # mkdtemp's folder is 0700 too
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".tmp", dir=directory.parent))
    try:
        model_path = staging / MODEL_FILE
        joblib.dump(model, model_path, compress=3)
        manifest = {
            "formatVersion": ARTIFACT_FORMAT_VERSION,
            "modelType": ModelType(model.model_type).value,
            "classes": list(model.classes) if model.classes is not None else None,
            "algorithm": model.algorithm,
            "libraryVersions": _library_versions(),
            "files": {MODEL_FILE: {"bytes": model_path.stat().st_size, "sha256": _sha256(model_path)}},
            "metadata": metadata,
        }
        manifest_text = json.dumps(manifest, indent=2, sort_keys=True, default=_json_default)
        (staging / MANIFEST_FILE).write_text(manifest_text, encoding="utf-8")
        size = sum(path.stat().st_size for path in staging.iterdir())
        _replace_directory(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return size


def read_manifest(directory: Path) -> dict[str, Any]:
    """The whole manifest of the artifact in ``directory`` (without loading the model itself)."""
    path = Path(directory) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"no model artifact at {directory}: {MANIFEST_FILE} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ArtifactError(f"the model manifest {path} is not valid JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("formatVersion") != ARTIFACT_FORMAT_VERSION:
        raise ArtifactError(f"the model artifact at {directory} has an unknown format version")
    return manifest


def load_model(directory: Path) -> tuple[TrainedModel, dict[str, Any]]:
    """Load the model saved by :func:`save_model` in ``directory``; return it with the caller's metadata.

    Only for directories the server wrote itself (see the module docstring).
    """
    manifest = read_manifest(directory)
    model_path = Path(directory) / MODEL_FILE
    expected = manifest["files"][MODEL_FILE]
    if not model_path.is_file() or _sha256(model_path) != expected["sha256"]:
        raise ArtifactError(f"the model file in {directory} is missing or does not match its manifest")
    model = joblib.load(model_path)
    if not isinstance(model, TrainedModel):
        raise ArtifactError(f"{model_path} does not hold a trained model")
    metadata: dict[str, Any] = manifest["metadata"]
    return model, metadata


def _replace_directory(staging: Path, directory: Path) -> None:
    """Rename ``staging`` to ``directory``, moving any previous artifact out of the way first."""
    previous = directory.with_name(f".{directory.name}.{uuid.uuid4().hex}.old")
    had_previous = directory.exists()
    if had_previous:
        os.replace(directory, previous)
    os.replace(staging, directory)
    if had_previous:
        shutil.rmtree(previous, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in _RECORDED_LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def _json_default(value: object) -> object:
    """Let metadata carry numpy scalars and arrays (scores, counts) without the caller converting them."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"model metadata value of type {type(value).__name__} is not JSON-serialisable")
