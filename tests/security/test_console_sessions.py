"""Issue 13 item 5: signing out of the console ends the session on the server.

A console cookie is signed, not stored, so before the fix a copy taken before sign-out kept working
for up to 12 hours. Now a session is honoured only while the metadata database records it, and
sign-out deletes that record, so the copy is refused by every serving process at once.
"""

from __future__ import annotations

from tests.console.conftest import ConsoleClient
from tests.security.conftest import fresh_client
from tests.support.server import LiveServer

SESSION_COOKIE = "openaml_console_session"


def with_cookie(server: LiveServer, cookie: str) -> ConsoleClient:
    """A different browser that was handed a copy of a session cookie."""
    client = fresh_client(server)
    client.http.cookies.set(SESSION_COOKIE, cookie, path="/console")
    return client


def test_a_cookie_copied_before_sign_out_is_refused_after_it(on_each_database: LiveServer) -> None:
    browser = fresh_client(on_each_database)
    assert browser.sign_in().status_code == 303
    copied = browser.http.cookies[SESSION_COOKIE]
    thief = with_cookie(on_each_database, copied)
    assert thief.get("/console/").status_code == 200  # the copy works while the session lasts
    thief.http.close()

    signed_out = browser.post("/console/sign-out", {})
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/console/sign-in"

    for _ in range(6):  # new connections, answered by either serving process
        thief = with_cookie(on_each_database, copied)
        page = thief.get("/console/datasources/new")
        assert page.status_code == 303, "a signed-out session's cookie still opens console pages"
        assert page.headers["location"].startswith("/console/sign-in?next=")
        assert thief.get("/console/api/status?r=mlmodels/x").status_code == 401
        thief.http.close()
    browser.http.close()


def test_signing_out_ends_only_that_session(two_processes: LiveServer) -> None:
    first, second = fresh_client(two_processes), fresh_client(two_processes)
    assert first.sign_in().status_code == 303 and second.sign_in().status_code == 303
    assert first.post("/console/sign-out", {}).status_code == 303
    assert first.get("/console/").status_code == 303
    assert second.get("/console/").status_code == 200
    assert first.sign_in().status_code == 303 and first.get("/console/").status_code == 200
    first.http.close()
    second.http.close()
