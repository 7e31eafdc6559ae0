"""The trained SGD model: a recipe featurizer followed by a linear model (the ``TrainedModel`` contract).

Frames are scored with one sparse product. A few typed records (real-time prediction) are scored
from each record's non-zero features and a dense table of the kept patterns' weights, without
building sparse matrices (see :meth:`SGDModel.predict_records`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse

from openaml.engine.models import ModelType
from openaml.engine.predictors.scoring import TypedRecord
from openaml.engine.predictors.transient import transient_cached_property
from openaml.engine.recipes import RecipeFeaturizer
from openaml.engine.recipes.record_features import RecordFeaturizer
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
        return self._outputs(np.asarray((features @ self.coefficients).toarray()) + self.intercepts)

    def predict_records(self, records: Sequence[TypedRecord]) -> npt.NDArray[np.float64]:
        """:meth:`predict_scores` for typed records (see :mod:`openaml.engine.predictors.scoring`)."""
        pattern_rows, pattern_weights = self._pattern_table
        scores = np.empty((len(records), pattern_weights.shape[1]))
        for position, record in enumerate(records):
            indexes, values = self._record_featurizer.features(record)
            scores[position] = values @ pattern_weights.take(pattern_rows.take(indexes), axis=0)
        return self._outputs(scores + self.intercepts)

    def _outputs(self, scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The model's outputs from the linear scores (one row per record, one column per output)."""
        if self.model_type is ModelType.BINARY:
            return sigmoid(scores[:, 0])
        if self.model_type is ModelType.MULTICLASS:
            return softmax(scores)
        return np.asarray(scores[:, 0], dtype=np.float64)

    @transient_cached_property
    def _record_featurizer(self) -> RecordFeaturizer:
        return RecordFeaturizer(self.featurizer)

    @transient_cached_property
    def _pattern_table(self) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        """Each feature's row in a dense table of the patterns' weights, and that table.

        Features without a pattern point to the table's last row, all zeros.
        """
        coefficients = scipy.sparse.csr_matrix(self.coefficients)
        patterns = np.flatnonzero(np.diff(coefficients.indptr))
        rows = np.full(coefficients.shape[0], len(patterns), dtype=np.intp)
        rows[patterns] = np.arange(len(patterns))
        table = np.zeros((len(patterns) + 1, coefficients.shape[1]))
        table[:-1] = coefficients[patterns].toarray()
        return rows, table
