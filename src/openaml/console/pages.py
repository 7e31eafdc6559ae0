"""The console's page machinery: signed-in page handlers, form reading, rendering and redirects.

Every page handler is ``async (request, visit) -> Response`` wrapped by :meth:`Console.page`, which
signs visitors in (or sends them to the sign-in page), checks the CSRF token of every form, and turns
errors into messages: an API error shows its message with its HTTP status, anything unexpected is
logged with its traceback and shown as a short message with a reference, never as a stack trace.
"""

from __future__ import annotations

import json
import logging
import secrets
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from openaml.console.formatting import FILTERS
from openaml.console.gateway import Gateway
from openaml.console.session import FLASH_COOKIE, SESSION_COOKIE, Session, SessionSigner
from openaml.domain.console_access import ConsoleAccess
from openaml.entities import Caller
from openaml.errors import OpenAMLError, RequestTooLargeException

log = logging.getLogger(__name__)

BASE = "/console"
#: The largest form body the console reads (the prediction form of a wide schema fits easily).
MAX_FORM_BYTES = 1024 * 1024
_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


class FormError(Exception):
    """A form field a person filled in wrongly; the form is shown again with this message."""


@dataclass(frozen=True)
class Visit:
    """One request of a signed-in person: the session, the API caller it acts as, the posted form."""

    session: Session
    caller: Caller
    csrf_token: str
    form: Mapping[str, str] = field(default_factory=dict)
    form_lists: Mapping[str, list[str]] = field(default_factory=dict)

    def field(self, name: str, default: str = "") -> str:
        return self.form.get(name, default).strip()

    def checked(self, name: str) -> bool:
        return name in self.form


PageHandler = Callable[[Request, Visit], Awaitable[Response]]


def security_headers(response: Response, *, cache: bool = False) -> Response:
    """Headers every console response carries: no framing, no sniffing, scripts only from the console."""
    response.headers["Content-Security-Policy"] = _CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if not cache:
        response.headers["Cache-Control"] = "no-store"
    return response


def local_target(path: str | None) -> str:
    """``path`` if it is a console page of this server, else the dashboard (no open redirects)."""
    if path and path.startswith(BASE + "/") and not path.startswith("//") and "\\" not in path:
        return path
    return BASE + "/"


class Console:
    """What the console's pages share: the gateway to the service, sessions and templates."""

    def __init__(self, gateway: Gateway, sessions: SessionSigner, access: ConsoleAccess) -> None:
        self.gateway = gateway
        self.sessions = sessions
        #: Which signed-in sessions are live (sign-out ends them) and the sign-in lockout.
        self.access = access
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("openaml.console", "templates"),
            autoescape=True,
            # API responses leave out members without a value; templates treat them as empty.
            undefined=jinja2.Undefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters.update(FILTERS)
        self.templates.globals["base"] = BASE

    # --- responses ---------------------------------------------------------------------------------

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any],
        *,
        session: Session,
        status: int = 200,
    ) -> Response:
        """A page from ``template``; it shows (and clears) the flash message left by a redirect."""
        flash = self._flash(request)
        values = {
            "signed_in": session.signed_in,
            "user": session.access_key_id,
            "csrf_token": self.sessions.csrf_token(session),
            "flash": flash,
            "path": request.url.path,
            "page_title": "",
            **context,
        }
        html = self.templates.get_template(template).render(values)
        response = HTMLResponse(html, status_code=status)
        if flash is not None:
            response.delete_cookie(FLASH_COOKIE, path=BASE)
        return security_headers(response)

    def redirect(
        self, request: Request, target: str, *, flash: str | None = None, error: bool = False
    ) -> Response:
        """A 303 redirect to a console page, optionally leaving a message for it to show."""
        response = RedirectResponse(local_target(target), status_code=303)
        if flash is not None:
            value = self.sessions.sign(json.dumps({"message": flash, "error": error}))
            self._set_cookie(request, response, FLASH_COOKIE, value, max_age=120)
        return security_headers(response)

    def set_session(self, request: Request, response: Response, session: Session) -> None:
        self._set_cookie(request, response, SESSION_COOKIE, self.sessions.encode(session), max_age=None)

    def _set_cookie(
        self, request: Request, response: Response, name: str, value: str, *, max_age: int | None
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=BASE,
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )

    def _flash(self, request: Request) -> dict[str, Any] | None:
        text = self.sessions.unsign(request.cookies.get(FLASH_COOKIE))
        if text is None:
            return None
        try:
            flash = json.loads(text)
        except ValueError:
            return None
        return flash if isinstance(flash, dict) else None

    def error_page(self, request: Request, session: Session, message: str, status: int) -> Response:
        return self.render(
            request,
            "error.html",
            {"message": message, "status": status, "page_title": "Something went wrong"},
            session=session,
            status=status,
        )

    # --- the page wrapper --------------------------------------------------------------------------

    async def session_of(self, request: Request) -> Session | None:
        """The session of the request's cookie; None when there is none, or it was signed out."""
        session = self.sessions.decode(request.cookies.get(SESSION_COOKIE))
        if session is None or session.access_key_id is None:
            return session
        live = await run_in_threadpool(self.access.session_is_live, session.nonce, session.access_key_id)
        return session if live else None

    def page(self, handler: PageHandler) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a handler: sign-in required, CSRF checked on POST, errors shown as messages."""

        async def endpoint(request: Request) -> Response:
            session = await self.session_of(request)
            if session is None or not session.signed_in:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                query = urllib.parse.urlencode({"next": local_target(target)})
                return security_headers(RedirectResponse(f"{BASE}/sign-in?{query}", status_code=303))
            form: dict[str, str] = {}
            lists: dict[str, list[str]] = {}
            if request.method == "POST":
                try:
                    form, lists = await read_form(request)
                except FormError as error:
                    return self.error_page(request, session, str(error), 413)
                if not self.sessions.check_csrf(session, form.get("csrf_token")):
                    return self.error_page(
                        request,
                        session,
                        "This form has expired or did not come from this console. Open the page again "
                        "and resubmit.",
                        403,
                    )
            visit = Visit(
                session, self.sessions.caller(session), self.sessions.csrf_token(session), form, lists
            )
            try:
                return await handler(request, visit)
            except FormError as error:
                return self.error_page(request, session, str(error), 400)
            except OpenAMLError as error:
                return self.error_page(request, session, error.message, error.status)
            except Exception:
                reference = secrets.token_hex(4)
                log.exception("console page %s failed (reference %s)", request.url.path, reference)
                return self.error_page(
                    request,
                    session,
                    f"The console failed to show this page (reference {reference}); the server log has "
                    "the details.",
                    500,
                )

        return endpoint


async def optional(awaitable: Awaitable[Any]) -> tuple[Any, str | None]:
    """A secondary part of a page: its value and no message, or no value and why it is missing."""
    try:
        return await awaitable, None
    except OpenAMLError as error:
        return None, error.message


async def read_form(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """An ``application/x-www-form-urlencoded`` body: the last value of each field, and all of them.

    A form over ``MAX_FORM_BYTES`` is refused by its ``Content-Length`` before it is read, or as soon as
    it passes the limit while it streams in (the server-wide ``OPENAML_MAX_REQUEST_BYTES`` may stop it first).
    """
    too_large = FormError(f"The form is larger than {MAX_FORM_BYTES:,} bytes.")
    length = request.headers.get("content-length", "")
    if length.isascii() and length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_FORM_BYTES:
                raise too_large
    except RequestTooLargeException as error:
        raise FormError(error.message) from error
    body = b"".join(chunks)
    pairs = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    lists: dict[str, list[str]] = {}
    for name, value in pairs:
        lists.setdefault(name, []).append(value)
    return {name: values[-1] for name, values in lists.items()}, lists
