"""What an evaluation produces, and the JSON conventions every part of the report follows.

Numbers in the report are plain JSON numbers; a value that is undefined (the AUC of data holding one
class) is ``null`` in the report and the string ``"NaN"`` in ``PerformanceMetrics.Properties``, whose
values are always strings, as Amazon ML returned them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Metric name → value (``None`` when undefined); the names are the ``Properties`` keys.
MetricValues = dict[str, float | None]

#: Written into every report so that readers can recognise the layout.
REPORT_VERSION = 1


@dataclass(frozen=True)
class EvaluationResult:
    """An evaluation's ``PerformanceMetrics.Properties`` and its detailed, JSON-ready report."""

    properties: dict[str, str]
    report: dict[str, Any]

    @property
    def warnings(self) -> list[dict[str, str]]:
        """Problems met while evaluating (``{"code", "message"}``), e.g. an undefined AUC."""
        warnings: list[dict[str, str]] = self.report["warnings"]
        return warnings


@dataclass(frozen=True)
class TypeEvaluation:
    """What the evaluation of one model type contributes: its metrics and its report sections."""

    metrics: MetricValues
    sections: dict[str, Any]
    warnings: list[dict[str, str]]


def notice(code: str, message: str) -> dict[str, str]:
    """A warning or alert in the ``{"code", "message"}`` shape the report and the API use."""
    return {"code": code, "message": message}


def property_string(value: float | None) -> str:
    """A metric as Amazon ML wrote it in ``Properties``: the shortest exact decimal, or ``"NaN"``."""
    if value is None or not math.isfinite(value):
        return "NaN"
    return repr(float(value))


def json_number(value: float) -> float | None:
    """A float for the report: ``None`` instead of NaN or infinity, which JSON cannot carry."""
    number = float(value)
    return number if math.isfinite(number) else None


def json_numbers(values: npt.ArrayLike) -> list[float | None]:
    """An array of floats for the report, non-finite values as ``None``."""
    return [json_number(value) for value in np.asarray(values, dtype=np.float64).ravel()]


def json_counts(values: npt.ArrayLike) -> list[int]:
    """An array of counts for the report."""
    return [int(value) for value in np.asarray(values).ravel()]


def safe_ratio(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> FloatArray:
    """Elementwise ``numerator / denominator``, 0 where the denominator is 0 (scikit-learn's convention)."""
    top = np.asarray(numerator, dtype=np.float64)
    bottom = np.asarray(denominator, dtype=np.float64)
    out = np.zeros(np.broadcast(top, bottom).shape, dtype=np.float64)
    np.divide(top, bottom, out=out, where=bottom != 0)
    return out


def quantile_table(values: FloatArray, levels: tuple[float, ...]) -> dict[str, float | None]:
    """``{"0.05": q, ...}``: the quantiles of ``values`` at ``levels``, keyed like the statistics JSON."""
    quantiles = np.quantile(values, levels)
    return {str(level): json_number(q) for level, q in zip(levels, quantiles, strict=True)}
