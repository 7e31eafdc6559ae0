"""The trained SGD model: a recipe featurizer followed by a linear model (the ``TrainedModel`` contract)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse

from openaml.engine.models import ModelType
from openaml.engine.recipes import RecipeFeaturizer
from openaml.engine.sgd.optimizer import sigmoid, softmax
from openaml.engine.sgd.parameters import SGDParameters


@dataclass(frozen=True)
class ModelSizeInfo:
    """How big the model's coefficients are (see :mod:`openaml.engine.sgd.size`)."""

    size_in_bytes: int
    max_size_in_bytes: int
    n_features: int
    n_patterns: int
    n_trimmed_patterns: int


@dataclass(frozen=True)
class TrainingSummary:
    """How the SGD run went: mean training loss per pass, and whether it stopped early on convergence."""

    pass_losses: tuple[float, ...]
    converged: bool

    @property
    def passes(self) -> int:
        return len(self.pass_losses)


@dataclass
class SGDModel:
    """A linear model over recipe features, as Amazon ML trained (a ``TrainedModel``).

    ``coefficients`` is a sparse (features × outputs) matrix holding only the kept patterns, in the
    units of the featurizer's raw features; ``intercepts`` has one entry per output. BINARY and
    REGRESSION models have one output, MULTICLASS models one per class of ``classes``.
    """

    model_type: ModelType
    classes: tuple[str, ...] | None
    featurizer: RecipeFeaturizer
    coefficients: scipy.sparse.csr_matrix
    intercepts: np.ndarray
    recipe_text: str
    parameters: SGDParameters
    size: ModelSizeInfo
    training: TrainingSummary
    algorithm: str = "sgd"

    def predict_scores(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        """BINARY: P(class "1") per row; MULTICLASS: (rows × classes) probabilities; REGRESSION: values.

        Columns missing from ``frame`` count as missing values; extra columns are ignored.
        """
        features = self.featurizer.transform(frame)
        scores = np.asarray((features @ self.coefficients).toarray()) + self.intercepts
        if self.model_type is ModelType.BINARY:
            return sigmoid(scores[:, 0])
        if self.model_type is ModelType.MULTICLASS:
            return softmax(scores)
        return np.asarray(scores[:, 0], dtype=np.float64)
