"""Amazon ML's training mode: a linear model fitted by SGD over recipe features.

Modules:

* :mod:`.parameters` — the ``sgd.*`` training parameters: validation, defaults, effective echo.
* :mod:`.optimizer` — mini-batch AdaGrad SGD for logistic, multinomial logistic and linear regression.
* :mod:`.size` — model size and trimming to ``sgd.maxMLModelSizeInBytes``.
* :mod:`.model` — :class:`SGDModel`, the trained model (the engine's ``TrainedModel`` contract).
* :mod:`.training` — :func:`train_sgd_model`, the whole training run.
"""

from openaml.engine.sgd.model import ModelSizeInfo, SGDModel, TrainingSummary
from openaml.engine.sgd.parameters import SGDParameters, parse_sgd_parameters
from openaml.engine.sgd.training import train_sgd_model

__all__ = [
    "ModelSizeInfo",
    "SGDModel",
    "SGDParameters",
    "TrainingSummary",
    "parse_sgd_parameters",
    "train_sgd_model",
]
