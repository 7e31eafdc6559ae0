"""docs/lifecycle.md runs as written: its python and bash blocks, in page order, against a live server.

The page's placeholders (server URL, key pair, data folders, training budget) are replaced by the test
server's values; each must still appear in the page. Python blocks share one namespace; bash blocks
share one shell environment (the ``export`` lines), as a reader pasting them in order would have.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
from pathlib import Path

import pytest
from tests.docs.test_quickstart_doc import FENCED_BLOCK, shell_environment
from tests.support.model_groups import write_months
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

PAGE = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md"


@pytest.fixture()
def lifecycle_server(tmp_path: Path) -> LiveServer:
    data = tmp_path / "data"
    server = LiveServer(tmp_path / "server", env={"OPENAML_DATA_ROOTS": str(data)}).start()
    yield server  # type: ignore[misc]
    server.stop()


def runnable_page(server: LiveServer, data: Path) -> str:
    substitutions = {
        "http://127.0.0.1:8080": server.url,
        "YOUR_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "YOUR_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "/data/churn/": f"{data}/churn/",
        "/data/new-months/": f"{data}/new-months/",
        # Amazon ML's SGD model, quick, instead of 30 seconds of AutoML (retrains keep the parameters)
        '{"openaml.timeBudgetSeconds": "30"}': '{"openaml.algorithms": "sgd", "sgd.maxPasses": "3"}',
    }
    page = PAGE.read_text(encoding="utf-8")
    for placeholder, value in substitutions.items():
        assert placeholder in page, f"docs/lifecycle.md no longer contains {placeholder!r}"
        page = page.replace(placeholder, value)
    return page


@pytest.mark.slow
def test_the_lifecycle_page_runs_as_written(lifecycle_server: LiveServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_months(data / "churn", range(1, 7), rows_per_month=80)
    write_months(data / "new-months", range(7, 10), rows_per_month=80)
    page = runnable_page(lifecycle_server, data)

    namespace: dict[str, object] = {"__name__": "lifecycle_doc"}
    exports: list[str] = []
    printed = io.StringIO()
    shell_output: list[str] = []
    for language, code in FENCED_BLOCK.findall(page):
        if language == "python":
            with contextlib.redirect_stdout(printed):
                exec(compile(code, str(PAGE), "exec"), namespace)
        elif language == "bash":
            exports += [line for line in code.splitlines() if line.startswith("export ")]
            script = "\n".join([*exports, code])
            shell = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script],
                cwd=tmp_path,
                env=shell_environment(tmp_path),
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert shell.returncode == 0, code + "\n" + shell.stdout + shell.stderr
            shell_output.append(shell.stdout)

    lines = printed.getvalue().splitlines()
    assert lines[0] == "{'champion': 'churn.v1'}"
    assert any(line.startswith("promoted: ") for line in lines)
    assert "champion churn.v2 -> churn.v1 roll back: v2 misbehaves" in lines
    assert any(line.startswith("At 03:00 on Monday - next run:") for line in lines)
    text = "\n".join(shell_output)
    assert "Model group churn" in text and "churn.v3" in text  # the CLI's retrain made version 3
    assert "Schedule churn-weekly deleted." in text
