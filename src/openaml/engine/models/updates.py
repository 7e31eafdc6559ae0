"""Training a new model from a parent: the ``openaml.parentMLModelId`` and ``openaml.updateMode``
parameters of ``CreateMLModel``.

``openaml.parentMLModelId``
    The COMPLETED model of the same ``MLModelType`` to update on the new training datasource.
``openaml.updateMode``
    How (only together with a parent):

    * ``refit`` (the default): the parent's winning pipeline — every ensemble member's family and
      hyperparameters, its input attributes and ensemble weights — fitted again on the new data,
      without any search. SGD-mode parents are refit with their recipe and ``sgd.*`` parameters.
    * ``research``: a full AutoML run whose search starts from the parent's configurations (they are
      the first trial of their family), then tunes as usual.
    * ``warmstart``: LightGBM members continue boosting from the parent's trees on the new data,
      over the parent's feature encoders; a parent with members of any other family is refused.

Both keys are in the ``openaml.`` namespace like the AutoML parameters, and are string-valued like
every entry of ``Parameters``; bad values raise ``InvalidInputException``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

from openaml.errors import InvalidInputException

PARENT_KEY = "openaml.parentMLModelId"
UPDATE_MODE_KEY = "openaml.updateMode"
#: The ``Parameters`` keys of a model update (the AutoML and SGD parsers leave them to this module).
UPDATE_KEYS = (PARENT_KEY, UPDATE_MODE_KEY)
_MODEL_ID = re.compile(r"[a-zA-Z0-9_.-]{1,64}")


class UpdateMode(enum.StrEnum):
    """How a model is trained from its parent (see the module docstring)."""

    REFIT = "refit"
    RESEARCH = "research"
    WARMSTART = "warmstart"


@dataclass(frozen=True)
class ModelUpdate:
    """A request to train from a parent: the parent's ID as the caller gave it, and the mode."""

    parent_ml_model_id: str
    mode: UpdateMode


def parse_model_update(parameters: Mapping[str, str]) -> ModelUpdate | None:
    """The model update ``parameters`` ask for, or ``None`` when they name no parent.

    Raises ``InvalidInputException`` for an unknown mode, a mode without a parent, or a parent ID
    that cannot be an MLModelId.
    """
    parent = parameters.get(PARENT_KEY)
    mode_text = parameters.get(UPDATE_MODE_KEY)
    allowed = ", ".join(mode.value for mode in UpdateMode)
    if parent is None:
        if mode_text is not None:
            raise InvalidInputException(
                f"{UPDATE_MODE_KEY} applies only when {PARENT_KEY} names the model to update."
            )
        return None
    parent = parent.strip()
    if not _MODEL_ID.fullmatch(parent):
        raise InvalidInputException(
            f"{PARENT_KEY} must be an MLModelId (1 to 64 letters, digits, '_', '.' or '-'); "
            f"got {parent[:80]!r}."
        )
    if mode_text is None:
        return ModelUpdate(parent, UpdateMode.REFIT)
    try:
        mode = UpdateMode(mode_text.strip().lower())
    except ValueError:
        raise InvalidInputException(
            f"{UPDATE_MODE_KEY} {mode_text[:80]!r} is not an update mode; use one of {allowed}."
        ) from None
    return ModelUpdate(parent, mode)
