"""Fixtures of the console tests: a browser-like HTTP client signed in to the shared live server."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ConsoleClient:
    """An HTTP client that keeps cookies, like a browser, and fills in the CSRF token of forms."""

    def __init__(self, server: LiveServer) -> None:
        self.http = httpx.Client(base_url=server.url, follow_redirects=False, timeout=60)

    def csrf_token(self, path: str = "/console/") -> str:
        match = _CSRF.search(self.http.get(path).text)
        assert match is not None, f"no form with a CSRF token on {path}"
        return match.group(1)

    def sign_in(self, access_key_id: str = ACCESS_KEY_ID, secret: str = SECRET_ACCESS_KEY) -> httpx.Response:
        token = self.csrf_token("/console/sign-in")
        form = {"csrf_token": token, "access_key_id": access_key_id, "secret_access_key": secret}
        return self.http.post("/console/sign-in", data=form | {"next": "/console/"})

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any]) -> httpx.Response:
        """Submit a form as the console's own pages do (with this session's CSRF token)."""
        return self.http.post(path, data={"csrf_token": self.csrf_token(), **data})

    def wait(self, reference: str, timeout: float = 180) -> dict[str, Any]:
        """Poll the console's status endpoint until ``collection/id`` finished."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state: dict[str, Any] = self.get(f"/console/api/status?r={reference}").json()["resources"][0]
            if state.get("status") in ("COMPLETED", "FAILED") and state.get("endpointStatus") != "UPDATING":
                return state
            time.sleep(0.3)
        raise AssertionError(f"{reference} did not finish: {state}")


def notices(html: str) -> list[str]:
    """The texts of the messages (errors, confirmations) a page shows."""
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r'class="notice[^"]*"[^>]*>(.*?)</', html, re.S)
    ]


@pytest.fixture()
def anonymous(server: LiveServer) -> Iterator[ConsoleClient]:
    client = ConsoleClient(server)
    yield client
    client.http.close()


@pytest.fixture()
def console(anonymous: ConsoleClient) -> ConsoleClient:
    """A client signed in with the server's test key pair."""
    assert anonymous.sign_in().status_code == 303
    return anonymous
