"""`Store` on the standard library's sqlite3: the default backend for the CLI, the local host and tests.

Threading: a file database gets one connection per thread (WAL mode, so readers never block the
writer and each other); an in-memory database exists only inside its one connection, so that
connection is shared and every use of it is serialised by a lock. Every write runs in
`BEGIN IMMEDIATE`, which takes the write lock up front: two writers queue on the busy timeout instead of
failing when a read snapshot would have to be upgraded.

Schema changes are numbered migrations; `schema_version` records which ones a file has seen, so an
older file is upgraded when it is opened.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from core.errors import Conflict, InputError
from core.model import Checklist, MentoringRequest, Session, SessionState
from store._codec import (
    cell_keys,
    check_session_change,
    checklist_from_record,
    checklist_to_record,
    dump_policy,
    from_utc_iso,
    load_policy,
    request_from_record,
    request_to_record,
    session_from_record,
    session_to_record,
    stale_checklist,
    stale_policy,
    state_values,
    to_utc_iso,
)
from store._retry import MAX_ATTEMPTS, pause
from store.base import Checkpoint, IdempotencyRecord, PolicyVersion, SessionNotFound

__all__ = ["SCHEMA_VERSION", "SqliteStore"]

# Append a tuple of statements to change the schema; never edit a published one.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE sessions (
            "id" TEXT PRIMARY KEY,
            "mentor" TEXT NOT NULL,
            "mentees" TEXT NOT NULL,
            "start" TEXT NOT NULL,
            "end" TEXT NOT NULL,
            "question" TEXT NOT NULL,
            "created_at" TEXT NOT NULL,
            "state" TEXT NOT NULL,
            "topic" TEXT,
            "request_id" TEXT,
            "event_id" TEXT,
            "join_url" TEXT,
            "transaction_id" TEXT,
            "missing" TEXT NOT NULL,
            "state_reason" TEXT,
            "updated_at" TEXT,
            "version" INTEGER NOT NULL DEFAULT 1
        )""",
        'CREATE INDEX sessions_by_mentor_start ON sessions ("mentor", "start")',
        'CREATE INDEX sessions_by_start ON sessions ("start")',
        """CREATE TABLE requests (
            "id" TEXT PRIMARY KEY,
            "mentee" TEXT NOT NULL,
            "skill" TEXT NOT NULL,
            "question" TEXT NOT NULL,
            "created_at" TEXT NOT NULL,
            "mentors" TEXT NOT NULL,
            "sessions_wanted" INTEGER NOT NULL
        )""",
        'CREATE INDEX requests_by_created ON requests ("created_at")',
        """CREATE TABLE slot_claims (
            "mentor" TEXT NOT NULL,
            "cell" TEXT NOT NULL,
            "session_id" TEXT NOT NULL,
            PRIMARY KEY ("mentor", "cell")
        )""",
        'CREATE INDEX slot_claims_by_session ON slot_claims ("mentor", "session_id")',
        """CREATE TABLE idempotency_keys (
            "key" TEXT PRIMARY KEY,
            "body_hash" TEXT NOT NULL,
            "session_id" TEXT NOT NULL,
            "created_at" TEXT NOT NULL
        )""",
        """CREATE TABLE policy_versions (
            "version" INTEGER PRIMARY KEY,
            "policy" TEXT NOT NULL,
            "changed_by" TEXT NOT NULL,
            "changed_at" TEXT NOT NULL
        )""",
        """CREATE TABLE checkpoints (
            "name" TEXT PRIMARY KEY,
            "value" TEXT NOT NULL
        )""",
    ),
    (
        # Who the participants are in the directory (attendance is matched by object id), and the
        # online meeting's id once found, so later syncs read its reports directly.
        """ALTER TABLE sessions ADD COLUMN "people" TEXT NOT NULL DEFAULT '[]'""",
        'ALTER TABLE sessions ADD COLUMN "online_meeting_id" TEXT',
    ),
    # When a claim was made, so that claims a failed booking left behind can be found and freed;
    # NULL on claims made before this migration (treated as old).
    ('ALTER TABLE slot_claims ADD COLUMN "claimed_at" TEXT',),
    # The learning-record outbox (store/learning_outbox.py): one row per xAPI statement / Viva Learning
    # course activity to deliver, keyed by the record's own id, so enqueuing twice keeps one row.
    (
        """CREATE TABLE learning_outbox (
            "key" TEXT PRIMARY KEY,
            "kind" TEXT NOT NULL,
            "session_id" TEXT NOT NULL,
            "payload" TEXT NOT NULL,
            "state" TEXT NOT NULL,
            "attempts" INTEGER NOT NULL,
            "next_attempt_at" TEXT NOT NULL,
            "last_error" TEXT,
            "created_at" TEXT NOT NULL,
            "sent_at" TEXT,
            "outcome" TEXT
        )""",
        'CREATE INDEX learning_outbox_due ON learning_outbox ("state", "next_attempt_at")',
    ),
    # Outcome messages (store/outbox_sqlite.py): the outbox, current answers and their history, notes.
    (
        """CREATE TABLE outbox (
            "key" TEXT PRIMARY KEY,
            "session_id" TEXT NOT NULL,
            "person" TEXT NOT NULL,
            "kind" TEXT NOT NULL,
            "mentor" TEXT NOT NULL,
            "topic" TEXT,
            "due" TEXT NOT NULL,
            "send_after" TEXT NOT NULL,
            "created_at" TEXT NOT NULL,
            "state" TEXT NOT NULL,
            "attempts" INTEGER NOT NULL DEFAULT 0,
            "lease_until" TEXT,
            "sent_at" TEXT,
            "last_error" TEXT,
            "version" INTEGER NOT NULL DEFAULT 1
        )""",
        'CREATE INDEX outbox_by_state ON outbox ("state", "send_after")',
        """CREATE TABLE answers (
            "session_id" TEXT NOT NULL,
            "person" TEXT NOT NULL,
            "question" TEXT NOT NULL,
            "choice" TEXT NOT NULL,
            "note" TEXT,
            "answered_at" TEXT NOT NULL,
            PRIMARY KEY ("session_id", "person", "question")
        )""",
        """CREATE TABLE answer_history (
            "seq" INTEGER PRIMARY KEY AUTOINCREMENT,
            "session_id" TEXT NOT NULL,
            "person" TEXT NOT NULL,
            "question" TEXT NOT NULL,
            "choice" TEXT NOT NULL,
            "note" TEXT,
            "answered_at" TEXT NOT NULL
        )""",
        'CREATE INDEX answer_history_by_person ON answer_history ("session_id", "person")',
        """CREATE TABLE session_notes (
            "session_id" TEXT PRIMARY KEY,
            "next_step" TEXT NOT NULL,
            "success_indicator" TEXT NOT NULL,
            "written_by" TEXT NOT NULL,
            "written_at" TEXT NOT NULL
        )""",
    ),
    # The 2-10-3 checklist of a session (the session page and the task pane fill it in).
    (
        """CREATE TABLE checklists (
            "session_id" TEXT PRIMARY KEY,
            "question" TEXT NOT NULL,
            "options" TEXT NOT NULL,
            "next_step" TEXT NOT NULL,
            "success_indicator" TEXT NOT NULL,
            "version" INTEGER NOT NULL,
            "updated_at" TEXT,
            "updated_by" TEXT
        )""",
    ),
    # Group flash sessions (issue 16): the seats offered; NULL for a 1:1 session.
    ('ALTER TABLE sessions ADD COLUMN "seats" INTEGER',),
    # Series (issue 16, store/series_sqlite.py): one row per series, and each session's series.
    (
        'ALTER TABLE sessions ADD COLUMN "series_id" TEXT',
        """CREATE TABLE series (
            "id" TEXT PRIMARY KEY,
            "mentor" TEXT NOT NULL,
            "mentee" TEXT NOT NULL,
            "state" TEXT NOT NULL,
            "created_at" TEXT NOT NULL,
            "record" TEXT NOT NULL,
            "version" INTEGER NOT NULL DEFAULT 1
        )""",
        'CREATE INDEX series_by_state ON series ("state", "created_at")',
        # A series occurrence without a slot mails both people the alternatives (store/outbox.py).
        'ALTER TABLE outbox ADD COLUMN "slots" TEXT',
    ),
)

SCHEMA_VERSION = len(_MIGRATIONS)

_SESSION_COLUMNS = (
    "id", "mentor", "mentees", "start", "end", "question", "created_at", "state", "topic", "request_id",
    "event_id", "join_url", "transaction_id", "missing", "state_reason", "updated_at", "people",
    "online_meeting_id", "seats", "series_id",
)  # fmt: skip
_REQUEST_COLUMNS = ("id", "mentee", "skill", "question", "created_at", "mentors", "sessions_wanted")


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join('"' + c + '"' for c in columns)


def _named(columns: Sequence[str]) -> str:
    return ", ".join(":" + c for c in columns)


_INSERT_SESSION = (
    f"INSERT INTO sessions ({_quoted(_SESSION_COLUMNS)}) VALUES ({_named(_SESSION_COLUMNS)}) "
    'ON CONFLICT ("id") DO NOTHING'
)
_UPDATE_SESSION = (
    "UPDATE sessions SET "
    + ", ".join('"' + c + '" = :' + c for c in _SESSION_COLUMNS if c != "id")
    + ', "version" = "version" + 1 WHERE "id" = :id AND "version" = :expected_version'
)
_INSERT_REQUEST = (
    f"INSERT INTO requests ({_quoted(_REQUEST_COLUMNS)}) VALUES ({_named(_REQUEST_COLUMNS)}) "
    'ON CONFLICT ("id") DO NOTHING'
)

# Long enough to ride out a burst of queued writers; each write transaction here is tiny.
_BUSY_TIMEOUT_SECONDS = 30.0


class _Connection(sqlite3.Connection):
    """A plain connection that can be weakly referenced (the C type cannot)."""


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


class SqliteStore:
    """`store.base.Store` in one SQLite file (or `":memory:"`); safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        if not self._path:
            raise InputError("store", "empty SQLite path (use ':memory:' for an in-memory database)")
        self._memory = self._path == ":memory:"
        self._lock = threading.RLock()  # serialises the shared in-memory connection
        # Write transactions of this process queue here, not on SQLite's lock: a writer SQLite finds busy
        # sleeps in its busy handler (1, 2, 5, 10… ms), so six worker threads writing at once (sync saves
        # each session as it is decided) spent 7 ms a write asleep. Other processes still meet SQLite's.
        self._writing = threading.RLock()
        self._local = threading.local()
        # Weak: a thread's connection is owned by its thread-local slot and goes (closed) with the thread.
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._registry_lock = threading.Lock()
        self._closed = False
        self._shared: sqlite3.Connection | None = None
        if self._memory:
            self._shared = self._connect()
        else:
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as conn:
            if not self._memory:
                # Persistent in the file: set once, every later connection inherits it.
                conn.execute("PRAGMA journal_mode=WAL")
        with self._transaction() as conn:
            self._migrate(conn)

    # --- plumbing -------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: the module opens no implicit transactions; we issue BEGIN/COMMIT ourselves.
        conn = sqlite3.connect(
            self._path,
            timeout=_BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
            factory=_Connection,
        )
        conn.row_factory = _dict_row
        conn.execute("PRAGMA synchronous=NORMAL")
        with self._registry_lock:
            if self._closed:
                conn.close()
                raise sqlite3.ProgrammingError("SqliteStore is closed")
            self._connections.add(conn)
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._shared is not None:
            with self._lock:
                yield self._shared
            return
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        yield conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the database's write lock from its first statement."""
        # Waiting here counts against the same limit as SQLite's own wait: a writer of another process
        # holding the database for long makes this one fail as SQLite would, not queue without end.
        if not self._writing.acquire(timeout=_BUSY_TIMEOUT_SECONDS):
            raise sqlite3.OperationalError("database is locked")
        try:
            with self._connection() as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        finally:
            self._writing.release()

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        conn.execute('CREATE TABLE IF NOT EXISTS schema_version ("version" INTEGER NOT NULL)')
        current = conn.execute('SELECT COALESCE(MAX("version"), 0) AS v FROM schema_version').fetchone()["v"]
        if current > SCHEMA_VERSION:
            raise RuntimeError(f"database schema v{current} is newer than this code (v{SCHEMA_VERSION})")
        for number, statements in enumerate(_MIGRATIONS[current:], start=current + 1):
            for statement in statements:
                conn.execute(statement)
            conn.execute('INSERT INTO schema_version ("version") VALUES (?)', (number,))

    def schema_version(self) -> int:
        with self._connection() as conn:
            return int(conn.execute('SELECT MAX("version") AS v FROM schema_version').fetchone()["v"])

    def close(self) -> None:
        with self._registry_lock:
            self._closed = True
            connections = list(self._connections)
            self._connections.clear()
        with self._lock:
            for conn in connections:
                conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- booking safety -------------------------------------------------------------------
    def claim_idempotency(self, record: IdempotencyRecord) -> IdempotencyRecord:
        params = {
            "key": record.key,
            "body_hash": record.body_hash,
            "session_id": record.session_id,
            "created_at": to_utc_iso(record.created_at, "created_at"),
        }
        with self._transaction() as conn:
            conn.execute(
                'INSERT INTO idempotency_keys ("key", "body_hash", "session_id", "created_at") '
                'VALUES (:key, :body_hash, :session_id, :created_at) ON CONFLICT ("key") DO NOTHING',
                params,
            )
            row = conn.execute('SELECT * FROM idempotency_keys WHERE "key" = ?', (record.key,)).fetchone()
        return IdempotencyRecord(
            key=row["key"],
            body_hash=row["body_hash"],
            session_id=row["session_id"],
            created_at=from_utc_iso(row["created_at"]),
        )

    def find_idempotency(self, key: str) -> IdempotencyRecord | None:
        with self._connection() as conn:
            row = conn.execute('SELECT * FROM idempotency_keys WHERE "key" = ?', (key,)).fetchone()
        if row is None:
            return None
        return IdempotencyRecord(
            key=row["key"],
            body_hash=row["body_hash"],
            session_id=row["session_id"],
            created_at=from_utc_iso(row["created_at"]),
        )

    def claim_slot(
        self, mentor: str, cells: Sequence[datetime], session_id: str, claimed_at: datetime | None = None
    ) -> None:
        keys = cell_keys(cells)
        if not keys:
            return
        when = to_utc_iso(claimed_at or datetime.now(UTC), "claimed_at")
        marks = ", ".join("?" for _ in keys)
        with self._transaction() as conn:
            held = conn.execute(
                f'SELECT "cell", "session_id" FROM slot_claims WHERE "mentor" = ? AND "cell" IN ({marks})',
                (mentor, *keys),
            ).fetchall()
            taken = sorted(row["cell"] for row in held if row["session_id"] != session_id)
            if taken:
                # Raising inside the transaction rolls it back: nothing of this claim is kept.
                raise Conflict("slot", f"{mentor} is already booked at {taken[0]} by another session")
            conn.executemany(
                'INSERT INTO slot_claims ("mentor", "cell", "session_id", "claimed_at") VALUES (?, ?, ?, ?) '
                'ON CONFLICT ("mentor", "cell") DO NOTHING',
                [(mentor, key, session_id, when) for key in keys],
            )

    def release_slot(self, mentor: str, session_id: str) -> None:
        with self._transaction() as conn:
            conn.execute('DELETE FROM slot_claims WHERE "mentor" = ? AND "session_id" = ?', (mentor, session_id))

    def release_orphan_claims(self, *, claimed_before: datetime, cells_from: datetime) -> int:
        with self._transaction() as conn:
            done = conn.execute(
                'DELETE FROM slot_claims WHERE "cell" >= :cells_from '
                'AND ("claimed_at" IS NULL OR "claimed_at" < :claimed_before) '
                'AND "session_id" NOT IN (SELECT "id" FROM sessions WHERE "state" != :cancelled)',
                {
                    "cells_from": to_utc_iso(cells_from, "cells_from"),
                    "claimed_before": to_utc_iso(claimed_before, "claimed_before"),
                    "cancelled": SessionState.CANCELLED.value,
                },
            )
            return int(done.rowcount)

    # --- sessions -------------------------------------------------------------------------
    def add_session(self, session: Session) -> Session:
        record = session_to_record(session)
        with self._transaction() as conn:
            conn.execute(_INSERT_SESSION, record)
            row = conn.execute('SELECT * FROM sessions WHERE "id" = ?', (session.id,)).fetchone()
        return session_from_record(row)

    def get_session(self, session_id: str) -> Session | None:
        with self._connection() as conn:
            row = conn.execute('SELECT * FROM sessions WHERE "id" = ?', (session_id,)).fetchone()
        return None if row is None else session_from_record(row)

    def update_session(self, session_id: str, change: Callable[[Session], Session]) -> Session:
        for attempt in range(MAX_ATTEMPTS):
            with self._connection() as conn:
                row = conn.execute('SELECT * FROM sessions WHERE "id" = ?', (session_id,)).fetchone()
            if row is None:
                raise SessionNotFound(session_id)
            # `change` runs outside any transaction or lock: it may be slow, and the version check
            # below catches every write that happened meanwhile.
            record = session_to_record(check_session_change(session_id, change(session_from_record(row))))
            with self._transaction() as conn:
                saved = conn.execute(_UPDATE_SESSION, {**record, "expected_version": row["version"]}).rowcount
            if saved == 1:
                return session_from_record(record)
            pause(attempt)
        raise Conflict("session", f"{session_id}: gave up after {MAX_ATTEMPTS} concurrent-update retries")

    def list_sessions(
        self,
        *,
        mentor: str | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        states: Iterable[SessionState] | None = None,
    ) -> list[Session]:
        where: list[str] = []
        params: list[str] = []
        if mentor is not None:
            where.append('"mentor" = ?')
            params.append(mentor)
        if start_from is not None:
            where.append('"start" >= ?')
            params.append(to_utc_iso(start_from, "start_from"))
        if start_to is not None:
            where.append('"start" < ?')
            params.append(to_utc_iso(start_to, "start_to"))
        wanted = state_values(states)
        if wanted is not None:
            if not wanted:
                return []
            where.append(f'"state" IN ({", ".join("?" for _ in wanted)})')
            params.extend(wanted)
        sql = "SELECT * FROM sessions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += ' ORDER BY "start", "id"'
        with self._connection() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [session_from_record(row) for row in rows]

    # --- requests -------------------------------------------------------------------------
    def add_request(self, request: MentoringRequest) -> MentoringRequest:
        """Insert; if a request with this id exists, return the stored one unchanged."""
        record = request_to_record(request)
        with self._transaction() as conn:
            conn.execute(_INSERT_REQUEST, record)
            row = conn.execute('SELECT * FROM requests WHERE "id" = ?', (request.id,)).fetchone()
        return request_from_record(row)

    def get_request(self, request_id: str) -> MentoringRequest | None:
        with self._connection() as conn:
            row = conn.execute('SELECT * FROM requests WHERE "id" = ?', (request_id,)).fetchone()
        return None if row is None else request_from_record(row)

    def list_requests(
        self, *, created_from: datetime | None = None, created_to: datetime | None = None
    ) -> list[MentoringRequest]:
        """Requests with `created_from <= created_at < created_to`, oldest first."""
        where: list[str] = []
        params: list[str] = []
        if created_from is not None:
            where.append('"created_at" >= ?')
            params.append(to_utc_iso(created_from, "created_from"))
        if created_to is not None:
            where.append('"created_at" < ?')
            params.append(to_utc_iso(created_to, "created_to"))
        sql = "SELECT * FROM requests"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += ' ORDER BY "created_at", "id"'
        with self._connection() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [request_from_record(row) for row in rows]

    # --- policy ---------------------------------------------------------------------------
    def save_policy(
        self, policy: dict[str, Any], changed_by: str, changed_at: datetime, expected_version: int | None = None
    ) -> PolicyVersion:
        text = dump_policy(policy)
        when = to_utc_iso(changed_at, "changed_at")
        with self._transaction() as conn:
            version = conn.execute('SELECT COALESCE(MAX("version"), 0) + 1 AS next FROM policy_versions').fetchone()[
                "next"
            ]
            if expected_version is not None and version - 1 != expected_version:
                raise stale_policy(version - 1, expected_version)
            conn.execute(
                'INSERT INTO policy_versions ("version", "policy", "changed_by", "changed_at") VALUES (?, ?, ?, ?)',
                (version, text, changed_by, when),
            )
        return PolicyVersion(int(version), load_policy(text), changed_by, from_utc_iso(when))

    def latest_policy(self) -> PolicyVersion | None:
        with self._connection() as conn:
            row = conn.execute('SELECT * FROM policy_versions ORDER BY "version" DESC LIMIT 1').fetchone()
        return None if row is None else self._policy(row)

    def policy_history(self) -> list[PolicyVersion]:
        """Every version, oldest (1) first."""
        with self._connection() as conn:
            rows = conn.execute('SELECT * FROM policy_versions ORDER BY "version"').fetchall()
        return [self._policy(row) for row in rows]

    @staticmethod
    def _policy(row: dict[str, Any]) -> PolicyVersion:
        return PolicyVersion(
            version=int(row["version"]),
            policy=load_policy(row["policy"]),
            changed_by=row["changed_by"],
            changed_at=from_utc_iso(row["changed_at"]),
        )

    # --- sync checkpoints -----------------------------------------------------------------
    def get_checkpoint(self, name: str) -> str | None:
        with self._connection() as conn:
            row = conn.execute('SELECT "value" FROM checkpoints WHERE "name" = ?', (name,)).fetchone()
        return None if row is None else str(row["value"])

    def set_checkpoint(self, name: str, value: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                'INSERT INTO checkpoints ("name", "value") VALUES (?, ?) '
                'ON CONFLICT ("name") DO UPDATE SET "value" = excluded."value"',
                (name, value),
            )

    def read_checkpoint(self, name: str) -> Checkpoint | None:
        value = self.get_checkpoint(name)
        # The value is its own version: checkpoints that need compare-and-set (delta links) never
        # repeat a value, so comparing values is comparing versions, and no migration is needed.
        return None if value is None else Checkpoint(value, value)

    def replace_checkpoint(self, name: str, value: str, expected: Checkpoint | None) -> bool:
        with self._transaction() as conn:
            if expected is None:
                cursor = conn.execute(
                    'INSERT INTO checkpoints ("name", "value") VALUES (?, ?) ON CONFLICT ("name") DO NOTHING',
                    (name, value),
                )
            else:
                cursor = conn.execute(
                    'UPDATE checkpoints SET "value" = ? WHERE "name" = ? AND "value" = ?',
                    (value, name, expected.version),
                )
            return cursor.rowcount == 1

    # --- session checklists ---------------------------------------------------------------
    def get_checklist(self, session_id: str) -> Checklist | None:
        with self._connection() as conn:
            row = conn.execute('SELECT * FROM checklists WHERE "session_id" = ?', (session_id,)).fetchone()
        return None if row is None else checklist_from_record(row)

    def save_checklist(self, checklist: Checklist, expected_version: int) -> Checklist:
        saved = replace(checklist, version=expected_version + 1)
        record = checklist_to_record(saved)
        with self._transaction() as conn:
            row = conn.execute(
                'SELECT "version" FROM checklists WHERE "session_id" = ?', (checklist.session_id,)
            ).fetchone()
            current = 0 if row is None else int(row["version"])
            if current != expected_version:
                raise stale_checklist(current, expected_version)
            columns = list(record)
            conn.execute(
                f"INSERT OR REPLACE INTO checklists ({_quoted(columns)}) VALUES ({_named(columns)})", record
            )
        return saved
