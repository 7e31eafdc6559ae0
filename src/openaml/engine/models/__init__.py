"""Trained models: the contract every learner's result satisfies, and model artifacts on disk.

Modules:

* :mod:`.model` — :class:`ModelType` and the :class:`TrainedModel` protocol.
* :mod:`.training` — :class:`TrainingProgress` reports and :class:`TrainingCancelled`.
* :mod:`.artifact` — :func:`save_model` / :func:`load_model`: joblib plus a self-describing manifest.
"""

from openaml.engine.models.artifact import ArtifactError, load_model, read_manifest, save_model
from openaml.engine.models.model import ModelType, TrainedModel
from openaml.engine.models.training import TrainingCancelled, TrainingProgress

__all__ = [
    "ArtifactError",
    "ModelType",
    "TrainedModel",
    "TrainingCancelled",
    "TrainingProgress",
    "load_model",
    "read_manifest",
    "save_model",
]
