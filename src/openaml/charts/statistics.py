"""What the statistics picture of a datasource shows, read from the statistics JSON (docs/contracts.md).

One panel per attribute, the attributes most related to the target first: a histogram for numeric
attributes, bars of the most frequent values for the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openaml.charts.style import short_label

#: Attributes drawn in the statistics picture, and most frequent values drawn per attribute.
MAX_ATTRIBUTES = 24
MAX_VALUES = 10


@dataclass(frozen=True)
class AttributeFigure:
    """One attribute: ``edges`` and ``counts`` of a histogram, or ``values`` and their ``counts``."""

    title: str
    counts: tuple[float, ...]
    edges: tuple[float, ...] = ()
    values: tuple[str, ...] = ()


def correlation_to_target(attribute: Mapping[str, Any]) -> float | None:
    """The attribute's relation to the target (mutual information), when the statistics have it."""
    correlation = attribute.get("correlationToTarget")
    value = correlation.get("value") if isinstance(correlation, Mapping) else None
    return float(value) if isinstance(value, int | float) else None


def ordered_attributes(statistics: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The attributes, most related to the target first (then in file order)."""
    attributes = list(statistics.get("attributes") or [])
    return sorted(attributes, key=lambda attribute: -(correlation_to_target(attribute) or 0.0))


def attribute_figures(statistics: Mapping[str, Any], limit: int = MAX_ATTRIBUTES) -> list[AttributeFigure]:
    """The statistics picture's panels: attributes with a histogram or value counts, ``limit`` at most."""
    figures: list[AttributeFigure] = []
    for attribute in ordered_attributes(statistics):
        title = f"{attribute.get('name')} ({attribute.get('type')})"
        histogram = (attribute.get("numeric") or {}).get("histogram") or {}
        edges, counts = histogram.get("edges") or [], histogram.get("counts") or []
        top_values = list(reversed((attribute.get("topValues") or [])[:MAX_VALUES]))
        if counts and len(edges) == len(counts) + 1:
            figures.append(AttributeFigure(title, tuple(counts), edges=tuple(edges)))
        elif top_values:
            figures.append(
                AttributeFigure(
                    title,
                    tuple(entry.get("count", 0) for entry in top_values),
                    values=tuple(short_label(entry.get("value")) for entry in top_values),
                )
            )
        if len(figures) == limit:
            break
    return figures
