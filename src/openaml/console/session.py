"""Console sessions: who is signed in, carried in a signed cookie, and the CSRF tokens of its forms.

The cookie holds a random nonce, the access key ID of the signed-in pair (none before sign-in) and an
expiry, signed with HMAC-SHA256. The signing secret is derived from every configured key pair, so all
serving processes of one server agree on it, and a changed key set signs everyone out. A cookie whose
key pair is no longer configured is worthless. A valid signature is not enough for a signed-in
session: the metadata database must also still record its nonce (``openaml.domain.console_access``),
which sign-out deletes.

Every form carries a CSRF token, HMAC(secret, nonce): a page of another site can neither read it nor
(with ``SameSite=Strict``) send the cookie. Signing in replaces the nonce, so a session fixed before
sign-in does not survive it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from openaml.entities import Caller

SESSION_COOKIE = "openaml_console_session"
FLASH_COOKIE = "openaml_console_flash"
#: How long a sign-in lasts; the session ends earlier when the browser closes (a session cookie).
SESSION_SECONDS = 12 * 3600
_SECRET_LABEL = b"openaml-console-session-v1"


class KeyPairLike(Protocol):
    """What the console needs of an access key pair (``openaml.api.credentials.KeyPair`` fits)."""

    @property
    def access_key_id(self) -> str: ...

    @property
    def secret_access_key(self) -> str: ...

    @property
    def user_arn(self) -> str: ...


@dataclass(frozen=True)
class Session:
    """One browser's session: signed in when ``access_key_id`` is set."""

    nonce: str
    expires_at: float
    access_key_id: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.access_key_id is not None


class SessionSigner:
    """Creates, signs and checks sessions and CSRF tokens for a set of key pairs."""

    def __init__(self, key_pairs: Iterable[KeyPairLike]) -> None:
        self._pairs = {pair.access_key_id: pair for pair in key_pairs}
        material = "\n".join(
            f"{key_id}:{pair.secret_access_key}" for key_id, pair in sorted(self._pairs.items())
        )
        # Without any key nobody can sign in; a random secret keeps cookies unforgeable all the same.
        seed = material.encode("utf-8") if material else secrets.token_bytes(32)
        self._secret = hmac.new(_SECRET_LABEL, seed, hashlib.sha256).digest()

    @property
    def has_keys(self) -> bool:
        return bool(self._pairs)

    def sign_in(self, access_key_id: str, secret_access_key: str) -> Session | None:
        """A new signed-in session when the pair is configured, else None (constant-time comparison)."""
        pair = self._pairs.get(access_key_id.strip())
        expected = pair.secret_access_key if pair is not None else secrets.token_urlsafe(30)
        if not hmac.compare_digest(expected.encode("utf-8"), secret_access_key.strip().encode("utf-8")):
            return None
        if pair is None:
            return None
        return Session(secrets.token_urlsafe(18), time.time() + SESSION_SECONDS, pair.access_key_id)

    @staticmethod
    def anonymous() -> Session:
        """A session before sign-in: it only carries the nonce the sign-in form's CSRF token needs."""
        return Session(secrets.token_urlsafe(18), time.time() + SESSION_SECONDS)

    def caller(self, session: Session) -> Caller:
        """The API caller a signed-in session acts as."""
        assert session.access_key_id is not None, "only a signed-in session has a caller"
        pair = self._pairs[session.access_key_id]
        return Caller(pair.access_key_id, pair.user_arn)

    def encode(self, session: Session) -> str:
        payload = {"n": session.nonce, "e": int(session.expires_at), "k": session.access_key_id}
        return self.sign(json.dumps(payload, separators=(",", ":")))

    def decode(self, cookie: str | None) -> Session | None:
        """The session of a cookie; None when it is absent, tampered with, expired or its key is gone."""
        text = self.unsign(cookie)
        if text is None:
            return None
        try:
            payload = json.loads(text)
            session = Session(str(payload["n"]), float(payload["e"]), payload["k"])
        except (ValueError, KeyError, TypeError):
            return None
        if session.expires_at < time.time():
            return None
        if session.access_key_id is not None and session.access_key_id not in self._pairs:
            return None
        return session

    def csrf_token(self, session: Session) -> str:
        return self._mac(b"csrf:" + session.nonce.encode("utf-8"))

    def check_csrf(self, session: Session, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(self.csrf_token(session), token)

    def sign(self, text: str) -> str:
        """``text`` with its signature, safe to put in a cookie."""
        body = base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")
        return f"{body}.{self._mac(body.encode('ascii'))}"

    def unsign(self, value: str | None) -> str | None:
        """The text of a value made by :meth:`sign`, or None when it was not (or was altered)."""
        if not value or "." not in value:
            return None
        body, mac = value.rsplit(".", 1)
        if not hmac.compare_digest(self._mac(body.encode("ascii", "replace")), mac):
            return None
        try:
            return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
        except ValueError:
            return None

    def _mac(self, message: bytes) -> str:
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
