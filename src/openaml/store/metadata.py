"""The metadata database: engine creation, one managed-session helper, and schema migrations.

SQLite (the embedded default) runs in WAL mode with a busy timeout so the server and its worker
processes can share one file; PostgreSQL is used through any ``postgresql+psycopg://`` URL. The schema
is owned by Alembic: :func:`upgrade_schema` migrates it, :meth:`MetadataStore.check_schema` refuses to
run on an outdated one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from openaml.errors import ConfigurationError, InternalServerException

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _on_sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    # Writers take the write lock up front so that concurrent writers queue on the busy timeout
    # instead of failing when a read lock cannot be upgraded; readers do not block anyone (WAL).
    write = connection.get_execution_options().get("openaml_write", True)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _create_private_database_file(path: Path) -> None:
    """Create a missing SQLite file (and its folder) readable by the server's user only (0600/0700).

    SQLite would create it with mode 0644; its WAL and shared-memory files take the mode of the database.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if "?" not in path.name:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


class MetadataStore:
    """A connection to the metadata database and the one way to open transactions on it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                _create_private_database_file(Path(path))
            # One connection per use: SQLite connections must not cross the threads of the server's pool.
            self.engine: Engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
            event.listen(self.engine, "connect", _on_sqlite_connect)
            event.listen(self.engine, "begin", _on_sqlite_begin)
        else:
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A transaction: committed when the block succeeds, rolled back when it raises.

        ``write=False`` marks a read-only transaction, which never waits for writers.

        Database failures surface as :class:`InternalServerException` with the driver's reason, so the
        protocol edge reports them as a server fault rather than a stack trace.
        """
        session = self._sessions()
        try:
            session.connection(execution_options={"openaml_write": write})
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            raise InternalServerException(
                f"metadata database error: {exc.__class__.__name__}: {exc}"
            ) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def current_revision(self) -> str | None:
        try:
            with self.engine.connect() as connection:
                return MigrationContext.configure(connection).get_current_revision()
        except OperationalError as exc:
            raise ConfigurationError(f"cannot open the metadata database {self.url}: {exc}") from exc

    def is_empty(self) -> bool:
        with self.engine.connect() as connection:
            return not inspect(connection).get_table_names()

    def upgrade_schema(self) -> None:
        """Migrate the database to the newest schema (``openaml db upgrade``)."""
        config = _alembic_config()
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def check_schema(self, *, initialize_empty: bool) -> None:
        """Make sure the schema is current; create it in an empty database when asked to."""
        current = self.current_revision()
        head = head_revision()
        if current == head:
            return
        if current is None and initialize_empty and self.is_empty():
            self.upgrade_schema()
            return
        raise ConfigurationError(
            f"the metadata database {self.url} is at schema revision {current or 'none'}, but this "
            f"OpenAML needs revision {head}. Back it up, then run `openaml db upgrade` with the same "
            "settings."
        )

    def dispose(self) -> None:
        self.engine.dispose()
