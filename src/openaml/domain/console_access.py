"""Who may use the web console: sessions that signing out ends, and the sign-in lockout.

Both live in the metadata database, shared by every serving process: a session's cookie is honoured
only while its session is recorded there (sign-out deletes it), and failed sign-ins are counted per
access key ID, whichever process and client address they come from. After
:data:`MAX_FAILED_SIGN_INS` attempts in a row without success, sign-ins with that key ID are refused
for :data:`SIGN_IN_LOCKOUT_SECONDS`. The lockout is short because an attacker can also lock out the
rightful owner of a key ID this way; a successful sign-in resets the count, and the API, which
authenticates every request with SigV4, is not affected.
"""

from __future__ import annotations

import time

from openaml.domain.context import ServiceContext
from openaml.store.console_access import ConsoleAccessStore

MAX_FAILED_SIGN_INS = 5
SIGN_IN_LOCKOUT_SECONDS = 60.0


class ConsoleAccess:
    """The console's sessions and sign-in lockout, on the service's metadata database."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._store = ConsoleAccessStore(ctx.metadata)

    def start_session(self, nonce: str, access_key_id: str, expires_at: float) -> None:
        self._store.add_session(nonce, access_key_id, created_at=time.time(), expires_at=expires_at)

    def session_is_live(self, nonce: str, access_key_id: str) -> bool:
        return self._store.session_is_live(nonce, access_key_id, time.time())

    def end_session(self, nonce: str) -> None:
        self._store.remove_session(nonce)

    def begin_sign_in(self, access_key_id: str) -> float:
        """Count an attempt for ``access_key_id``; seconds it is still locked out (0: go ahead)."""
        return self._store.begin_sign_in(
            access_key_id,
            time.time(),
            limit=MAX_FAILED_SIGN_INS,
            window=SIGN_IN_LOCKOUT_SECONDS,
            lockout=SIGN_IN_LOCKOUT_SECONDS,
        )

    def sign_in_succeeded(self, access_key_id: str) -> None:
        self._store.sign_in_succeeded(access_key_id)
