"""Console sessions and failed sign-ins in the metadata database, on both back ends (issue 13 items 5, 6)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import inspect, select

from openaml.errors import ConfigurationError
from openaml.store.console_access import ConsoleAccessStore
from openaml.store.metadata import MetadataStore, _alembic_config
from openaml.store.tables import SignInFailureRow

LIMITS = {"limit": 5, "window": 60.0, "lockout": 60.0}


@pytest.fixture()
def metadata(database_url: str) -> Iterator[MetadataStore]:
    store = MetadataStore(database_url)
    store.check_schema(initialize_empty=True)
    yield store
    store.dispose()


def test_a_database_of_the_first_schema_is_upgraded_with_the_console_tables(database_url: str) -> None:
    store = MetadataStore(database_url)
    config = _alembic_config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    with pytest.raises(ConfigurationError, match="openaml db upgrade"):
        store.check_schema(initialize_empty=True)
    store.upgrade_schema()
    with store.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    assert {"console_sessions", "sign_in_failures"} <= tables
    store.dispose()


def test_a_session_is_live_from_sign_in_until_sign_out_or_expiry(metadata: MetadataStore) -> None:
    access = ConsoleAccessStore(metadata)
    access.add_session("n1", "KEY1", created_at=1000.0, expires_at=2000.0)
    access.add_session("n2", "KEY1", created_at=1000.0, expires_at=1500.0)
    assert access.session_is_live("n1", "KEY1", 1001.0)
    assert not access.session_is_live("n1", "KEY2", 1001.0)
    assert not access.session_is_live("unknown", "KEY1", 1001.0)
    assert not access.session_is_live("n2", "KEY1", 1600.0)
    access.remove_session("n1")
    assert not access.session_is_live("n1", "KEY1", 1001.0)
    assert access.session_is_live("n2", "KEY1", 1001.0)
    access.add_session("n3", "KEY1", created_at=1600.0, expires_at=3000.0)  # purges the expired n2
    assert not access.session_is_live("n2", "KEY1", 1001.0)


def test_the_fifth_attempt_in_a_row_locks_the_key_id_out(metadata: MetadataStore) -> None:
    access = ConsoleAccessStore(metadata)
    assert [access.begin_sign_in("KEY1", 1000.0 + n, **LIMITS) for n in range(5)] == [0.0] * 5
    assert access.begin_sign_in("KEY1", 1010.0, **LIMITS) == pytest.approx(54.0)
    assert access.begin_sign_in("KEY2", 1010.0, **LIMITS) == 0.0
    # Refused attempts do not extend the lockout; once it ends, the count starts again.
    assert access.begin_sign_in("KEY1", 1064.0, **LIMITS) == 0.0
    assert [access.begin_sign_in("KEY1", 1065.0, **LIMITS) for _ in range(4)] == [0.0] * 4
    assert access.begin_sign_in("KEY1", 1066.0, **LIMITS) > 0


def test_attempts_far_apart_or_a_success_reset_the_count(metadata: MetadataStore) -> None:
    access = ConsoleAccessStore(metadata)
    for start in (1000.0, 2000.0, 3000.0):  # four attempts, then a pause longer than the window
        assert [access.begin_sign_in("KEY1", start + n, **LIMITS) for n in range(4)] == [0.0] * 4
    for _ in range(3):
        assert [access.begin_sign_in("KEY1", 4000.0, **LIMITS) for _ in range(4)] == [0.0] * 4
        access.sign_in_succeeded("KEY1")


def test_stale_failures_are_forgotten(metadata: MetadataStore) -> None:
    access = ConsoleAccessStore(metadata)
    for n in range(50):
        access.begin_sign_in(f"GUESS{n}", 1000.0, **LIMITS)
    access.begin_sign_in("LATER", 1100.0, **LIMITS)
    with metadata.session(write=False) as session:
        keys = session.execute(select(SignInFailureRow.access_key_id)).scalars().all()
    assert keys == ["LATER"]


def test_concurrent_attempts_never_exceed_the_limit(metadata: MetadataStore) -> None:
    access = ConsoleAccessStore(metadata)
    results: list[float] = []
    start = threading.Barrier(12)

    def one() -> None:
        start.wait()
        results.append(access.begin_sign_in("RACED", 1000.0, **LIMITS))

    threads = [threading.Thread(target=one) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results).count(0.0) == 5 and len(results) == 12
