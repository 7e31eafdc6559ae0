"""A plain-text rendering of an evaluation report, for terminals (``openaml evaluation show``).

It prints the record counts, the metrics, the confusion matrix with per-class figures (BINARY and
MULTICLASS) or the error quantiles (REGRESSION), and the warnings. Only the report JSON is read, so
a report fetched from the server renders the same as one computed locally.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_LABEL_WIDTH = 14


def format_text_report(report: Mapping[str, Any]) -> str:
    """The report as lines of plain text (no colours, no trailing spaces)."""
    records = report.get("records", {})
    lines = [
        f"{report.get('modelType', '?')} evaluation: {records.get('evaluated', '?')} of "
        f"{records.get('total', '?')} records evaluated",
        "",
        "Metrics",
    ]
    metrics: Mapping[str, Any] = report.get("metrics", {})
    name_width = max((len(name) for name in metrics), default=0)
    lines += [f"  {name:<{name_width}}  {_number(value)}" for name, value in metrics.items()]

    matrix = report.get("confusionMatrix")
    if isinstance(matrix, Mapping):
        lines += ["", "Confusion matrix (rows: true class, columns: predicted class)"]
        lines += _confusion_lines(matrix)
        lines += ["", "Per class"]
        lines += _table(
            ["class", "precision", "recall", "f1", "support", "predicted"],
            [
                [
                    _short(entry["label"]),
                    _number(entry["precision"]),
                    _number(entry["recall"]),
                    _number(entry["f1"]),
                    str(entry["support"]),
                    str(entry["predicted"]),
                ]
                for entry in matrix["perClass"]
            ],
        )
    quantiles = report.get("errorQuantiles")
    if isinstance(quantiles, Mapping):
        levels = list(quantiles["residual"])
        lines += ["", "Error quantiles (residual = true - predicted)"]
        lines += _table(
            ["", *levels],
            [
                ["residual", *(_number(quantiles["residual"][level]) for level in levels)],
                ["|error|", *(_number(quantiles["absoluteError"][level]) for level in levels)],
            ],
        )
    warnings: Sequence[Mapping[str, str]] = report.get("warnings", [])
    if warnings:
        lines += ["", "Warnings"]
        lines += [f"  - [{warning['code']}] {warning['message']}" for warning in warnings]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _confusion_lines(matrix: Mapping[str, Any]) -> list[str]:
    labels = [_short(label) for label in matrix["labels"]]
    rows = [
        [label, *(f"{count} ({share:.0%})" for count, share in zip(counts, shares, strict=True))]
        for label, counts, shares in zip(labels, matrix["counts"], matrix["normalized"], strict=True)
    ]
    return _table(["true \\ predicted", *labels], rows)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns right-aligned to their widest cell, except the first, left-aligned."""
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    return [
        "  "
        + "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *rows]
    ]


def _number(value: object) -> str:
    if value is None:
        return "NaN"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _short(label: object) -> str:
    text = str(label)
    return text if len(text) <= _LABEL_WIDTH else text[: _LABEL_WIDTH - 1] + "…"
