"""Train an Amazon ML-compatible SGD model: recipe features, then a linear model fitted by SGD.

Steps: validate the parameters and the target; parse the recipe (the suggested one when none is
given); drop records without a target (the service rejected them); compute the recipe features;
shuffle the rows once with ``seed`` if ``sgd.shuffleType`` is ``auto``; fit by SGD; trim the
patterns to ``sgd.maxMLModelSizeInBytes``.

Internally the features are max-abs scaled and a REGRESSION target standardized, so that one
learning-rate rule suits every dataset; the stored coefficients are converted back, so the model
applies to raw recipe features and predicts in the target's units.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse

from openaml.engine.data.schema import AttributeType, DataSchema
from openaml.engine.models import ModelType
from openaml.engine.recipes import RecipeFeaturizer, parse_recipe, suggest_recipe
from openaml.engine.sgd.model import ModelSizeInfo, SGDModel, TrainingSummary
from openaml.engine.sgd.optimizer import Loss, SGDSettings, fit_linear_sgd
from openaml.engine.sgd.parameters import parse_sgd_parameters
from openaml.engine.sgd.size import model_size_in_bytes, pattern_bytes, patterns_that_fit
from openaml.errors import InvalidInputException

#: The target attribute type each model type needs, and the loss it is trained with.
TARGET_TYPES = {
    ModelType.BINARY: AttributeType.BINARY,
    ModelType.MULTICLASS: AttributeType.CATEGORICAL,
    ModelType.REGRESSION: AttributeType.NUMERIC,
}
_LOSSES = {
    ModelType.BINARY: Loss.LOGISTIC,
    ModelType.MULTICLASS: Loss.SOFTMAX,
    ModelType.REGRESSION: Loss.SQUARED,
}


def train_sgd_model(
    frame: pd.DataFrame,
    schema: DataSchema,
    model_type: ModelType | str,
    parameters: Mapping[str, str],
    *,
    recipe_text: str | None,
    statistics: Mapping[str, Any] | None,
    seed: int = 0,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SGDModel:
    """Train a BINARY, MULTICLASS or REGRESSION model on the typed ``frame`` (CONTRACTS §2).

    ``model_type`` is a :class:`ModelType` or its name. ``recipe_text`` None or blank means the
    suggested recipe for ``schema`` and ``statistics``. ``should_stop`` is polled during training;
    when it returns True, :class:`TrainingCancelled` is raised. ``progress`` receives one
    human-readable line per pass. User errors raise ``InvalidInputException``.
    """
    sgd_parameters = parse_sgd_parameters(parameters)
    model_type = _model_type(model_type)
    target_name = _check_target(schema, model_type)
    effective_recipe = (
        recipe_text if recipe_text and recipe_text.strip() else suggest_recipe(schema, statistics)
    )
    recipe = parse_recipe(effective_recipe, schema)
    labelled = _labelled_records(frame, target_name)
    targets, classes = _encode_targets(labelled[target_name], model_type)

    featurizer = RecipeFeaturizer(recipe)
    features = featurizer.fit_transform(labelled)
    if sgd_parameters.shuffle_type == "auto":
        order = np.random.default_rng(seed).permutation(len(labelled))
        features, targets = features[order], targets[order]
    column_scales = _max_abs(features)
    regression = model_type is ModelType.REGRESSION
    target_center, target_scale = _standardization(targets) if regression else (0.0, 1.0)

    fit = fit_linear_sgd(
        features @ scipy.sparse.diags(1.0 / column_scales),
        (targets - target_center) / target_scale if regression else targets,
        _LOSSES[model_type],
        SGDSettings(
            max_passes=sgd_parameters.max_passes,
            l1=sgd_parameters.l1_regularization_amount,
            l2=sgd_parameters.l2_regularization_amount,
            should_stop=should_stop,
            on_pass=None if progress is None else partial(_report_pass, progress, sgd_parameters.max_passes),
        ),
    )

    sizes = pattern_bytes(featurizer.feature_names_, fit.weights.shape[1])
    kept = patterns_that_fit(fit.weights, sizes, sgd_parameters.max_model_size_in_bytes)
    coefficients = np.where(kept[:, None], fit.weights, 0.0) / column_scales[:, None] * target_scale
    return SGDModel(
        model_type=model_type,
        classes=classes,
        featurizer=featurizer,
        coefficients=scipy.sparse.csr_matrix(coefficients),
        intercepts=fit.intercepts * target_scale + target_center,
        recipe_text=effective_recipe,
        parameters=sgd_parameters,
        size=ModelSizeInfo(
            size_in_bytes=model_size_in_bytes(sizes, kept),
            max_size_in_bytes=sgd_parameters.max_model_size_in_bytes,
            n_features=len(sizes),
            n_patterns=int(kept.sum()),
            n_trimmed_patterns=int(np.count_nonzero(np.abs(fit.weights).sum(axis=1)) - kept.sum()),
        ),
        training=TrainingSummary(fit.pass_losses, converged=fit.converged),
    )


def _model_type(model_type: ModelType | str) -> ModelType:
    try:
        return ModelType(model_type)
    except ValueError:
        names = ", ".join(member.value for member in ModelType)
        raise InvalidInputException(f"MLModelType must be one of {names}; got {model_type!r}.") from None


def _check_target(schema: DataSchema, model_type: ModelType) -> str:
    """The target attribute's name, after checking that it suits ``model_type``."""
    target_name = schema.target_attribute_name
    if target_name is None:
        raise InvalidInputException("The training datasource's schema has no targetAttributeName to learn.")
    target_type = schema.attribute(target_name).type
    if target_type is not TARGET_TYPES[model_type]:
        fitting = next(name for name, attribute_type in TARGET_TYPES.items() if attribute_type is target_type)
        raise InvalidInputException(
            f"A {model_type.value} model needs a {TARGET_TYPES[model_type].value} target attribute, but "
            f"{target_name!r} is {target_type.value}; train a {fitting.value} model instead "
            "or change the attribute's type in the schema."
        )
    return target_name


def _labelled_records(frame: pd.DataFrame, target_name: str) -> pd.DataFrame:
    """The records that have a target value (the service rejected the others)."""
    if target_name not in frame.columns:
        raise InvalidInputException(
            f"The training data has no column for the target attribute {target_name!r}."
        )
    labelled = frame[frame[target_name].notna()]
    if labelled.empty:
        raise InvalidInputException(
            f"No training record has a value for the target attribute {target_name!r}."
        )
    return labelled


def _report_pass(progress: Callable[[str], None], max_passes: int, pass_number: int, loss: float) -> None:
    progress(f"SGD pass {pass_number} of at most {max_passes}: mean training loss {loss:.6g}")


def _encode_targets(values: pd.Series, model_type: ModelType) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """The training targets as numbers, and the class labels (None for REGRESSION)."""
    if model_type is ModelType.MULTICLASS:
        labels = values.astype(str).to_numpy()
        classes, indexes = np.unique(labels, return_inverse=True)
        if len(classes) < 2:
            raise InvalidInputException(
                f"The target has only one class ({classes[0]!r}) in the training data; a MULTICLASS "
                "model needs at least two."
            )
        return indexes.astype(np.int64), tuple(str(label) for label in classes)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    if model_type is ModelType.REGRESSION:
        return numbers, None
    present = set(np.unique(numbers).tolist())
    if present != {0.0, 1.0}:
        raise InvalidInputException(
            "A BINARY model needs training records of both target values 0 and 1; "
            f"the training data has {sorted(present)}."
        )
    return numbers, ("0", "1")


def _max_abs(features: scipy.sparse.csr_matrix) -> np.ndarray:
    """Each column's largest absolute value (1 for empty columns)."""
    largest = np.asarray(abs(features).max(axis=0).toarray()).ravel()
    return np.where(largest > 0, largest, 1.0)


def _standardization(targets: np.ndarray) -> tuple[float, float]:
    scale = float(targets.std())
    return float(targets.mean()), scale if scale > 0 else 1.0
