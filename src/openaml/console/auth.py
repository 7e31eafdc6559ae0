"""Signing in with an access key pair, and signing out.

The sign-in form is protected like every other form: showing it gives the browser an anonymous
session whose CSRF token the form carries; signing in replaces that session with a new one.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaml.console.pages import BASE, Console, FormError, Visit, local_target, read_form
from openaml.console.session import SESSION_COOKIE


def routes(console: Console) -> list[Route]:
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
        signed_in = console.sessions.sign_in(form.get("access_key_id", ""), form.get("secret_access_key", ""))
        if signed_in is None:
            return show_form(
                request,
                target=target,
                message="This access key ID and secret access key are not a key pair of this server.",
                status=401,
                access_key_id=form.get("access_key_id", ""),
            )
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
