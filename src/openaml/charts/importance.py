"""What the feature-importance picture of a model shows, read from its importance JSON.

The JSON is written by ``engine/explain/importance.py`` (``{"method", "space", "metric",
"attributes": [{"name", "importance"}, ...]}``, largest first): one horizontal bar per attribute, the
:data:`MAX_BARS` most important, with the method and its unit in the title.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openaml.charts.style import short_label
from openaml.errors import InvalidInputException

#: Attributes drawn in the picture (the most important).
MAX_BARS = 20


@dataclass(frozen=True)
class ImportanceFigure:
    """Bars of ``values`` for ``labels``, largest first."""

    labels: tuple[str, ...]
    values: tuple[float, ...]
    title: str
    x_label: str


def importance_figure(document: Mapping[str, Any]) -> ImportanceFigure:
    """The figure of an importance document; ``InvalidInputException`` when it lists no attributes."""
    attributes = [entry for entry in document.get("attributes") or [] if isinstance(entry, Mapping)]
    if not attributes:
        raise InvalidInputException("This feature importance lists no attributes to draw.")
    shown = attributes[:MAX_BARS]
    if document.get("method") == "permutation":
        title = "Feature importance (permutation)"
        x_label = f"increase of {document.get('metric') or 'the loss'} when the attribute is shuffled"
    else:
        title = "Feature importance (mean |contribution|)"
        x_label = f"mean absolute contribution ({document.get('space') or 'model output'})"
    if len(attributes) > len(shown):
        title += f": top {len(shown)} of {len(attributes)}"
    return ImportanceFigure(
        tuple(short_label(entry.get("name")) for entry in shown),
        tuple(float(entry.get("importance") or 0.0) for entry in shown),
        title,
        x_label,
    )
