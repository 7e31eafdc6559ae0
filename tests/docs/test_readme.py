"""The README's boto3 snippet runs as written against a live server — even after an earlier failure.

Amazon ML's waiters fail as soon as any object their filter matches is FAILED, so the snippet filters
on its own datasource's name; the test first leaves an unnamed FAILED datasource on the server, which
an ``EQ=""`` filter (the snippet's old form) would have matched.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

README = Path(__file__).resolve().parents[2] / "README.md"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def leave_a_failed_unnamed_data_source(ml: Any, scratch: Path) -> None:
    """A datasource without a name whose every record is invalid, so that it ends FAILED."""
    data = scratch / f"invalid-{uuid.uuid4().hex[:8]}.csv"
    data.write_text("a,b\nnot-a-number,1\n")
    schema = {
        "version": "1.0",
        "dataFormat": "CSV",
        "dataFileContainsHeader": True,
        "attributes": [
            {"attributeName": "a", "attributeType": "NUMERIC"},
            {"attributeName": "b", "attributeType": "BINARY"},
        ],
    }
    data_source_id = f"ds-unnamed-failure-{uuid.uuid4().hex[:8]}"
    ml.create_data_source_from_s3(
        DataSourceId=data_source_id, DataSpec={"DataLocationS3": str(data), "DataSchema": json.dumps(schema)}
    )
    deadline = time.monotonic() + 60
    while ml.get_data_source(DataSourceId=data_source_id)["Status"] != "FAILED":
        assert time.monotonic() < deadline, "the invalid datasource did not fail"
        time.sleep(0.2)


@pytest.mark.slow
def test_the_readme_snippet_runs_after_an_earlier_failure(
    server: LiveServer, ml: Any, datasets_dir: Path
) -> None:
    assert server.scratch is not None
    leave_a_failed_unnamed_data_source(ml, server.scratch)
    suffix = uuid.uuid4().hex[:8]
    substitutions = {
        "http://127.0.0.1:8080": server.url,
        '"OAML..."': repr(ACCESS_KEY_ID),
        'aws_secret_access_key="..."': f"aws_secret_access_key={SECRET_ACCESS_KEY!r}",
        "/path/to/titanic.csv": str(datasets_dir / "titanic.csv"),
        '"openaml.timeBudgetSeconds": "60"': (
            '"openaml.timeBudgetSeconds": "3", "openaml.algorithms": "linear"'
        ),
        "ds-titanic": f"ds-titanic-{suffix}",
        "ml-titanic": f"ml-titanic-{suffix}",
        '"titanic"': f'"titanic {suffix}"',
        '"titanic survival"': f'"titanic survival {suffix}"',
    }
    blocks = PYTHON_BLOCK.findall(README.read_text(encoding="utf-8"))
    assert len(blocks) == 1, "README.md should hold one python block"
    code = blocks[0]
    for placeholder, value in substitutions.items():
        assert placeholder in code, f"README.md's snippet no longer contains {placeholder!r}"
        code = code.replace(placeholder, value)

    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    assert printed.getvalue().strip() == "automl:linear"
