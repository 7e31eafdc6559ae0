"""Signing in and out of the console, session cookies, CSRF protection and redirects (plain HTTP)."""

from __future__ import annotations

import pytest
from tests.console.conftest import ConsoleClient, notices
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY

PAGES = [
    "/console/",
    "/console/datasources/new",
    "/console/datasources/any-id",
    "/console/mlmodels/new",
    "/console/mlmodels/any-id",
    "/console/evaluations/any-id",
    "/console/batchpredictions/any-id",
    "/console/mlmodels/any-id/log",
]


@pytest.mark.parametrize("path", PAGES)
def test_nothing_is_visible_without_signing_in(anonymous: ConsoleClient, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/sign-in?next=")


def test_the_status_endpoint_needs_a_session(anonymous: ConsoleClient) -> None:
    response = anonymous.get("/console/api/status?r=mlmodels/x")
    assert response.status_code == 401


def test_sign_in_sets_a_protected_session_cookie_and_returns_to_the_page(anonymous: ConsoleClient) -> None:
    first = anonymous.get("/console/datasources/new")
    sign_in_page = anonymous.get(first.headers["location"])
    assert 'name="next" value="/console/datasources/new"' in sign_in_page.text
    response = anonymous.sign_in()
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert anonymous.get("/console/").status_code == 200


def test_a_wrong_secret_is_refused_with_a_message(anonymous: ConsoleClient) -> None:
    response = anonymous.sign_in(secret="not-the-secret")
    assert response.status_code == 401
    assert any("not a key pair of this server" in text for text in notices(response.text))
    assert anonymous.get("/console/").status_code == 303


def test_repeated_failed_sign_ins_lock_out_that_key_id(anonymous: ConsoleClient) -> None:
    guessed = "AKIDGUESSED000000001"  # not the test key pair's, so other tests keep signing in
    for _ in range(5):
        assert anonymous.sign_in(access_key_id=guessed, secret="guess").status_code == 401
    locked = anonymous.sign_in(access_key_id=guessed, secret="guess")
    assert locked.status_code == 429
    assert any("Too many failed sign-ins" in text and "try again in" in text for text in notices(locked.text))
    assert anonymous.sign_in().status_code == 303  # another key ID is not affected


def test_sign_in_without_the_form_token_is_refused(anonymous: ConsoleClient) -> None:
    anonymous.get("/console/sign-in")
    response = anonymous.http.post(
        "/console/sign-in", data={"access_key_id": "a", "secret_access_key": "b", "csrf_token": "forged"}
    )
    assert response.status_code == 403


def test_sign_in_never_redirects_off_the_console(anonymous: ConsoleClient) -> None:
    token = anonymous.csrf_token("/console/sign-in")
    response = anonymous.http.post(
        "/console/sign-in",
        data={
            "csrf_token": token,
            "access_key_id": ACCESS_KEY_ID,
            "secret_access_key": SECRET_ACCESS_KEY,
            "next": "//evil.example/console/",
        },
    )
    assert response.headers["location"] == "/console/"


def test_forms_without_a_valid_csrf_token_are_refused(console: ConsoleClient) -> None:
    response = console.http.post("/console/mlmodels/m/endpoint", data={"action": "enable"})
    assert response.status_code == 403
    assert any("did not come from this console" in text for text in notices(response.text))
    forged = console.http.post("/console/sign-out", data={"csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert console.get("/console/").status_code == 200, "still signed in"


def test_sign_out_ends_the_session(console: ConsoleClient) -> None:
    response = console.post("/console/sign-out", {})
    assert response.status_code == 303 and response.headers["location"] == "/console/sign-in"
    assert console.get("/console/").status_code == 303


def test_pages_carry_security_headers(console: ConsoleClient) -> None:
    response = console.get("/console/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_plotly_is_served_from_the_installed_package(anonymous: ConsoleClient) -> None:
    response = anonymous.get("/console/static/plotly.min.js")
    assert response.status_code == 200
    assert "plotly.js" in response.text[:200]
    assert response.headers["content-type"].startswith("text/javascript")
    assert anonymous.get("/console/static/missing.js").status_code == 404


def test_the_api_still_answers_next_to_the_console(console: ConsoleClient, ml: object) -> None:
    assert "Results" in ml.describe_data_sources(Limit=1)  # type: ignore[attr-defined]
