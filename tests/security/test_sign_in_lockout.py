"""Issue 13 item 6: the console's sign-in lockout cannot be bypassed.

Failed sign-ins are counted per access key ID in the metadata database, so a lockout holds in every
serving process (``OPENAML_HTTP_WORKERS`` > 1), and ``X-Forwarded-For`` neither spreads the attempts
over made-up clients nor changes the logged client address unless the peer is one of
``OPENAML_TRUSTED_PROXIES`` (none by default; uvicorn alone believes 127.0.0.1).
"""

from __future__ import annotations

import itertools

import httpx
from tests.console.conftest import notices
from tests.security.conftest import (
    SPARE_ACCESS_KEY_ID,
    SPARE_SECRET_ACCESS_KEY,
    fresh_client,
    log_lines,
    process_of,
)
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

_ADDRESSES = (f"203.0.113.{n}" for n in itertools.count(1))


def attempt(
    server: LiveServer, access_key_id: str, secret: str, forwarded_for: str | None = None
) -> httpx.Response:
    """One sign-in from a new browser on a new connection, optionally claiming to be forwarded."""
    client = fresh_client(server)
    try:
        headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
        token = client.csrf_token("/console/sign-in")
        form = {"csrf_token": token, "access_key_id": access_key_id, "secret_access_key": secret}
        return client.http.post("/console/sign-in", data=form, headers=headers)
    finally:
        client.http.close()


def test_the_lockout_holds_whichever_serving_process_answers(on_each_database: LiveServer) -> None:
    guessed = "AKIDLOCKEDINBOTH0001"
    for _ in range(5):
        assert attempt(on_each_database, guessed, "guess").status_code == 401
    refused_by: set[str] = set()
    for _ in range(40):
        response = attempt(on_each_database, guessed, "guess")
        assert response.status_code == 429, "a serving process let a locked-out key ID try again"
        assert any("try again in" in text for text in notices(response.text))
        refused = log_lines(on_each_database, f"sign-in refused for access key ID '{guessed}'")
        refused_by = {process_of(line) for line in refused}
        if len(refused_by) == 2:
            break
    assert len(refused_by) == 2, f"only {refused_by} answered; the test did not reach both processes"


def test_forwarded_for_from_an_untrusted_peer_neither_spreads_nor_hides_the_attempts(
    two_processes: LiveServer,
) -> None:
    guessed = "AKIDFORWARDED0000001"
    for _ in range(5):
        assert attempt(two_processes, guessed, "guess", next(_ADDRESSES)).status_code == 401
    assert attempt(two_processes, guessed, "guess", next(_ADDRESSES)).status_code == 429
    failed = log_lines(two_processes, f"sign-in failed for access key ID '{guessed}'")
    assert len(failed) == 5 and all(line.rstrip().endswith("from 127.0.0.1") for line in failed)


def test_a_locked_out_key_id_is_refused_even_with_its_secret_until_the_lockout_ends(
    two_processes: LiveServer,
) -> None:
    for _ in range(5):
        assert attempt(two_processes, SPARE_ACCESS_KEY_ID, "guess", next(_ADDRESSES)).status_code == 401
    locked = attempt(two_processes, SPARE_ACCESS_KEY_ID, SPARE_SECRET_ACCESS_KEY)
    assert locked.status_code == 429
    assert any(
        "from anywhere" in text and "API access is not affected" in text for text in notices(locked.text)
    )


def test_a_success_resets_the_count(two_processes: LiveServer) -> None:
    for _ in range(4):
        assert attempt(two_processes, ACCESS_KEY_ID, "guess").status_code == 401
    assert attempt(two_processes, ACCESS_KEY_ID, SECRET_ACCESS_KEY).status_code == 303
    for _ in range(4):
        assert attempt(two_processes, ACCESS_KEY_ID, "guess").status_code == 401
    assert attempt(two_processes, ACCESS_KEY_ID, SECRET_ACCESS_KEY).status_code == 303


def test_forwarded_for_from_a_trusted_proxy_names_the_client_but_the_lockout_stays_per_key_id(
    behind_local_proxy: LiveServer,
) -> None:
    guessed = "AKIDBEHINDPROXY00001"
    clients = [next(_ADDRESSES) for _ in range(5)]
    for client in clients:
        assert attempt(behind_local_proxy, guessed, "guess", client).status_code == 401
    assert attempt(behind_local_proxy, guessed, "guess", next(_ADDRESSES)).status_code == 429
    failed = log_lines(behind_local_proxy, f"sign-in failed for access key ID '{guessed}'")
    assert sorted(line.rstrip().rsplit(" ", 1)[1] for line in failed) == sorted(clients)
