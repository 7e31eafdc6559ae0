"""How client commands print: rich tables for people, JSON for scripts, notes and progress on stderr.

With ``--output json`` stdout carries exactly one JSON document (the command's result), so that
``openaml model show ID --output json | jq .Status`` works; everything else (notes, progress bars)
goes to stderr in both modes.
"""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

OUTPUT_FORMATS = ("table", "json")
_NON_TERMINAL_WIDTH = 120


def _console(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    return Console(
        stderr=stderr,
        width=None if stream.isatty() else _NON_TERMINAL_WIDTH,
        highlight=False,
        markup=False,
        emoji=False,
    )


def to_json(data: Any) -> str:
    """``data`` as indented JSON; timestamps (boto3 gives ``datetime``) in ISO 8601."""

    def convert(value: Any) -> Any:
        if isinstance(value, datetime.datetime | datetime.date):
            return value.isoformat()
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace")
        raise TypeError(f"cannot write {type(value).__name__} as JSON")

    return json.dumps(data, indent=2, default=convert, ensure_ascii=False)


class Printer:
    """The output of one command in the chosen format."""

    def __init__(self, output_format: str = "table") -> None:
        self.json_mode = output_format == "json"
        self.console = _console(stderr=False)
        self.messages = _console(stderr=True)

    def emit(self, data: Any, *renderables: RenderableType) -> None:
        """The command's result: ``data`` as JSON, or the renderables for people."""
        if self.json_mode:
            sys.stdout.write(to_json(data) + "\n")
            return
        for renderable in renderables:
            self.console.print(self._fitted(renderable))

    def say(self, *renderables: RenderableType, style: str | None = None) -> None:
        """Text or tables for people that are part of a command's table output (left out in JSON mode)."""
        if not self.json_mode:
            self.console.print(*map(self._fitted, renderables), style=style)

    def _fitted(self, renderable: RenderableType) -> RenderableType:
        """``renderable`` with the right-most columns of too-wide tables left out, and a note saying so.

        Rich crops a table whose columns cannot shrink enough (unbreakable cells) at the terminal's
        edge without a word; a column left out whole, and named, is better than half a column.
        """
        for table in _tables(renderable):
            dropped = fit_table(table, self.console)
            if dropped:
                self.note(
                    f"{len(dropped)} column(s) of the table below did not fit in {self.console.width} "
                    f"characters and are left out: {', '.join(dropped)} (widen the terminal or use "
                    "--output json)."
                )
        return renderable

    def note(self, text: str | Text, *, style: str | None = "dim") -> None:
        """A remark on stderr (what happened, what to do next), in both modes."""
        self.messages.print(text, style=style)


def _tables(renderable: RenderableType) -> list[Table]:
    if isinstance(renderable, Table):
        return [renderable]
    if isinstance(renderable, Group):
        return [table for inner in renderable.renderables for table in _tables(inner)]
    return []


def table_width(table: Table, console: Console) -> int:
    """How wide ``table`` renders in ``console`` once rich has wrapped and folded what it can; wider
    than the console means rich would crop it at the edge."""
    lines = Segment.split_lines(console.render(table, console.options))
    return max((Segment.get_line_length(line) for line in lines), default=0)


def fit_table(table: Table, console: Console) -> list[str]:
    """Leave out the right-most columns (never the first) until ``table`` fits ``console``'s width;
    the headers of the columns left out, in their order."""
    dropped: list[str] = []
    while len(table.columns) > 1 and table_width(table, console) > console.width:
        dropped.insert(0, " ".join(str(table.columns.pop().header).split()))
    return dropped


def from_epoch(epoch: float | None) -> datetime.datetime | None:
    """An epoch time of the extension API (``CreatedAt``, ``NextRunAt``) as a local ``datetime``,
    shown like the times boto3 gives."""
    return None if epoch is None else datetime.datetime.fromtimestamp(epoch).astimezone()


def format_value(value: Any) -> str:
    """A member of an API response as a short cell text."""
    if value is None or value == "":
        return "-"
    if isinstance(value, datetime.datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def fields_table(rows: Iterable[tuple[str, Any]], title: str | None = None) -> Table:
    """A two-column table of ``(label, value)`` pairs; pairs whose value is ``None`` are left out."""
    table = Table(show_header=False, title=title, title_justify="left", box=None, padding=(0, 2, 0, 0))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for label, value in rows:
        if value is not None:
            table.add_row(label, value if isinstance(value, Text) else format_value(value))
    return table


def rows_table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None
) -> RenderableType:
    """A table with a header row (and its title on the line above); numbers are right-aligned."""
    materialized = [list(row) for row in rows]
    table = Table()
    for index, header in enumerate(headers):
        numeric = bool(materialized) and all(
            isinstance(row[index], int | float) and not isinstance(row[index], bool) for row in materialized
        )
        table.add_column(header, justify="right" if numeric else "left", overflow="fold")
    for row in materialized:
        table.add_row(*(cell if isinstance(cell, Text) else format_value(cell) for cell in row))
    return titled(title, table) if title else table


def titled(title: str, renderable: RenderableType) -> RenderableType:
    """``renderable`` under a one-line title (a table's own title would wrap at the table's width)."""
    return Group(Text(title, style="italic"), renderable)


STATUS_STYLES = {
    "COMPLETED": "green",
    "READY": "green",
    "INPROGRESS": "yellow",
    "UPDATING": "yellow",
    "PENDING": "cyan",
    "FAILED": "bold red",
    "DELETED": "dim",
    "NONE": "dim",
}


def status_text(status: str | None) -> Text:
    """A status coloured by what it means (green done, yellow running, red failed)."""
    return Text(status or "-", style=STATUS_STYLES.get(status or "", ""))
