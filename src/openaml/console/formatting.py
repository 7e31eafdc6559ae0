"""How the console writes times, ages, sizes and numbers (Jinja filters, also used by the views)."""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from typing import Any

from jinja2 import Undefined
from markupsafe import Markup


def _missing(value: Any) -> bool:
    """Absent: None, empty, or a member the API left out of a response (undefined in a template)."""
    return value is None or isinstance(value, Undefined) or value == ""


_AGE_STEPS = ((86400 * 365, "year"), (86400 * 30, "month"), (86400, "day"), (3600, "h"), (60, "min"))


def age(epoch: Any, now: float | None = None) -> str:
    """How long ago ``epoch`` was, roughly: ``"12 s ago"``, ``"3 min ago"``, ``"2 days ago"``."""
    if _missing(epoch):
        return "—"
    seconds = max(0.0, (time.time() if now is None else now) - float(epoch))
    for size, unit in _AGE_STEPS:
        if seconds >= size:
            count = int(seconds // size)
            plural = "s" if count > 1 and unit not in ("h", "min") else ""
            return f"{count} {unit}{plural} ago"
    return f"{int(seconds)} s ago"


def when(epoch: Any) -> str:
    """A moment in UTC, to the second: ``2026-11-29 12:04:05 UTC``."""
    if _missing(epoch):
        return "—"
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def size(value: Any) -> str:
    """A byte count in the largest unit below 1024: ``12.3 MB``."""
    if _missing(value):
        return "—"
    amount = float(value)
    for unit in ("bytes", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{amount:,.0f} {unit}" if unit == "bytes" else f"{amount:,.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")


def number(value: Any, digits: int = 4) -> str:
    """A metric or statistic for people: integers with separators, others to ``digits`` significant digits."""
    if _missing(value):
        return "—"
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(amount):
        return "NaN"
    if amount.is_integer() and abs(amount) < 1e15:
        return f"{int(amount):,}"
    return f"{amount:.{digits}g}"


def percent(value: Any) -> str:
    """A share between 0 and 1 as a percentage with one decimal."""
    if _missing(value):
        return "—"
    return f"{100 * float(value):.1f} %"


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def script_json(value: Any) -> Markup:
    """``value`` as JSON safe inside ``<script type="application/json">``: NaN and infinities become null
    (``JSON.parse`` rejects them) and ``<``, ``>``, ``&`` are escaped so no text can close the element.
    """
    text = json.dumps(_finite(value), allow_nan=False, separators=(",", ":"))
    escaped = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(escaped)


FILTERS = {
    "age": age,
    "when": when,
    "size": size,
    "number": number,
    "percent": percent,
    "script_json": script_json,
}
