"""`Store` on Azure Table Storage (`azure-data-tables`), for the deployed Functions app.

Tables (all named `<prefix><name>`, created if absent) and their keys:

``sessions`` — ONE partition ("s") holding three rows per session, each a full copy of it:
    ``id|<id>``                       the primary row (point read for `get_session`, ETag for updates)
    ``mentor|<mentor>|<start>|<id>``  mentor index: `list_sessions(mentor=…, start range)` is one RowKey
                                      range scan of the mentor's sessions, already in start order
    ``start|<start>|<id>``            time index: `list_sessions(start range)` across mentors is one
                                      RowKey range scan, in start order
  `<start>` is the fixed-width UTC ISO text, so RowKey order is time order and a half-open
  ``[start_from, start_to)`` is exactly ``RowKey ge prefix+from and RowKey lt prefix+to``.
  Why one partition: an entity-group transaction can only span one partition, and it is what keeps the
  two index rows identical to the primary row. `add_session` creates all three in one transaction;
  `update_session` replaces the primary row under its ETag (`IfNotModified`) and rewrites the index
  rows (delete + create when the mentor or start moved) in the same transaction, so a lost race
  changes nothing and is retried, and no reader ever sees an index row that disagrees with its
  session. A partition serves ~2,000 entity operations a second, orders of magnitude more than
  booking traffic needs; if that ever binds, shard the partition by mentor hash and fan the
  time-index query out over the shards.

``requests`` — one partition ("r"): ``id|<id>`` and ``created|<created_at>|<id>``, created together.
``claims`` — PartitionKey = mentor, RowKey = cell start (UTC ISO), property session_id. A claim is one
  entity-group transaction (all-or-nothing): cells not held are created (409 if someone else got
  there first), cells already held by this session are rewritten under their ETag (so they cannot be
  released underneath us). At most 100 cells per claim, the transaction limit.
``idempotency`` — PartitionKey = key, RowKey = "": insert-only; losing the insert race reads the winner.
``policy`` — one partition ("policy"): a ``counter`` row (``latest``) and one ``v<0000000001>`` row per
  version. A save bumps the counter under its ETag and creates the version row in one transaction,
  so concurrent saves each get their own number and no number is skipped.
``checklists`` — PartitionKey = session id, RowKey = "": a session's checklist with its `version`; a save
  creates it (first save) or replaces it under the ETag read with the version it was based on.
``checkpoints`` — PartitionKey = name, RowKey = "": upserted (replace), or for a compare-and-set
  created (insert fails if present) / replaced under the ETag read with it.

Keys are escaped: ``% / \\ # ?`` (forbidden in keys), ``|`` (our separator) and control characters
become ``%XX``. Values are the same flat records as the SQLite backend (`store._codec`): datetimes are
UTC ISO strings, tuples JSON arrays; None properties are simply absent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import requests
from azure.core import MatchConditions
from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.data.tables import (
    TableClient,
    TableEntity,
    TableServiceClient,
    TableTransactionError,
    UpdateMode,
)

from core.errors import Conflict, InputError
from core.model import Checklist, MentoringRequest, Session, SessionState
from store._codec import (
    Record,
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

__all__ = ["DEFAULT_TABLE_PREFIX", "TABLE_NAMES", "TableStore", "escape_key"]

TABLE_NAMES = ("sessions", "requests", "claims", "idempotency", "policy", "checkpoints", "checklists")

_SESSIONS_PARTITION = "s"
_REQUESTS_PARTITION = "r"
_POLICY_PARTITION = "policy"
_POLICY_COUNTER = "counter"
_MAX_TRANSACTION_OPS = 100

# Table names: letters and digits, starting with a letter, 3-63 characters in all.
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9]{0,51}")
# Lost races surface as: 409 (created meanwhile), 412 (ETag moved), 404 (deleted/moved meanwhile).
_RACE_STATUSES = frozenset({404, 409, 412})
# Enough pooled connections for a few dozen worker threads without urllib3 discarding sockets.
_POOL_SIZE = 64

Operation = tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], dict[str, Any]]


def escape_key(value: str) -> str:
    """PartitionKey/RowKey-safe text; injective, so distinct values never share a key."""
    out: list[str] = []
    for ch in value:
        code = ord(ch)
        if ch in "%/\\#?|" or code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"%{code:02X}")
        else:
            out.append(ch)
    return "".join(out)


def _after(prefix: str) -> str:
    """The smallest string above every string starting with `prefix` (which ends in '|')."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _etag(entity: TableEntity) -> str:
    return str(entity.metadata["etag"])


def _replace_if_unchanged(etag: str) -> dict[str, Any]:
    return {"mode": UpdateMode.REPLACE, "etag": etag, "match_condition": MatchConditions.IfNotModified}


DEFAULT_TABLE_PREFIX = "mm"


class TableStore:
    """`store.base.Store` on Azure Table Storage (or Azurite); thread-safe (the SDK clients are)."""

    def __init__(
        self,
        connection_string: str | None = None,
        table_prefix: str = DEFAULT_TABLE_PREFIX,
        *,
        endpoint: str | None = None,
        credential: TokenCredential | None = None,
    ) -> None:
        """From a connection string, or from an account `endpoint` and an Entra ID `credential`."""
        if not _PREFIX.fullmatch(table_prefix):
            raise InputError("store", f"table prefix {table_prefix!r}: letters/digits, starting with a letter")
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=_POOL_SIZE)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        transport = RequestsTransport(session=session, session_owner=True)
        try:
            if endpoint is not None and credential is not None:
                self._service = TableServiceClient(endpoint=endpoint, credential=credential, transport=transport)
            elif connection_string is not None:
                self._service = TableServiceClient.from_connection_string(connection_string, transport=transport)
            else:
                raise ValueError("needs a connection string, or an endpoint and a credential")
        except ValueError as exc:
            session.close()
            raise InputError("store", f"bad Table Storage connection string: {exc}") from exc
        self.table_prefix = table_prefix
        clients = {name: self._service.create_table_if_not_exists(table_prefix + name) for name in TABLE_NAMES}
        self._sessions = clients["sessions"]
        self._requests = clients["requests"]
        self._claims = clients["claims"]
        self._idempotency = clients["idempotency"]
        self._policy = clients["policy"]
        self._checkpoints = clients["checkpoints"]
        self._checklists = clients["checklists"]

    def close(self) -> None:
        for client in (self._sessions, self._requests, self._claims, self._idempotency, self._policy):
            client.close()
        self._checkpoints.close()
        self._checklists.close()
        self._service.close()

    def drop_tables(self) -> None:
        """Delete this prefix's tables (test clean-up); the store is unusable afterwards."""
        for name in TABLE_NAMES:
            self._service.delete_table(self.table_prefix + name)

    def __enter__(self) -> TableStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- plumbing -------------------------------------------------------------------------
    @staticmethod
    def _get(client: TableClient, partition_key: str, row_key: str) -> TableEntity | None:
        try:
            return client.get_entity(partition_key, row_key)
        except ResourceNotFoundError:
            return None

    @staticmethod
    def _submit(client: TableClient, operations: Sequence[Operation]) -> bool:
        """Run one entity-group transaction; False when it lost a race (nothing was applied)."""
        try:
            client.submit_transaction(list(operations))
        except TableTransactionError as exc:
            if exc.status_code in _RACE_STATUSES:
                return False
            raise
        return True

    # --- booking safety -------------------------------------------------------------------
    def claim_idempotency(self, record: IdempotencyRecord) -> IdempotencyRecord:
        key = escape_key(record.key)
        entity = {
            "PartitionKey": key,
            "RowKey": "",
            "key": record.key,
            "body_hash": record.body_hash,
            "session_id": record.session_id,
            "created_at": to_utc_iso(record.created_at, "created_at"),
        }
        try:
            self._idempotency.create_entity(entity)
        except ResourceExistsError:
            stored = self._idempotency.get_entity(key, "")
        else:
            stored = TableEntity(entity)
        return IdempotencyRecord(
            key=str(stored["key"]),
            body_hash=str(stored["body_hash"]),
            session_id=str(stored["session_id"]),
            created_at=from_utc_iso(str(stored["created_at"])),
        )

    def find_idempotency(self, key: str) -> IdempotencyRecord | None:
        try:
            stored = self._idempotency.get_entity(escape_key(key), "")
        except ResourceNotFoundError:
            return None
        return IdempotencyRecord(
            key=str(stored["key"]),
            body_hash=str(stored["body_hash"]),
            session_id=str(stored["session_id"]),
            created_at=from_utc_iso(str(stored["created_at"])),
        )

    def claim_slot(
        self, mentor: str, cells: Sequence[datetime], session_id: str, claimed_at: datetime | None = None
    ) -> None:
        keys = cell_keys(cells)
        if not keys:
            return
        when = to_utc_iso(claimed_at or datetime.now(UTC), "claimed_at")
        if len(keys) > _MAX_TRANSACTION_OPS:
            raise InputError("cells", f"at most {_MAX_TRANSACTION_OPS} cells in one claim, got {len(keys)}")
        partition = escape_key(mentor)
        for attempt in range(MAX_ATTEMPTS):
            # The cells of one booking are contiguous, so one RowKey range read finds every holder.
            held = {
                str(entity["RowKey"]): entity
                for entity in self._claims.query_entities(
                    "PartitionKey eq @pk and RowKey ge @lo and RowKey le @hi",
                    parameters={"pk": partition, "lo": keys[0], "hi": keys[-1]},
                )
            }
            taken = [key for key in keys if key in held and held[key].get("session_id") != session_id]
            if taken:
                raise Conflict("slot", f"{mentor} is already booked at {taken[0]} by another session")
            operations: list[Operation] = []
            for key in keys:
                entity = {"PartitionKey": partition, "RowKey": key, "session_id": session_id, "claimed_at": when}
                if key in held:
                    # Ours already; rewriting it under its ETag makes the claim fail if it is
                    # released meanwhile, so the whole set is checked at one instant.
                    operations.append(("update", entity, _replace_if_unchanged(_etag(held[key]))))
                else:
                    operations.append(("create", entity))
            if self._submit(self._claims, operations):
                return
            pause(attempt)
        raise Conflict("slot", f"{mentor}: gave up after {MAX_ATTEMPTS} concurrent-claim retries")

    def release_slot(self, mentor: str, session_id: str) -> None:
        partition = escape_key(mentor)
        mine = self._claims.query_entities(
            "PartitionKey eq @pk and session_id eq @sid", parameters={"pk": partition, "sid": session_id}
        )
        for entity in list(mine):
            self._delete_claim_unless_changed(entity)

    def _delete_claim_unless_changed(self, entity: Any) -> bool:
        """Delete a claim under its ETag, so a cell that changed hands since the read is left alone."""
        try:
            self._claims.delete_entity(
                str(entity["PartitionKey"]),
                str(entity["RowKey"]),
                etag=_etag(entity),
                match_condition=MatchConditions.IfNotModified,
            )
        except HttpResponseError as exc:
            if exc.status_code not in _RACE_STATUSES:
                raise
            return False
        return True

    def release_orphan_claims(self, *, claimed_before: datetime, cells_from: datetime) -> int:
        before = to_utc_iso(claimed_before, "claimed_before")
        # Only cells still to come can block a booking; past ones are left as the record they are.
        candidates = [
            entity
            for entity in self._claims.query_entities("RowKey ge @lo", parameters={"lo": cell_keys([cells_from])[0]})
            # A claim without claimed_at predates the field: old.
            if str(entity.get("claimed_at") or "") < before
        ]
        alive: dict[str, bool] = {}
        freed = 0
        for entity in candidates:
            session_id = str(entity.get("session_id"))
            if session_id not in alive:
                owner = self.get_session(session_id)
                alive[session_id] = owner is not None and owner.state != SessionState.CANCELLED
            if alive[session_id]:
                continue
            freed += self._delete_claim_unless_changed(entity)
        return freed

    # --- sessions -------------------------------------------------------------------------
    @staticmethod
    def _session_row_keys(record: Mapping[str, Any]) -> tuple[str, str]:
        """RowKeys of the mentor index and time index rows for this record."""
        start = str(record["start"])
        session_key = escape_key(str(record["id"]))
        return (
            f"mentor|{escape_key(str(record['mentor']))}|{start}|{session_key}",
            f"start|{start}|{session_key}",
        )

    @staticmethod
    def _row(partition: str, row_key: str, record: Record) -> dict[str, Any]:
        return {"PartitionKey": partition, "RowKey": row_key, **record}

    def add_session(self, session: Session) -> Session:
        record = session_to_record(session)
        primary = f"id|{escape_key(session.id)}"
        operations: list[Operation] = [
            ("create", self._row(_SESSIONS_PARTITION, key, record))
            for key in (primary, *self._session_row_keys(record))
        ]
        if self._submit(self._sessions, operations):
            return session_from_record(record)
        stored = self.get_session(session.id)
        if stored is None:  # the rows are only ever created together, so this cannot happen
            raise Conflict("session", f"{session.id}: insert failed but no stored session found")
        return stored

    def get_session(self, session_id: str) -> Session | None:
        entity = self._get(self._sessions, _SESSIONS_PARTITION, f"id|{escape_key(session_id)}")
        return None if entity is None else session_from_record(entity)

    def update_session(self, session_id: str, change: Callable[[Session], Session]) -> Session:
        primary = f"id|{escape_key(session_id)}"
        for attempt in range(MAX_ATTEMPTS):
            current = self._get(self._sessions, _SESSIONS_PARTITION, primary)
            if current is None:
                raise SessionNotFound(session_id)
            record = session_to_record(check_session_change(session_id, change(session_from_record(current))))
            operations: list[Operation] = [
                ("update", self._row(_SESSIONS_PARTITION, primary, record), _replace_if_unchanged(_etag(current)))
            ]
            for old_key, new_key in zip(self._session_row_keys(current), self._session_row_keys(record), strict=True):
                if old_key == new_key:
                    operations.append(
                        ("upsert", self._row(_SESSIONS_PARTITION, new_key, record), {"mode": UpdateMode.REPLACE})
                    )
                else:
                    operations.append(("delete", {"PartitionKey": _SESSIONS_PARTITION, "RowKey": old_key}))
                    operations.append(("create", self._row(_SESSIONS_PARTITION, new_key, record)))
            if self._submit(self._sessions, operations):
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
        prefix = "start|" if mentor is None else f"mentor|{escape_key(mentor)}|"
        low = prefix + ("" if start_from is None else to_utc_iso(start_from, "start_from"))
        high = _after(prefix) if start_to is None else prefix + to_utc_iso(start_to, "start_to")
        query = "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi"
        parameters: dict[str, Any] = {"pk": _SESSIONS_PARTITION, "lo": low, "hi": high}
        wanted = state_values(states)
        if wanted is not None:
            if not wanted:
                return []
            # The SDK substitutes @names only in space-separated words, hence "( … )" with spaces.
            query += " and ( " + " or ".join(f"state eq @s{i}" for i in range(len(wanted))) + " )"
            parameters.update({f"s{i}": value for i, value in enumerate(wanted)})
        found = [session_from_record(e) for e in self._sessions.query_entities(query, parameters=parameters)]
        # RowKeys order by start, then escaped id; sort on the raw id to match the SQLite backend.
        return sorted(found, key=lambda s: (s.start, s.id))

    # --- requests -------------------------------------------------------------------------
    def add_request(self, request: MentoringRequest) -> MentoringRequest:
        """Insert; if a request with this id exists, return the stored one unchanged."""
        record = request_to_record(request)
        request_key = escape_key(request.id)
        operations: list[Operation] = [
            ("create", self._row(_REQUESTS_PARTITION, f"id|{request_key}", record)),
            ("create", self._row(_REQUESTS_PARTITION, f"created|{record['created_at']}|{request_key}", record)),
        ]
        if self._submit(self._requests, operations):
            return request_from_record(record)
        stored = self.get_request(request.id)
        if stored is None:
            raise Conflict("request", f"{request.id}: insert failed but no stored request found")
        return stored

    def get_request(self, request_id: str) -> MentoringRequest | None:
        entity = self._get(self._requests, _REQUESTS_PARTITION, f"id|{escape_key(request_id)}")
        return None if entity is None else request_from_record(entity)

    def list_requests(
        self, *, created_from: datetime | None = None, created_to: datetime | None = None
    ) -> list[MentoringRequest]:
        """Requests with `created_from <= created_at < created_to`, oldest first."""
        prefix = "created|"
        low = prefix + ("" if created_from is None else to_utc_iso(created_from, "created_from"))
        high = _after(prefix) if created_to is None else prefix + to_utc_iso(created_to, "created_to")
        found = [
            request_from_record(e)
            for e in self._requests.query_entities(
                "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
                parameters={"pk": _REQUESTS_PARTITION, "lo": low, "hi": high},
            )
        ]
        return sorted(found, key=lambda r: (r.created_at, r.id))

    # --- policy ---------------------------------------------------------------------------
    def save_policy(
        self, policy: dict[str, Any], changed_by: str, changed_at: datetime, expected_version: int | None = None
    ) -> PolicyVersion:
        text = dump_policy(policy)
        when = to_utc_iso(changed_at, "changed_at")
        for attempt in range(MAX_ATTEMPTS):
            counter = self._get(self._policy, _POLICY_PARTITION, _POLICY_COUNTER)
            version = 1 if counter is None else int(counter["latest"]) + 1
            # The counter is replaced only if unchanged since this read (ETag), so the check holds.
            if expected_version is not None and version - 1 != expected_version:
                raise stale_policy(version - 1, expected_version)
            bumped = {"PartitionKey": _POLICY_PARTITION, "RowKey": _POLICY_COUNTER, "latest": version}
            operations: list[Operation] = [
                ("create", bumped) if counter is None else ("update", bumped, _replace_if_unchanged(_etag(counter))),
                (
                    "create",
                    {
                        "PartitionKey": _POLICY_PARTITION,
                        "RowKey": f"v{version:010d}",
                        "version": version,
                        "policy": text,
                        "changed_by": changed_by,
                        "changed_at": when,
                    },
                ),
            ]
            if self._submit(self._policy, operations):
                return PolicyVersion(version, load_policy(text), changed_by, from_utc_iso(when))
            pause(attempt)
        raise Conflict("policy", f"gave up after {MAX_ATTEMPTS} concurrent-save retries")

    def latest_policy(self) -> PolicyVersion | None:
        counter = self._get(self._policy, _POLICY_PARTITION, _POLICY_COUNTER)
        if counter is None:
            return None
        # The counter and its version row are written in one transaction, so the row exists.
        return self._policy_version(self._policy.get_entity(_POLICY_PARTITION, f"v{int(counter['latest']):010d}"))

    def policy_history(self) -> list[PolicyVersion]:
        """Every version, oldest (1) first."""
        rows = self._policy.query_entities(
            "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
            parameters={"pk": _POLICY_PARTITION, "lo": "v", "hi": "w"},
        )
        return sorted((self._policy_version(row) for row in rows), key=lambda v: v.version)

    @staticmethod
    def _policy_version(entity: Mapping[str, Any]) -> PolicyVersion:
        return PolicyVersion(
            version=int(entity["version"]),
            policy=load_policy(entity["policy"]),
            changed_by=str(entity["changed_by"]),
            changed_at=from_utc_iso(str(entity["changed_at"])),
        )

    # --- sync checkpoints -----------------------------------------------------------------
    def get_checkpoint(self, name: str) -> str | None:
        entity = self._get(self._checkpoints, escape_key(name), "")
        return None if entity is None else str(entity["value"])

    def set_checkpoint(self, name: str, value: str) -> None:
        self._checkpoints.upsert_entity(
            {"PartitionKey": escape_key(name), "RowKey": "", "value": value}, mode=UpdateMode.REPLACE
        )

    def read_checkpoint(self, name: str) -> Checkpoint | None:
        entity = self._get(self._checkpoints, escape_key(name), "")
        return None if entity is None else Checkpoint(str(entity["value"]), _etag(entity))

    def replace_checkpoint(self, name: str, value: str, expected: Checkpoint | None) -> bool:
        entity = {"PartitionKey": escape_key(name), "RowKey": "", "value": value}
        try:
            if expected is None:
                self._checkpoints.create_entity(entity)
            else:
                self._checkpoints.update_entity(entity, **_replace_if_unchanged(expected.version))
        except (ResourceExistsError, ResourceNotFoundError):
            return False
        except HttpResponseError as exc:
            if exc.status_code in _RACE_STATUSES:
                return False
            raise
        return True

    # --- session checklists ---------------------------------------------------------------
    def get_checklist(self, session_id: str) -> Checklist | None:
        entity = self._get(self._checklists, escape_key(session_id), "")
        return None if entity is None else checklist_from_record({**entity, "session_id": session_id})

    def save_checklist(self, checklist: Checklist, expected_version: int) -> Checklist:
        key = escape_key(checklist.session_id)
        saved = replace(checklist, version=expected_version + 1)
        record = {k: v for k, v in checklist_to_record(saved).items() if v is not None and k != "session_id"}
        entity = {"PartitionKey": key, "RowKey": "", **record}
        current = self._get(self._checklists, key, "")
        held = 0 if current is None else int(current["version"])
        if held != expected_version:
            raise stale_checklist(held, expected_version)
        try:
            if current is None:
                self._checklists.create_entity(entity)
            else:
                self._checklists.update_entity(entity, **_replace_if_unchanged(_etag(current)))
        except (ResourceExistsError, ResourceNotFoundError):
            raise self._stale_now(key, expected_version) from None
        except HttpResponseError as exc:
            if exc.status_code in _RACE_STATUSES:
                raise self._stale_now(key, expected_version) from None
            raise
        return saved

    def _stale_now(self, key: str, expected_version: int) -> Conflict:
        latest = self._get(self._checklists, key, "")
        return stale_checklist(0 if latest is None else int(latest["version"]), expected_version)
