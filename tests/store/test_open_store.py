"""`open_store` URL parsing, and backend-specific behaviour that the shared contract does not cover."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import Conflict, InputError
from core.model import Session
from store import open_store
from store.sqlite import _MIGRATIONS, SCHEMA_VERSION, SqliteStore
from store.tables import TableStore, escape_key

WHEN = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def a_session(session_id: str) -> Session:
    return Session(
        id=session_id,
        mentor="ann@contoso.com",
        mentees=("bob@contoso.com",),
        start=WHEN,
        end=WHEN.replace(minute=30),
        question="q",
        created_at=WHEN,
    )


# --- open_store -------------------------------------------------------------------------------------


def test_open_store_memory_is_a_private_sqlite_database() -> None:
    first = open_store("sqlite:///:memory:")
    second = open_store("sqlite:///:memory:")
    assert isinstance(first, SqliteStore)
    first.add_session(a_session("only-in-first"))
    assert second.get_session("only-in-first") is None


def test_open_store_sqlite_absolute_path_creates_the_file(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "dir" / "store.db"
    opened = open_store(f"sqlite:///{target}")  # target is absolute: four slashes in all
    assert isinstance(opened, SqliteStore)
    opened.add_session(a_session("s1"))
    assert target.exists()
    assert SqliteStore(target).get_session("s1") == a_session("s1")


def test_open_store_sqlite_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    opened = open_store("sqlite:///data/store.db")
    assert isinstance(opened, SqliteStore)
    assert (tmp_path / "data" / "store.db").exists()


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "sqlite:///",
        "sqlite://relative.db",
        "postgres://localhost/db",
        "memory",
        "tables:",
        "tables:garbage",
        "tables:AccountName=devstoreaccount1",
    ],
)
def test_open_store_rejects_other_urls(url: str) -> None:
    with pytest.raises(InputError) as caught:
        open_store(url)
    assert caught.value.field == "store"


def test_open_store_does_not_echo_a_bare_connection_string() -> None:
    bare = (
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
        "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
    )
    with pytest.raises(InputError) as caught:
        open_store(bare)  # forgot the "tables:" prefix
    assert AZURITE_KEY not in str(caught.value)
    assert "AccountKey" not in str(caught.value)


@pytest.mark.azurite
def test_open_store_tables_with_prefix(tables_connection_string: str) -> None:
    prefix = "open" + uuid.uuid4().hex[:10]
    opened = open_store(f"tables:{tables_connection_string.rstrip(';')};TablePrefix={prefix}")
    assert isinstance(opened, TableStore)
    assert opened.table_prefix == prefix
    try:
        opened.set_checkpoint("delta", "d1")
        assert opened.get_checkpoint("delta") == "d1"
    finally:
        opened.drop_tables()
        opened.close()


# --- Table Storage specifics --------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "9mm", "mm-x", "mm_x", "m" * 60])
def test_table_prefix_must_make_valid_table_names(prefix: str) -> None:
    with pytest.raises(InputError):
        TableStore("DefaultEndpointsProtocol=http;AccountName=x;AccountKey=eA==", prefix)


def test_escape_key_removes_forbidden_characters_and_stays_injective() -> None:
    values = ["a/b", "a\\b", "a#b", "a?b", "a|b", "a%b", "a%2Fb", "a\tb", "a\x7fb", "ann@contoso.com", "ü"]
    escaped = [escape_key(v) for v in values]
    assert escaped[:6] == ["a%2Fb", "a%5Cb", "a%23b", "a%3Fb", "a%7Cb", "a%25b"]
    assert escaped[6] == "a%252Fb"  # the escape character is itself escaped, so no collision with "a/b"
    assert escaped[7:] == ["a%09b", "a%7Fb", "ann@contoso.com", "ü"]
    assert len(set(escaped)) == len(values)
    for key in escaped:
        assert not set(key) & set("/\\#?|")


# --- SQLite specifics ---------------------------------------------------------------------------------


def test_sqlite_file_uses_wal_and_records_its_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    opened = SqliteStore(path)
    # 4: learning outbox, 5: outcome messages, 6: checklists, 7: group seats, 8: series
    assert opened.schema_version() == SCHEMA_VERSION == 8
    opened.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("SELECT version FROM schema_version").fetchall() == [(n,) for n in range(1, 9)]


def test_a_version_1_database_gains_people_and_meeting_ids(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as raw:
        for statement in _MIGRATIONS[0]:
            raw.execute(statement)
        raw.execute('CREATE TABLE schema_version ("version" INTEGER NOT NULL)')
        raw.execute("INSERT INTO schema_version VALUES (1)")
        raw.execute(
            "INSERT INTO sessions (id, mentor, mentees, start, end, question, created_at, state, missing) VALUES "
            "('s1', 'ana@x.example', '[\"ravi@x.example\"]', '2026-12-01T10:00:00Z', '2026-12-01T10:15:00Z', "
            "'q', '2026-11-30T10:00:00Z', 'scheduled', '[]')"
        )
    opened = SqliteStore(path)
    old = opened.get_session("s1")
    assert old is not None and old.people == () and old.online_meeting_id is None
    assert opened.schema_version() == SCHEMA_VERSION
    opened.close()


def test_sqlite_reopen_keeps_data_and_does_not_migrate_twice(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with SqliteStore(path) as first:
        first.add_session(a_session("kept"))
        first.set_checkpoint("delta", "d1")
    with SqliteStore(path) as again:
        assert again.get_session("kept") == a_session("kept")
        assert again.get_checkpoint("delta") == "d1"
        assert again.schema_version() == SCHEMA_VERSION
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == SCHEMA_VERSION


def test_sqlite_upgrades_a_version_1_file_and_frees_its_orphan_claims(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with sqlite3.connect(path) as raw:
        raw.execute('CREATE TABLE schema_version ("version" INTEGER NOT NULL)')
        for statement in _MIGRATIONS[0]:
            raw.execute(statement)
        raw.execute("INSERT INTO schema_version VALUES (1)")
        raw.execute("INSERT INTO slot_claims VALUES ('ann@contoso.com', '2030-01-01T09:00:00.000000+00:00', 'gone')")
    with SqliteStore(path) as upgraded:
        assert upgraded.schema_version() == SCHEMA_VERSION
        when = datetime(2030, 1, 1, tzinfo=UTC)
        assert upgraded.release_orphan_claims(claimed_before=when, cells_from=when) == 1


def test_sqlite_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO schema_version (version) VALUES (99)")
    with pytest.raises(RuntimeError, match="newer"):
        SqliteStore(path)


def test_sqlite_two_stores_on_one_file_see_each_other(tmp_path: Path) -> None:
    # Two processes (here: two store objects) on one file: the claim made through one binds the other.
    path = tmp_path / "shared.db"
    one, two = SqliteStore(path), SqliteStore(path)
    one.claim_slot("ann@contoso.com", [WHEN], "A")
    with pytest.raises(Conflict):
        two.claim_slot("ann@contoso.com", [WHEN], "B")
    one.close()
    two.close()
