"""docs/contracts.md: every contract the code cites (``CONTRACTS §N``, ``contract N``) has its section."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITATION = re.compile(r"CONTRACTS §(\d+)|\bcontract (\d+)\b")


def test_every_cited_contract_has_a_section() -> None:
    sections = set(re.findall(r"^## §(\d+) ", (ROOT / "docs" / "contracts.md").read_text("utf-8"), re.M))
    cited: dict[str, set[str]] = {}
    for path in [*(ROOT / "src").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]:
        for match in CITATION.finditer(path.read_text("utf-8")):
            cited.setdefault(match.group(1) or match.group(2), set()).add(str(path.relative_to(ROOT)))

    assert {"2", "3", "4"} <= set(cited)
    missing = {number: sorted(paths) for number, paths in cited.items() if number not in sections}
    assert not missing, f"docs/contracts.md lacks the sections cited in {missing}"
