"""What the champion–challenger chart shows: both models' metrics on the one shared holdout.

A retrain evaluates the champion and the challenger on the same holdout; the chart reads the two
evaluation reports (contract 5 of docs/contracts.md) and shows, for every metric both reports have, the
two values side by side. Metrics have different scales (AUC in 0–1, RMSE in the target's unit), so each
metric's bars are scaled to that metric's larger value; the value itself is written beside each bar.
Which metrics are better when lower is the caller's to say (the retrain's comparison rule), so the
chart and the promotion never disagree.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from openaml.errors import InvalidInputException

#: Report metrics that describe the setting or a baseline, not the model's quality.
_NOT_COMPARED_PREFIXES = ("Baseline",)
_NOT_COMPARED = frozenset({"BinaryScoreThreshold"})


@dataclass(frozen=True)
class MetricComparison:
    """One metric of both models on the shared holdout."""

    metric: str
    champion: float
    challenger: float
    lower_is_better: bool = False

    @property
    def winner(self) -> Literal["champion", "challenger"] | None:
        """Which model is better on this metric; ``None`` on a tie."""
        if self.champion == self.challenger:
            return None
        challenger_smaller = self.challenger < self.champion
        return "challenger" if challenger_smaller == self.lower_is_better else "champion"


@dataclass(frozen=True)
class ComparisonFigure:
    """Champion and challenger metrics, one row of two bars per metric."""

    rows: tuple[MetricComparison, ...]
    champion_label: str
    challenger_label: str
    #: The metric promotion decides on (its row is marked); ``None`` when unknown.
    promotion_metric: str | None = None
    title: str = "Champion vs challenger on the shared holdout"
    subtitle: str = "each metric on its own scale; ★ the promotion metric"

    def direction(self, row: MetricComparison) -> str:
        return "lower is better" if row.lower_is_better else "higher is better"

    def decides(self, row: MetricComparison) -> bool:
        """Whether ``row`` is the promotion metric, named as in the report (``BinaryAUC``) or as
        training names metrics (``auc``, ``rmse``)."""
        if not self.promotion_metric:
            return False
        wanted = self.promotion_metric.lower().replace("_", "")
        name = row.metric.lower()
        for model_type in ("binary", "multiclass", "regression"):
            name = name.removeprefix(model_type)
        return wanted in (row.metric.lower(), name)


def _numbers(report: Mapping[str, Any]) -> dict[str, float]:
    metrics = report.get("metrics")
    if not isinstance(metrics, Mapping):
        raise InvalidInputException("An evaluation report without metrics cannot be compared.")
    return {
        str(name): float(value)
        for name, value in metrics.items()
        if isinstance(value, int | float)
        and not isinstance(value, bool)
        and name not in _NOT_COMPARED
        and not str(name).startswith(_NOT_COMPARED_PREFIXES)
    }


def comparison_figure(
    champion: Mapping[str, Any],
    challenger: Mapping[str, Any],
    *,
    lower_is_better: Collection[str],
    champion_label: str = "champion",
    challenger_label: str = "challenger",
    promotion_metric: str | None = None,
) -> ComparisonFigure:
    """The chart of two evaluation reports of the same holdout, ``lower_is_better`` naming the metrics
    where the smaller value wins; ``InvalidInputException`` when the reports share no metric (e.g.
    reports of different model types)."""
    first, second = _numbers(champion), _numbers(challenger)
    rows = tuple(
        MetricComparison(name, first[name], second[name], name in lower_is_better)
        for name in first
        if name in second
    )
    if not rows:
        raise InvalidInputException(
            "The champion's and the challenger's evaluation reports have no metric in common to compare."
        )
    return ComparisonFigure(rows, champion_label, challenger_label, promotion_metric)
