"""Drift between a baseline and a current sample of records: per attribute, overall, and of predictions.

Both sides are typed frames (CONTRACTS §2) — in practice the bounded record samples datasource
statistics keep (``sample.parquet``, see :mod:`openaml.engine.data.statistics`) or captured real-time
records — so a report costs the same whatever the size of the data behind them.

Per attribute (inputs, and the target when both sides have it):

* NUMERIC: ``method`` ``psi`` — the population stability index over the baseline's 10 quantile bins,
  with clipping (:mod:`.measures`); ``warning`` at 0.1, ``threshold`` (drifted) at 0.25. The
  normalised Wasserstein distance is reported beside it as ``wasserstein``.
* CATEGORICAL and BINARY: ``method`` ``jensenShannon`` — the Jensen–Shannon distance of the value
  distributions (the baseline's 20 most frequent values that it holds at least 5 times and at least
  0.5 % of the time; every other value — IDs, names — as one ``(other)`` category); ``warning`` 0.05,
  ``threshold`` 0.1.
* TEXT: ``jensenShannon`` of the token distributions (the baseline's 50 most frequent tokens plus
  ``(other)``), thresholds as for categories.

Small samples: two samples of one distribution differ by chance, the more so the smaller they are and
the more bins or categories they have. ``noiseFloor`` is three times a score's expected value for
such samples (PSI: ``(bins - 1)(1/n + 1/m)``; Jensen–Shannon: the distance of a divergence of
``(k - 1)/8 · (1/n + 1/m)`` nats); ``warning`` and ``threshold`` are raised to it when they are
below. With the statistics' samples (tens of thousands of records) it is far below the defaults; with
a few hundred evaluation records it keeps chance from being reported as drift.

``missing`` gives each side's share of missing values. An attribute without values on one side is
reported with ``score`` null and not counted as drifted. ``driftedShare`` is the share of compared
input attributes that drifted.

Prediction drift (:func:`compare_predictions`) compares model outputs the same way: the score of
BINARY and the value of REGRESSION models by PSI, the predicted labels of MULTICLASS models by
Jensen–Shannon.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from openaml.engine.data.schema import AttributeRole, AttributeType, DataSchema
from openaml.engine.drift.measures import (
    jensen_shannon,
    normalised_wasserstein,
    population_stability_index,
    quantile_edges,
)
from openaml.engine.models import ModelType

Float64Array = npt.NDArray[np.float64]
OTHER = "(other)"
TOP_CATEGORIES = 20
TOP_TOKENS = 50
HISTOGRAM_BINS = 30
#: A category is compared on its own when the baseline sample has it at least this often (and at least
#: this share of its values); rarer ones are compared together, as "(other)".
MIN_CATEGORY_COUNT = 5
MIN_CATEGORY_SHARE = 0.005
PSI = "psi"
JENSEN_SHANNON = "jensenShannon"


@dataclass(frozen=True)
class Thresholds:
    """When a score warns and when it counts as drift, per method."""

    psi_warning: float = 0.1
    psi_alert: float = 0.25
    js_warning: float = 0.05
    js_alert: float = 0.1

    def for_method(self, method: str) -> tuple[float, float]:
        return (self.psi_warning, self.psi_alert) if method == PSI else (self.js_warning, self.js_alert)

    def to_json(self) -> dict[str, float]:
        return {
            "psiWarning": self.psi_warning,
            "psiAlert": self.psi_alert,
            "jensenShannonWarning": self.js_warning,
            "jensenShannonAlert": self.js_alert,
        }


@dataclass
class _Comparison:
    method: str
    score: float | None
    extra: dict[str, Any] = field(default_factory=dict)
    #: What sampling alone makes the score reach (three times its expected value for two samples of one
    #: distribution of these sizes); thresholds below it are raised to it.
    noise_floor: float = 0.0

    def levels(self, thresholds: Thresholds) -> tuple[float, float]:
        """The warning and alert levels for this comparison: the defaults, or the noise floor above them."""
        warning, alert = thresholds.for_method(self.method)
        return max(warning, self.noise_floor), max(alert, self.noise_floor)


def _psi_noise(bins: int, n_baseline: int, n_current: int) -> float:
    """Three times PSI's expectation between two samples of one distribution: (bins - 1)(1/n + 1/m)."""
    return 3.0 * (bins - 1) * (1.0 / n_baseline + 1.0 / n_current)


def _js_noise(categories: int, n_baseline: int, n_current: int) -> float:
    """The Jensen–Shannon distance (base 2) at three times the divergence's expectation between two
    samples of one distribution: (k - 1)/8 · (1/n + 1/m) nats."""
    divergence = 3.0 * (categories - 1) / 8.0 * (1.0 / n_baseline + 1.0 / n_current)
    return math.sqrt(max(divergence, 0.0) / math.log(2.0))


def compare_frames(
    schema: DataSchema,
    baseline: pd.DataFrame,
    current: pd.DataFrame,
    thresholds: Thresholds | None = None,
) -> dict[str, Any]:
    """The attribute part of a drift report: ``attributes``, ``comparedAttributes``, ``driftedShare``.

    Attributes of ``schema`` missing from ``current`` (e.g. captured records never carry the target)
    are skipped.
    """
    thresholds = thresholds or Thresholds()
    entries = []
    for attribute in schema.attributes:
        role = schema.role(attribute.name)
        if role not in (AttributeRole.INPUT, AttributeRole.TARGET):
            continue
        if attribute.name not in baseline.columns or attribute.name not in current.columns:
            continue
        comparison = _compare_column(attribute.type, baseline[attribute.name], current[attribute.name])
        entries.append(
            _entry(attribute.name, attribute.type, role, comparison, baseline, current, thresholds)
        )
    inputs = [e for e in entries if e["role"] == AttributeRole.INPUT.value and e["score"] is not None]
    drifted = [e for e in inputs if e["drifted"]]
    return {
        "attributes": entries,
        "comparedAttributes": len(inputs),
        "driftedAttributes": len(drifted),
        "driftedShare": len(drifted) / len(inputs) if inputs else 0.0,
        "thresholds": thresholds.to_json(),
        "rows": {"baseline": len(baseline), "current": len(current)},
    }


def _entry(
    name: str,
    kind: AttributeType,
    role: AttributeRole,
    comparison: _Comparison,
    baseline: pd.DataFrame,
    current: pd.DataFrame,
    thresholds: Thresholds,
) -> dict[str, Any]:
    warning, alert = comparison.levels(thresholds)
    score = comparison.score
    level = (
        "unknown" if score is None else "alert" if score >= alert else "warning" if score >= warning else "ok"
    )
    return {
        "name": name,
        "type": kind.value,
        "role": role.value,
        "method": comparison.method,
        "score": score,
        "warning": warning,
        "threshold": alert,
        "noiseFloor": comparison.noise_floor,
        "drifted": level == "alert",
        "level": level,
        "missing": {"baseline": _missing_share(baseline[name]), "current": _missing_share(current[name])},
        **comparison.extra,
    }


def _missing_share(column: pd.Series) -> float:
    return float(column.isna().mean()) if len(column) else 0.0


def _compare_column(kind: AttributeType, baseline: pd.Series, current: pd.Series) -> _Comparison:
    if kind is AttributeType.NUMERIC:
        return compare_numbers(_numbers(baseline), _numbers(current))
    if kind is AttributeType.TEXT:
        return _compare_counts(_token_counts(baseline), _token_counts(current), TOP_TOKENS)
    return _compare_counts(_value_counts(kind, baseline), _value_counts(kind, current), TOP_CATEGORIES)


def compare_numbers(baseline: Float64Array, current: Float64Array) -> _Comparison:
    """PSI (and normalised Wasserstein) of two samples of numbers, with a histogram of both."""
    if len(baseline) == 0 or len(current) == 0:
        return _Comparison(PSI, None, {"wasserstein": None, "histogram": None})
    edges = quantile_edges(baseline)
    bins = len(np.unique(np.asarray(edges[1:-1]))) + 1
    return _Comparison(
        PSI,
        population_stability_index(baseline, current, edges),
        {
            "wasserstein": normalised_wasserstein(baseline, current),
            "quantileEdges": edges,
            "histogram": _histogram(baseline, current),
        },
        noise_floor=_psi_noise(bins, len(baseline), len(current)),
    )


def _compare_counts(baseline: pd.Series, current: pd.Series, keep: int) -> _Comparison:
    if baseline.sum() == 0 or current.sum() == 0:
        return _Comparison(JENSEN_SHANNON, None, {"categories": None})
    # Values too rare in the baseline to compare one by one (an ID, a name) count as "(other)".
    least = max(MIN_CATEGORY_COUNT, MIN_CATEGORY_SHARE * float(baseline.sum()))
    ranked = baseline.sort_values(ascending=False, kind="stable")
    top = [str(v) for v, count in ranked.iloc[:keep].items() if count >= least]
    base = _fold(baseline, top)
    cur = _fold(current, top)
    labels = [*top, OTHER] if (base.get(OTHER, 0) or cur.get(OTHER, 0)) else top
    base_total, cur_total = sum(base.values()), sum(cur.values())
    return _Comparison(
        JENSEN_SHANNON,
        jensen_shannon(base, cur),
        {
            "categories": {
                "values": labels,
                "baseline": [base.get(v, 0.0) / base_total for v in labels],
                "current": [cur.get(v, 0.0) / cur_total for v in labels],
            }
        },
        noise_floor=_js_noise(len(labels), round(base_total), round(cur_total)) if len(labels) > 1 else 0.0,
    )


def _fold(counts: pd.Series, top: Sequence[str]) -> dict[str, float]:
    """Counts of the ``top`` values, and of every other value together as :data:`OTHER`."""
    as_dict = {str(k): float(v) for k, v in counts.items()}
    folded = {value: as_dict.get(value, 0.0) for value in top}
    folded[OTHER] = float(sum(v for k, v in as_dict.items() if k not in folded))
    return folded


def _numbers(column: pd.Series) -> Float64Array:
    values = np.asarray(
        pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64
    )
    return np.asarray(values[np.isfinite(values)], dtype=np.float64)


def _value_counts(kind: AttributeType, column: pd.Series) -> pd.Series:
    present = column.dropna()
    if kind is AttributeType.BINARY:
        present = pd.to_numeric(present, errors="coerce").dropna().map(lambda v: "1" if v == 1.0 else "0")
    return present.astype(str).value_counts()


def _token_counts(column: pd.Series) -> pd.Series:
    tokens = column.dropna().astype(str).str.split().explode().dropna()
    return tokens.value_counts()


def _histogram(baseline: Float64Array, current: Float64Array) -> dict[str, Any]:
    """Both samples' shares on one grid of equal-width bins over their 0.5–99.5 % range (outer bins clip)."""
    both = np.concatenate([baseline, current])
    low, high = (float(v) for v in np.quantile(both, [0.005, 0.995]))
    if high <= low:
        low, high = float(both.min()), float(both.max())
    if high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, HISTOGRAM_BINS + 1)

    def shares(values: Float64Array) -> list[float]:
        index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, HISTOGRAM_BINS - 1)
        counts = np.bincount(index, minlength=HISTOGRAM_BINS)
        return [float(c) / len(values) for c in counts]

    return {"edges": [float(e) for e in edges], "baseline": shares(baseline), "current": shares(current)}


# --- predictions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PredictionSample:
    """Model outputs on one side: ``values`` (BINARY P(1), REGRESSION value) and/or ``labels``."""

    values: Float64Array | None = None
    labels: Sequence[str] | None = None


def compare_predictions(
    model_type: ModelType,
    baseline: PredictionSample,
    current: PredictionSample,
    thresholds: Thresholds | None = None,
    source: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Prediction drift: BINARY scores and REGRESSION values by PSI, MULTICLASS labels by Jensen–Shannon."""
    thresholds = thresholds or Thresholds()
    if model_type is ModelType.MULTICLASS or baseline.values is None or current.values is None:
        base_labels = pd.Series(list(baseline.labels or []), dtype=object).value_counts()
        cur_labels = pd.Series(list(current.labels or []), dtype=object).value_counts()
        comparison = _compare_counts(base_labels, cur_labels, TOP_CATEGORIES)
    else:
        comparison = compare_numbers(
            np.asarray(baseline.values, dtype=np.float64), np.asarray(current.values, dtype=np.float64)
        )
    warning, alert = comparison.levels(thresholds)
    score = comparison.score
    return {
        "modelType": model_type.value,
        "compared": "predictedLabel"
        if comparison.method == JENSEN_SHANNON
        else ("predictedValue" if model_type is ModelType.REGRESSION else "predictedScore"),
        "method": comparison.method,
        "score": score,
        "warning": warning,
        "threshold": alert,
        "noiseFloor": comparison.noise_floor,
        "drifted": score is not None and score >= alert,
        **dict(source or {}),
        **comparison.extra,
    }
