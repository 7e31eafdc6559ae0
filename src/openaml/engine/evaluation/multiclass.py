"""MULTICLASS evaluation: macro-averaged F1 (Amazon ML's ``MulticlassAvgFScore``) and its companions.

The predicted class is the column with the highest probability (the first one on ties). Classes the
evaluation data holds but the model never learnt are added after the model's classes, with a
probability of 0, so that they count as always missed. Macro averages are unweighted means over the
classes that occur in the evaluation data or in the predictions: a class with neither has no
precision or recall to average.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from openaml.engine.evaluation.confusion import ConfusionMatrix
from openaml.engine.evaluation.result import FloatArray, TypeEvaluation, notice
from openaml.engine.metrics import metric_for
from openaml.engine.models import ModelType


def evaluate_multiclass(
    labels_true: npt.NDArray[np.object_],
    scores: FloatArray,
    classes: tuple[str, ...],
    majority_class: str | None,
) -> TypeEvaluation:
    """Evaluate probability ``scores`` (columns in ``classes`` order) against class labels."""
    frequencies = Counter(str(label) for label in labels_true)
    unknown = sorted(set(frequencies) - set(classes))
    labels = classes + tuple(unknown)
    index = {label: position for position, label in enumerate(labels)}
    y = np.fromiter((index[str(label)] for label in labels_true), dtype=np.int64, count=len(labels_true))
    confusion = ConfusionMatrix.from_indices(y, np.argmax(scores, axis=1).astype(np.int64), labels)

    if majority_class is None:
        majority_class = max(labels, key=lambda label: frequencies.get(label, 0))
    elif majority_class not in index:
        raise ValueError(f"the majority class {majority_class!r} is not one of the classes {labels}")
    baseline = ConfusionMatrix.from_indices(y, np.full_like(y, index[majority_class]), labels)

    with_unknown_columns = np.hstack([scores, np.zeros((len(y), len(unknown)))])
    active = _active(confusion)
    metrics: dict[str, float | None] = {
        "MulticlassAvgFScore": float(confusion.f1[active].mean()),
        "MulticlassAccuracy": float(np.trace(confusion.counts) / len(y)),
        "MulticlassMacroPrecision": float(confusion.precision[active].mean()),
        "MulticlassMacroRecall": float(confusion.recall[active].mean()),
        "MulticlassWeightedFScore": float(np.average(confusion.f1, weights=confusion.support)),
        "MulticlassLogLoss": metric_for("log_loss", ModelType.MULTICLASS).compute(y, with_unknown_columns),
        "BaselineMulticlassAvgFScore": float(baseline.f1[_active(baseline)].mean()),
    }
    sections = {"confusionMatrix": confusion.to_dict(), "baselineClass": majority_class}
    return TypeEvaluation(metrics, sections, _unknown_class_warnings(unknown, frequencies, classes))


def _active(confusion: ConfusionMatrix) -> npt.NDArray[np.bool_]:
    """The classes that occur in the data or in the predictions."""
    return np.asarray((confusion.support > 0) | (confusion.predicted > 0), dtype=np.bool_)


def _unknown_class_warnings(
    unknown: Sequence[str], frequencies: Counter[str], classes: tuple[str, ...]
) -> list[dict[str, str]]:
    if not unknown:
        return []
    records = sum(frequencies[label] for label in unknown)
    shown = ", ".join(repr(label) for label in unknown[:10]) + (", ..." if len(unknown) > 10 else "")
    return [
        notice(
            "UnknownTargetClasses",
            f"{records} evaluation record(s) have target classes the model was not trained on ({shown}); "
            f"the model can only predict its {len(classes)} training classes, so these records always count "
            "as errors. Train on data that includes these classes, or evaluate without them.",
        )
    ]
