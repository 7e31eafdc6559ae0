"""Signing in with an access key pair, and signing out.

The sign-in form is protected like every other form: showing it gives the browser an anonymous
session whose CSRF token the form carries; signing in replaces that session with a new one, recorded
in the metadata database, and signing out deletes that record, so a copy of the cookie stops working
in every serving process at once. Guessing a secret is slowed down per access key ID, whichever
process and client address the attempts come from (see :mod:`openaml.domain.console_access`).

The client address in the log is the connection's peer, or the address a trusted proxy
(``OPENAML_TRUSTED_PROXIES``) forwarded; it is only logged, never trusted for anything.
"""

from __future__ import annotations

import logging
import math

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaml.console.pages import BASE, Console, FormError, Visit, local_target, read_form
from openaml.console.session import SESSION_COOKIE
from openaml.domain.console_access import MAX_FAILED_SIGN_INS, SIGN_IN_LOCKOUT_SECONDS

log = logging.getLogger(__name__)
#: Most characters of an access key ID a log line shows (a form may send any text).
_LOGGED_KEY_ID_CHARS = 64


def routes(console: Console) -> list[Route]:
    async def show_form(
        request: Request,
        *,
        target: str,
        message: str | None = None,
        status: int = 200,
        access_key_id: str = "",
    ) -> Response:
        current = await console.session_of(request)
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
        session = await console.session_of(request)
        if session is not None and session.signed_in:
            return console.redirect(request, target)
        return await show_form(request, target=target)

    async def sign_in(request: Request) -> Response:
        try:
            form, _ = await read_form(request)
        except FormError as error:
            return await show_form(request, target=BASE + "/", message=str(error), status=413)
        target = form.get("next", BASE + "/")
        session = await console.session_of(request)
        if session is None or not console.sessions.check_csrf(session, form.get("csrf_token")):
            return await show_form(
                request,
                target=target,
                message="The sign-in form expired. Please enter your access key again.",
                status=403,
            )
        access_key_id = form.get("access_key_id", "")
        key_id = access_key_id.strip()
        client = request.client.host if request.client else "an unknown address"
        shown = key_id[:_LOGGED_KEY_ID_CHARS]
        wait = await run_in_threadpool(console.access.begin_sign_in, key_id)
        if wait > 0:
            log.warning("console sign-in refused for access key ID %r from %s: locked out", shown, client)
            return await show_form(
                request,
                target=target,
                message=(
                    f"Too many failed sign-ins for this access key ID; try again in {math.ceil(wait)} s. "
                    f"After {MAX_FAILED_SIGN_INS} failures in a row, from anywhere, sign-ins with it "
                    f"pause for {SIGN_IN_LOCKOUT_SECONDS:.0f} s; its API access is not affected."
                ),
                status=429,
                access_key_id=access_key_id,
            )
        signed_in = console.sessions.sign_in(access_key_id, form.get("secret_access_key", ""))
        if signed_in is None:
            log.warning("console sign-in failed for access key ID %r from %s", shown, client)
            return await show_form(
                request,
                target=target,
                message="This access key ID and secret access key are not a key pair of this server.",
                status=401,
                access_key_id=access_key_id,
            )
        assert signed_in.access_key_id is not None
        await run_in_threadpool(console.access.sign_in_succeeded, key_id)
        await run_in_threadpool(
            console.access.start_session, signed_in.nonce, signed_in.access_key_id, signed_in.expires_at
        )
        log.info("console sign-in for access key ID %r from %s", shown, client)
        response = console.redirect(request, target)
        console.set_session(request, response, signed_in)
        return response

    async def sign_out(request: Request, visit: Visit) -> Response:
        await run_in_threadpool(console.access.end_session, visit.session.nonce)
        response = console.redirect(request, BASE + "/sign-in", flash="You are signed out.")
        response.delete_cookie(SESSION_COOKIE, path=BASE)
        return response

    return [
        Route(BASE + "/sign-in", sign_in_form, methods=["GET"]),
        Route(BASE + "/sign-in", sign_in, methods=["POST"]),
        Route(BASE + "/sign-out", console.page(sign_out), methods=["POST"]),
    ]
