"""docs/quickstart.md runs as written: its bash and python blocks against a live server.

The page's placeholders (server URL, key pair, sample folder, training budget) are replaced by the test
server's values; each must still appear in the page, so the page cannot drift away from this test.
The bash blocks run first, as one script (they share variables), then the python blocks in one
namespace, as a reader would paste them.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from tests.docs.test_readme import leave_a_failed_unnamed_data_source
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

PAGE = Path(__file__).resolve().parents[2] / "docs" / "quickstart.md"
FENCED_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def code_blocks(page: str, language: str) -> list[str]:
    return [code for tag, code in FENCED_BLOCK.findall(page) if tag == language]


def runnable_page(server: LiveServer, sample_dir: Path) -> str:
    """The page with its placeholders replaced by the test server's values."""
    substitutions = {
        "http://127.0.0.1:8080": server.url,
        "YOUR_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "YOUR_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "openaml-data/uploads/quickstart": str(sample_dir),
        # a 3-second budget with one model family instead of 30 seconds of everything
        "--budget 30": "--budget 3 --algorithms linear",
        '"openaml.timeBudgetSeconds": "30"': (
            '"openaml.timeBudgetSeconds": "3", "openaml.algorithms": "linear"'
        ),
        "openaml.timeBudgetSeconds=30": "openaml.timeBudgetSeconds=3,openaml.algorithms=linear",
    }
    page = PAGE.read_text(encoding="utf-8")
    for placeholder, value in substitutions.items():
        assert placeholder in page, f"docs/quickstart.md no longer contains {placeholder!r}"
        page = page.replace(placeholder, value)
    return page


def shell_environment(tmp_path: Path) -> dict[str, str]:
    """This venv's commands first on PATH; nothing from the developer's OpenAML or AWS configuration."""
    absent = str(tmp_path / "absent")
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAML_", "AWS_"))},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "OPENAML_PROFILE_FILE": str(tmp_path / "profile.json"),
        "AWS_CONFIG_FILE": absent,
        "AWS_SHARED_CREDENTIALS_FILE": absent,
    }


@pytest.mark.slow
def test_the_quickstart_page_runs_as_written(server: LiveServer, tmp_path: Path) -> None:
    assert server.scratch is not None
    page = runnable_page(server, server.scratch / f"doc-{uuid.uuid4().hex[:8]}")
    # the page's waiters filter on their own objects' names, so an earlier failure cannot fail them
    leave_a_failed_unnamed_data_source(server.client(), server.scratch)

    script = "\n".join(code_blocks(page, "bash"))
    shell = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=shell_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert "WALKING_UPSTAIRS" in shell.stdout  # `openaml predict --file` of the six held-out records
    assert shell.stdout.rstrip().splitlines()[-1] == "WALKING"  # the AWS CLI's prediction

    namespace: dict[str, object] = {"__name__": "quickstart_doc"}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        for block in code_blocks(page, "python"):
            exec(compile(block, str(PAGE), "exec"), namespace)
    lines = printed.getvalue().splitlines()
    assert lines[0].startswith("macro-F1: ") and float(lines[0].split()[-1]) > 0.8
    assert lines[-1] == "You are currently walking."
