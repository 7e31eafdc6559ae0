"""Where an MLModel's files live in the server's data directory: its artifact and its leaderboard.

Only these server-written locations are ever loaded as models (joblib pickles run code when read).
"""

from __future__ import annotations

from pathlib import Path

from openaml.domain.context import ServiceContext
from openaml.domain.resources import artifact_uri
from openaml.entities import ResourceKind

KIND = ResourceKind.ML_MODEL


def model_directory(ctx: ServiceContext, ml_model_id: str) -> Path:
    """The folder of the model's artifact (``engine/models/artifact.py``)."""
    path = ctx.objects.server_files.local_path(artifact_uri(ctx, KIND, ml_model_id, "model"))
    assert path is not None, "the data directory is local"
    return path


def leaderboard_uri(ctx: ServiceContext, ml_model_id: str) -> str:
    """The AutoML leaderboard JSON of the model (served at ``.../mlmodels/{id}/leaderboard``)."""
    return artifact_uri(ctx, KIND, ml_model_id, "leaderboard.json")
