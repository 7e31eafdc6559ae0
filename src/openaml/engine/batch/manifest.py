"""The batch prediction manifest: which result file belongs to which input file."""

from __future__ import annotations

import json
from collections.abc import Mapping


def manifest_json(outputs: Mapping[str, str]) -> bytes:
    """Amazon ML's manifest: a JSON object mapping each input file URI to its result file URI.

    Compact, as in the Developer Guide's example; keys keep the mapping's order (the input order),
    so the same run always gives the same bytes.
    """
    return json.dumps(dict(outputs), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
