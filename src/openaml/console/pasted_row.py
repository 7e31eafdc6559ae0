"""One CSV row pasted into "Try a prediction", turned into the values of the prediction form's fields.

A model with hundreds of inputs cannot be typed in field by field; a row copied from the training
file can be pasted instead. The row is read in the schema's attribute order (the order of the
training file's columns), so it may carry the target and row ID columns, which are left out; a
row of only the model's inputs, in the same order, works too. With a header line above it, the
columns are matched by name instead, in any order, and columns that are not inputs are ignored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Protocol

#: Attribute names quoted in an error message before "…".
_NAMES_SHOWN = 6


class PastedRowError(ValueError):
    """The pasted text is not one CSV row that fits the model's schema; the message says how to fix it."""


class InputField(Protocol):
    """A field of the prediction form: the attribute it holds and the form input it is posted as."""

    @property
    def name(self) -> str: ...

    @property
    def input_name(self) -> str: ...


def field_values(text: str, schema_names: Sequence[str], fields: Sequence[InputField]) -> dict[str, str]:
    """The form values (``input_name`` → value) of the pasted row; empty values stay empty (missing)."""
    rows = _rows(text)
    by_name = {field.name: field for field in fields}
    if len(rows) == 2:
        header, values = [name.strip() for name in rows[0]], rows[1]
        if len(header) != len(values):
            raise PastedRowError(
                f"The header line has {len(header)} columns but the row under it has {len(values)} values."
            )
        if not by_name.keys() & set(header):
            raise PastedRowError(
                "None of the header line's columns is an input of this model; its inputs are "
                f"{_names(list(by_name))}."
            )
    else:
        values = rows[0]
        if len(values) == len(schema_names):
            header = list(schema_names)
        elif len(values) == len(fields):
            header = [field.name for field in fields]
        else:
            raise PastedRowError(
                f"The row has {len(values)} values, but the model's schema has {len(schema_names)} "
                f"attributes ({len(fields)} of them inputs): paste a row of the training data in the "
                f"schema's order ({_names(schema_names)}), or put its header line above it."
            )
    pairs = zip(header, values, strict=True)
    return {by_name[name].input_name: value.strip() for name, value in pairs if name in by_name}


def _rows(text: str) -> list[list[str]]:
    try:
        rows = list(csv.reader(io.StringIO(text.strip()), strict=True))
        rows = [row for row in rows if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise PastedRowError(f"The pasted text is not valid CSV: {error}.") from None
    if not rows:
        raise PastedRowError("Paste one CSV row (optionally with the header line above it).")
    if len(rows) > 2:
        raise PastedRowError(
            f"Paste one CSV row, optionally with the header line above it, not {len(rows)} lines."
        )
    return rows


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    return shown + (", …" if len(names) > _NAMES_SHOWN else "")
