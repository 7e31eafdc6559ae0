"""Signing in with an access key pair, and signing out.

The sign-in form is protected like every other form: showing it gives the browser an anonymous
session whose CSRF token the form carries; signing in replaces that session with a new one.
Guessing a secret is slowed down: after :data:`MAX_FAILED_SIGN_INS` failures in a row for one access
key ID from one client, that pair is refused (429) until :data:`SIGN_IN_LOCKOUT_SECONDS` have passed
since the last failure. The count is kept per serving process.
"""

from __future__ import annotations

import math
import threading
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaml.console.pages import BASE, Console, FormError, Visit, local_target, read_form
from openaml.console.session import SESSION_COOKIE

MAX_FAILED_SIGN_INS = 5
SIGN_IN_LOCKOUT_SECONDS = 60.0
#: Most (client, access key ID) pairs remembered; the oldest failures are forgotten first.
_MAX_TRACKED = 10_000


class SignInThrottle:
    """Failed sign-ins in a row per (client, access key ID), and whether a pair is locked out."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], tuple[int, float]] = {}
        self._lock = threading.Lock()

    def seconds_locked(self, key: tuple[str, str]) -> float:
        """How long ``key`` must still wait before it may try again (0: it may try now)."""
        with self._lock:
            count, last = self._failures.get(key, (0, 0.0))
            if count < MAX_FAILED_SIGN_INS:
                return 0.0
            return max(0.0, last + SIGN_IN_LOCKOUT_SECONDS - time.monotonic())

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            now = time.monotonic()
            count, last = self._failures.pop(key, (0, 0.0))
            self._failures[key] = (count + 1 if now - last < SIGN_IN_LOCKOUT_SECONDS else 1, now)
            if len(self._failures) > _MAX_TRACKED:
                del self._failures[next(iter(self._failures))]

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)


def routes(console: Console) -> list[Route]:
    throttle = SignInThrottle()

    def show_form(
        request: Request,
        *,
        target: str,
        message: str | None = None,
        status: int = 200,
        access_key_id: str = "",
    ) -> Response:
        current = console.session_of(request)
        anonymous = current if current is not None and not current.signed_in else console.sessions.anonymous()
        response = console.render(
            request,
            "sign_in.html",
            {
                "page_title": "Sign in",
                "message": message,
                "next": local_target(target),
                "access_key_id": access_key_id,
                "has_keys": console.sessions.has_keys,
            },
            session=anonymous,
            status=status,
        )
        console.set_session(request, response, anonymous)
        return response

    async def sign_in_form(request: Request) -> Response:
        target = request.query_params.get("next", BASE + "/")
        session = console.session_of(request)
        if session is not None and session.signed_in:
            return console.redirect(request, target)
        return show_form(request, target=target)

    async def sign_in(request: Request) -> Response:
        try:
            form, _ = await read_form(request)
        except FormError as error:
            return show_form(request, target=BASE + "/", message=str(error), status=413)
        target = form.get("next", BASE + "/")
        session = console.session_of(request)
        if session is None or not console.sessions.check_csrf(session, form.get("csrf_token")):
            return show_form(
                request,
                target=target,
                message="The sign-in form expired. Please enter your access key again.",
                status=403,
            )
        access_key_id = form.get("access_key_id", "")
        attempt = (request.client.host if request.client else "", access_key_id.strip())
        wait = throttle.seconds_locked(attempt)
        if wait > 0:
            return show_form(
                request,
                target=target,
                message=f"Too many failed sign-ins for this access key ID; try again in {math.ceil(wait)} s.",
                status=429,
                access_key_id=access_key_id,
            )
        signed_in = console.sessions.sign_in(access_key_id, form.get("secret_access_key", ""))
        if signed_in is None:
            throttle.failed(attempt)
            return show_form(
                request,
                target=target,
                message="This access key ID and secret access key are not a key pair of this server.",
                status=401,
                access_key_id=access_key_id,
            )
        throttle.succeeded(attempt)
        response = console.redirect(request, target)
        console.set_session(request, response, signed_in)
        return response

    async def sign_out(request: Request, visit: Visit) -> Response:
        response = console.redirect(request, BASE + "/sign-in", flash="You are signed out.")
        response.delete_cookie(SESSION_COOKIE, path=BASE)
        return response

    return [
        Route(BASE + "/sign-in", sign_in_form, methods=["GET"]),
        Route(BASE + "/sign-in", sign_in, methods=["POST"]),
        Route(BASE + "/sign-out", console.page(sign_out), methods=["POST"]),
    ]
