"""Pictures in the terminal: sparkline histograms, the statistics table, a coloured confusion matrix.

They read the JSON the server returns (statistics: docs/datasources.md; evaluation report:
``GET /openaml/v1/evaluations/{id}/report``) and draw whatever parts of it are present, so an older
or newer server's output still renders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from openaml.charts.statistics import correlation_to_target, ordered_attributes
from openaml.cli.client.output import format_value, titled

_BLOCKS = "▁▂▃▄▅▆▇█"
SPARKLINE_WIDTH = 20


def sparkline(counts: Sequence[float], width: int = SPARKLINE_WIDTH) -> str:
    """Bar heights of ``counts`` as block characters, merged into at most ``width`` bars."""
    if not counts:
        return ""
    merged = list(counts)
    if len(merged) > width:
        size = len(merged) / width
        merged = [sum(counts[int(i * size) : int((i + 1) * size)]) for i in range(width)]
    top = max(merged)
    if top <= 0:
        return _BLOCKS[0] * len(merged)
    return "".join(
        " " if value <= 0 else _BLOCKS[min(len(_BLOCKS) - 1, int(value / top * len(_BLOCKS)))]
        for value in merged
    )


def _distribution(attribute: Mapping[str, Any]) -> str:
    """A sparkline of a numeric histogram or of the counts of the most frequent values."""
    numeric = attribute.get("numeric") or {}
    histogram = numeric.get("histogram") or {}
    if histogram.get("counts"):
        return sparkline(histogram["counts"])
    top_values = attribute.get("topValues") or []
    if top_values:
        return sparkline([entry.get("count", 0) for entry in top_values[:SPARKLINE_WIDTH]])
    return ""


def _summary(attribute: Mapping[str, Any]) -> str:
    numeric = attribute.get("numeric")
    if numeric:
        return " / ".join(format_value(numeric.get(key)) for key in ("min", "mean", "max"))
    top_values = attribute.get("topValues") or []
    if top_values:
        return ", ".join(f"{entry.get('value')} ({entry.get('count', 0):,})" for entry in top_values[:3])
    text = attribute.get("text")
    if text:
        return f"{text.get('tokens', 0):,} tokens, {text.get('distinctTokens', 0):,} distinct"
    return ""


def statistics_table(statistics: Mapping[str, Any], limit: int | None = None) -> RenderableType:
    """One row per attribute: type, role, missing, distinct, summary, distribution, relation to target."""
    attributes = ordered_attributes(statistics)
    shown = attributes[:limit] if limit else attributes
    title = (
        f"{statistics.get('validRecords', 0):,} valid of {statistics.get('recordsRead', 0):,} records"
        f" · {len(attributes)} attributes"
        + (
            f" (showing {len(shown)}, most related to the target first)"
            if len(shown) < len(attributes)
            else ""
        )
    )
    table = Table()
    longest_name = max((len(str(attribute.get("name", ""))) for attribute in shown), default=0)
    # The sort key ("MI to target") comes early: in a narrow terminal the right-most columns are the
    # ones left out (see openaml.cli.client.output.fit_table).
    table.add_column("attribute", overflow="fold", min_width=min(longest_name, 24))
    table.add_column("type")
    table.add_column("role")
    table.add_column("MI to\ntarget", justify="right")
    table.add_column("missing", justify="right")
    table.add_column("distinct", justify="right")
    table.add_column("min / mean / max or top values", max_width=24)
    table.add_column("distribution", no_wrap=True, min_width=SPARKLINE_WIDTH)
    for attribute in shown:
        correlation = correlation_to_target(attribute)
        distinct = attribute.get("distinct")
        table.add_row(
            str(attribute.get("name", "?")),
            str(attribute.get("type", "?")),
            str(attribute.get("role", "")),
            "-" if correlation is None else f"{correlation:.3f}",
            format_value(attribute.get("missing", 0)),
            ("~" if attribute.get("distinctIsApproximate") else "") + format_value(distinct),
            _summary(attribute),
            Text(_distribution(attribute), style="cyan"),
        )
    return titled(title, table)


def target_table(statistics: Mapping[str, Any]) -> RenderableType | None:
    """The target's class distribution with bars, or ``None`` without a categorical target."""
    target = statistics.get("target") or {}
    distribution = target.get("distribution") or []
    if not distribution:
        return None
    total = sum(entry.get("count", 0) for entry in distribution) or 1
    table = Table()
    table.add_column("value")
    table.add_column("records", justify="right")
    table.add_column("share", justify="right")
    table.add_column("")
    for entry in distribution:
        share = entry.get("count", 0) / total
        table.add_row(
            str(entry.get("value")),
            f"{entry.get('count', 0):,}",
            f"{share:.1%}",
            Text("█" * max(1, round(share * 30)), style="magenta"),
        )
    return titled(f"target {target.get('name', '')} ({target.get('type', '')})", table)


def _cell_style(share: float, diagonal: bool) -> str:
    """Green shades on the diagonal (right), red shades off it (wrong), stronger for larger shares."""
    if share <= 0:
        return "dim"
    level = min(4, int(share * 5))
    if diagonal:
        return ("green", "green", "bold green", "bold white on green", "bold white on green")[level]
    return ("yellow", "red", "bold red", "bold white on red", "bold white on red")[level]


def confusion_matrix_table(matrix: Mapping[str, Any]) -> RenderableType:
    """Rows are true classes, columns predicted ones; cells coloured by their share of the row."""
    labels = [str(label) for label in matrix.get("labels", [])]
    counts = matrix.get("counts") or []
    normalized = matrix.get("normalized") or [[count / (sum(row) or 1) for count in row] for row in counts]
    table = Table()
    table.add_column("true \\ predicted", style="bold")
    for label in labels:
        table.add_column(label, justify="right")
    table.add_column("recall", justify="right")
    per_class = {str(entry.get("label")): entry for entry in matrix.get("perClass") or []}
    for row, label in enumerate(labels):
        cells = [
            Text(f"{counts[row][column]:,}", style=_cell_style(normalized[row][column], row == column))
            for column in range(len(labels))
        ]
        recall = per_class.get(label, {}).get("recall")
        table.add_row(label, *cells, "-" if recall is None else f"{recall:.3f}")
    if per_class:
        precisions = [per_class.get(label, {}).get("precision") for label in labels]
        table.add_row(
            Text("precision", style="italic"),
            *("-" if value is None else f"{value:.3f}" for value in precisions),
            "",
        )
    return titled("Confusion matrix (rows: true class, columns: predicted class)", table)
