"""``datasource statistics --png FILE``: the statistics' histograms as one PNG picture.

(The evaluation's charts are drawn by the server, :mod:`openaml.charts`; the CLI downloads them.)

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display needed); matplotlib is
imported only when a picture is asked for, and its absence is reported with the command to install it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from openaml.cli.client.charts import ordered_attributes
from openaml.cli.client.errors import CliError, ExitCode

Panel = Callable[[Any], None]


def _figure(panels: list[Panel], columns: int, title: str, panel_inches: float) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ModuleNotFoundError as error:
        raise CliError("PNG export needs matplotlib: pip install matplotlib", ExitCode.USAGE) from error
    columns = max(1, min(columns, len(panels)))
    rows = math.ceil(len(panels) / columns)
    figure = Figure(figsize=(columns * panel_inches, rows * panel_inches * 0.85 + 0.4), layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(title)
    for index, draw in enumerate(panels):
        draw(figure.add_subplot(rows, columns, index + 1))
    return figure


def _save(figure: Any, path: Path) -> Path:
    try:
        figure.savefig(path, format="png", dpi=100)
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror or error}", ExitCode.USAGE) from error
    return path


def _attribute_panel(attribute: Mapping[str, Any]) -> Panel:
    def draw(axes: Any) -> None:
        histogram = (attribute.get("numeric") or {}).get("histogram") or {}
        edges, counts = histogram.get("edges") or [], histogram.get("counts") or []
        if counts and len(edges) == len(counts) + 1:
            axes.stairs(counts, edges, fill=True, color="tab:blue")
            axes.locator_params(axis="x", nbins=4)
        else:
            top_values = (attribute.get("topValues") or [])[:10]
            axes.barh(
                [str(entry.get("value")) for entry in reversed(top_values)],
                [entry.get("count", 0) for entry in reversed(top_values)],
                color="tab:purple",
            )
        axes.set_title(f"{attribute.get('name')} ({attribute.get('type')})", fontsize=8)
        axes.tick_params(labelsize=7)

    return draw


def statistics_png(statistics: Mapping[str, Any], path: Path, title: str, limit: int = 24) -> Path:
    """Histograms (numeric) and top-value bars (categorical) of the attributes most related to the target."""
    attributes = [
        attribute
        for attribute in ordered_attributes(statistics)
        if (attribute.get("numeric") or {}).get("histogram") or attribute.get("topValues")
    ][:limit]
    if not attributes:
        raise CliError("these statistics have no histogram or value counts to draw", ExitCode.USAGE)
    return _save(_figure([_attribute_panel(attribute) for attribute in attributes], 4, title, 3.2), path)
