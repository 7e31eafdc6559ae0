"""Messages for a name that is not a column of the data: the closest column, and the columns there are.

A wide file (hundreds of columns) cannot be listed whole in one message, so the list is cut with
"and N more"; the suggestion — a column equal but for case, else the most similar one (difflib) — is
what a person usually needs (``Activity`` → ``activity``).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

#: Columns a message lists before "and N more".
COLUMNS_SHOWN = 20


def closest_column(name: str, columns: Sequence[str]) -> str | None:
    """The column ``name`` most likely meant: equal ignoring case and spaces, else the most similar."""
    folded = name.strip().casefold()
    for column in columns:
        if column.strip().casefold() == folded:
            return column
    matches = difflib.get_close_matches(name, list(columns), n=1, cutoff=0.6)
    if matches:
        return matches[0]
    by_folded = {column.casefold(): column for column in columns}
    matches = difflib.get_close_matches(folded, list(by_folded), n=1, cutoff=0.6)
    return by_folded[matches[0]] if matches else None


def listed_columns(columns: Sequence[str], limit: int = COLUMNS_SHOWN) -> str:
    """``'a', 'b', … and N more`` — at most ``limit`` names, and how many were left out."""
    shown = ", ".join(repr(column) for column in columns[:limit])
    return shown + (f" and {len(columns) - limit:,} more" if len(columns) > limit else "")


def unknown_column_message(role: str, name: str, columns: Sequence[str], where: str) -> str:
    """``The {role} {name!r} is not {where}. Did you mean …? Its N columns are …``.

    ``where`` completes the sentence, e.g. ``"a column of s3://bucket/data.csv"``.
    """
    suggestion = closest_column(name, columns)
    hint = f" Did you mean {suggestion!r}?" if suggestion is not None else ""
    return (
        f"The {role} {name!r} is not {where}.{hint} "
        f"Its {len(columns):,} columns are {listed_columns(columns)}."
    )
