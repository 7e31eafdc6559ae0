"""Trained models: the contract every learner's result satisfies, and model artifacts on disk.

Modules:

* :mod:`.model` — :class:`ModelType` and the :class:`TrainedModel` protocol.
* :mod:`.training` — :class:`TrainingProgress` reports and :class:`TrainingCancelled`.
* :mod:`.artifact` — :func:`save_model` / :func:`load_model`: joblib plus a self-describing manifest.
* :mod:`.updates` — ``openaml.parentMLModelId`` / ``openaml.updateMode``: training from a parent.
"""

from openaml.engine.models.artifact import ArtifactError, load_model, read_manifest, save_model
from openaml.engine.models.model import ModelType, TrainedModel
from openaml.engine.models.training import TrainingCancelled, TrainingProgress
from openaml.engine.models.updates import ModelUpdate, UpdateMode, parse_model_update

__all__ = [
    "ArtifactError",
    "ModelType",
    "ModelUpdate",
    "TrainedModel",
    "TrainingCancelled",
    "TrainingProgress",
    "UpdateMode",
    "load_model",
    "parse_model_update",
    "read_manifest",
    "save_model",
]
