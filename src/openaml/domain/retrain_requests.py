"""A retrain's typed request: what the retrain route (or a schedule's ``Retrain``) asks for.

``operations/retrains.py`` reads the route's JSON body (its member names and the issue's
``openaml.*`` names, types and ranges) into a :class:`RetrainRequest` once; the domain
(:mod:`openaml.domain.retrains`, :mod:`openaml.domain.schedules`) only takes the record. Like the
creation records of :mod:`openaml.domain.records` it is stored as ``to_json()`` (with a retrain, and
with a schedule for each of its runs) and read back with ``from_json()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openaml.engine.models import UpdateMode
from openaml.store import legacy_requests

#: The holdout rules and promotion rules of a retrain (:mod:`openaml.domain.retrains`).
HOLDOUT_RULES = ("time", "random")
PROMOTIONS = ("manual", "auto")
DEFAULT_HOLDOUT_PERCENT = 20.0
#: The members of a stored retrain request (``RetrainRequest.to_json``).
_RETRAIN_KEYS = frozenset(
    (
        "location",
        "dataSourceId",
        "holdout",
        "updateMode",
        "promotion",
        "promotionMetric",
        "minImprovement",
        "parameters",
    )
)


@dataclass(frozen=True)
class RetrainRequest:
    """What a retrain is asked to do (module docstring). Schedules created before this record stored
    the body as it was sent, which ``from_json`` reads through
    :func:`openaml.store.legacy_requests.retrain_request`."""

    location: str | None = None
    data_source_id: str | None = None
    holdout_rule: str = "time"
    holdout_percent: float = DEFAULT_HOLDOUT_PERCENT
    #: The time rule's date or numeric column; None: file order.
    holdout_attribute: str | None = None
    update_mode: str = UpdateMode.REFIT.value
    promotion: str = "manual"
    #: None: the model type's default metric (filled in when the retrain starts).
    promotion_metric: str | None = None
    min_improvement: float = 0.0
    #: Extra ``CreateMLModel`` Parameters of the challenger (over the champion's).
    parameters: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", dict(self.parameters))

    def to_json(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "dataSourceId": self.data_source_id,
            "holdout": {
                "rule": self.holdout_rule,
                "percent": self.holdout_percent,
                **({"attribute": self.holdout_attribute} if self.holdout_attribute else {}),
            },
            "updateMode": self.update_mode,
            "promotion": self.promotion,
            "promotionMetric": self.promotion_metric,
            "minImprovement": self.min_improvement,
            "parameters": dict(self.parameters),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RetrainRequest:
        if set(data) != _RETRAIN_KEYS:
            data = legacy_requests.retrain_request(data)
        holdout = data.get("holdout") or {}
        percent, minimum = holdout.get("percent"), data.get("minImprovement")
        return cls(
            location=data.get("location"),
            data_source_id=data.get("dataSourceId"),
            holdout_rule=holdout.get("rule") or "time",
            holdout_percent=DEFAULT_HOLDOUT_PERCENT if percent is None else float(percent),
            holdout_attribute=holdout.get("attribute"),
            update_mode=data.get("updateMode") or UpdateMode.REFIT.value,
            promotion=data.get("promotion") or "manual",
            promotion_metric=data.get("promotionMetric"),
            min_improvement=0.0 if minimum is None else float(minimum),
            parameters=data.get("parameters") or {},
        )
