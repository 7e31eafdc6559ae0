"""Issue 13, item 8: path and query input on ``/openaml/v1/...`` — ASCII digits only, 405 for a wrong method.

``str.isdigit()`` accepts superscript and non-Latin digits: ``²`` made ``int()`` fail (a 500) and
Arabic-Indic or fullwidth zeros selected result file 0. A wrong method on an existing extension path
answered 404; it is 405 with an ``Allow`` header.
"""

from __future__ import annotations

import pytest
from tests.security.conftest import send_signed
from tests.support.server import LiveServer

NOT_ASCII_DIGITS = [
    "%C2%B2",  # ² superscript two: isdigit() but int() fails
    "%D9%A0",  # ٠ Arabic-Indic zero: int() reads 0
    "%EF%BC%90",  # ０ fullwidth zero
    "%E0%A5%A6",  # ० Devanagari zero
    "+0",
    "%200",
    "0_0",
    "-0",
    "0" * 5000,  # more digits than int() converts
]


@pytest.mark.parametrize("index", NOT_ASCII_DIGITS)
def test_a_result_index_is_ascii_digits_only(
    server: LiveServer, finished_resources: dict[str, str], index: str
) -> None:
    base = f"/openaml/v1/batchpredictions/{finished_resources['BatchPredictionId']}/results"
    assert send_signed(server, "GET", f"{base}/0").status == 200
    response = send_signed(server, "GET", f"{base}/{index}")
    assert response.status == 404, response.body[:300]
    assert response.json()["__type"] == "NotFoundException"


def test_a_wrong_method_on_an_extension_path_is_405_with_allow(
    server: LiveServer, finished_resources: dict[str, str]
) -> None:
    path = f"/openaml/v1/datasources/{finished_resources['DataSourceId']}/statistics"
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"):
        response = send_signed(server, method, path, b"{}" if method != "DELETE" else b"")
        assert response.status == 405, (method, response.status, response.body[:300])
        assert response.json()["__type"] == "MethodNotAllowedException"
        assert response.headers["allow"] == "GET, HEAD"
    predictions = f"/openaml/v1/mlmodels/{finished_resources['MLModelId']}/predictions"
    response = send_signed(server, "GET", predictions)
    assert (response.status, response.headers.get("allow")) == (405, "POST")
    assert send_signed(server, "GET", "/openaml/v1/no/such/route").status == 404
    assert send_signed(server, "HEAD", path).status == 200
