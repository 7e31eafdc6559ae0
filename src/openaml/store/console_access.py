"""Console sign-ins in the metadata database: live sessions and failed sign-ins per access key ID.

Every serving process reads and writes the same rows, so signing out ends a session everywhere and a
lockout holds whichever process answers. Expired rows are deleted opportunistically by the writes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from openaml.store.metadata import MetadataStore
from openaml.store.tables import Base, ConsoleSessionRow, SignInFailureRow

#: Longest access key ID stored; longer ones cannot be configured key IDs and share a row.
_KEY_ID_CHARS = 128


def _key(access_key_id: str) -> str:
    return access_key_id[:_KEY_ID_CHARS]


class ConsoleAccessStore:
    """Reads and writes the ``console_sessions`` and ``sign_in_failures`` tables."""

    def __init__(self, metadata: MetadataStore) -> None:
        self._metadata = metadata

    # --- sessions --------------------------------------------------------------------------------------

    def add_session(self, nonce: str, access_key_id: str, *, created_at: float, expires_at: float) -> None:
        """Record a new signed-in session, and forget the sessions that have expired."""
        self._purge(ConsoleSessionRow, ConsoleSessionRow.nonce, ConsoleSessionRow.expires_at < created_at)
        with self._metadata.session() as session:
            session.add(
                ConsoleSessionRow(
                    nonce=nonce, access_key_id=access_key_id, created_at=created_at, expires_at=expires_at
                )
            )

    def session_is_live(self, nonce: str, access_key_id: str, now: float) -> bool:
        """Whether the session ``nonce`` of ``access_key_id`` was started, not ended, and has not expired."""
        with self._metadata.session(write=False) as session:
            row = session.get(ConsoleSessionRow, nonce)
            return row is not None and row.access_key_id == access_key_id and row.expires_at > now

    def remove_session(self, nonce: str) -> None:
        with self._metadata.session() as session:
            session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.nonce == nonce))

    # --- failed sign-ins -------------------------------------------------------------------------------

    def begin_sign_in(
        self, access_key_id: str, now: float, *, limit: int, window: float, lockout: float
    ) -> float:
        """Count a sign-in attempt as failed until :meth:`sign_in_succeeded` says otherwise.

        Returns how many seconds the key ID is still locked out (the attempt is then neither counted
        nor allowed), else 0. Attempts in a row are those less than ``window`` seconds apart; the
        ``limit``-th one locks the key ID out for ``lockout`` seconds. Counting before the secret is
        checked, in one transaction, keeps concurrent attempts from exceeding the limit.
        """
        key = _key(access_key_id)
        self._purge(
            SignInFailureRow,
            SignInFailureRow.access_key_id,
            and_(SignInFailureRow.last_failed_at < now - window, SignInFailureRow.locked_until < now),
        )
        with self._metadata.session() as session:
            session.execute(self._insert_if_absent(key))
            row = session.execute(
                select(SignInFailureRow).where(SignInFailureRow.access_key_id == key).with_for_update()
            ).scalar_one()
            if row.locked_until > now:
                return row.locked_until - now
            row.failures = row.failures + 1 if now - row.last_failed_at < window else 1
            row.last_failed_at = now
            if row.failures >= limit:
                row.locked_until = now + lockout
            return 0.0

    def sign_in_succeeded(self, access_key_id: str) -> None:
        """Forget the failures of ``access_key_id``: a correct secret resets the count."""
        with self._metadata.session() as session:
            session.execute(
                delete(SignInFailureRow).where(SignInFailureRow.access_key_id == _key(access_key_id))
            )

    def _purge(self, table: type[Base], key: Any, condition: Any) -> None:
        """Delete the rows that match ``condition``, in a transaction of its own.

        Rows another transaction holds are skipped (PostgreSQL), so that concurrent sign-ins neither
        wait for nor deadlock with each other over rows that only need forgetting.
        """
        stale = select(key).where(condition).with_for_update(skip_locked=True)
        with self._metadata.session() as session:
            session.execute(delete(table).where(key.in_(stale)))

    def _insert_if_absent(self, key: str) -> Any:
        dialect = sqlite if self._metadata.is_sqlite else postgresql
        values = {"access_key_id": key, "failures": 0, "last_failed_at": 0.0, "locked_until": 0.0}
        return dialect.insert(SignInFailureRow).values(**values).on_conflict_do_nothing()
