"""The storage port: one interface, implemented by SQLite (default) and Azure Table Storage.

Concurrency is the store's job: `claim_slot` is atomic, `claim_idempotency` is insert-if-absent,
and `update_session` is a read-modify-write retried under optimistic concurrency, so callers never
see ETags or row versions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.errors import NotFound
from core.model import Checklist, MentoringRequest, Session, SessionState

__all__ = ["Checkpoint", "IdempotencyRecord", "PolicyVersion", "SessionNotFound", "Store"]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A checkpoint's value and its version (an ETag for Table Storage): what a compare-and-set expects."""

    value: str
    version: str


class SessionNotFound(NotFound):
    """No stored session has this id (HTTP 404, like any `NotFound`)."""

    def __init__(self, session_id: str) -> None:
        super().__init__("id", f"no session {session_id}")
        self.session_id = session_id


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    key: str
    body_hash: str
    session_id: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    version: int
    policy: dict[str, Any]
    changed_by: str
    changed_at: datetime


class Store(Protocol):
    # --- booking safety -------------------------------------------------------------------
    def claim_idempotency(self, record: IdempotencyRecord) -> IdempotencyRecord:
        """Store `record` unless its key exists; return whichever record holds the key now."""

    def find_idempotency(self, key: str) -> IdempotencyRecord | None:
        """The record holding `key`, or None: a look-up that claims nothing (onboarding's rerun)."""

    def claim_slot(
        self, mentor: str, cells: Sequence[datetime], session_id: str, claimed_at: datetime | None = None
    ) -> None:
        """Atomically hold every cell for `session_id`; all or nothing. `claimed_at` (default: now) is
        kept with the claim for `release_orphan_claims`.

        Raises `core.errors.Conflict` if any cell is held by another session. Cells already held
        by the same session are fine (a retried booking re-claims its own cells)."""

    def release_slot(self, mentor: str, session_id: str) -> None:
        """Free every cell `session_id` holds for `mentor` (cancel, move)."""

    def release_orphan_claims(self, *, claimed_before: datetime, cells_from: datetime) -> int:
        """Free the claims made before `claimed_before`, on cells at or after `cells_from`, whose session
        was never written or is cancelled; returns how many cells were freed.

        The safety net for a booking that died between claiming its slot and writing its session (no
        session row, so nothing else would ever free the slot). Claims of live sessions are kept."""

    # --- sessions -------------------------------------------------------------------------
    def add_session(self, session: Session) -> Session:
        """Insert; if a session with this id exists, return the stored one unchanged."""

    def get_session(self, session_id: str) -> Session | None: ...

    def update_session(self, session_id: str, change: Callable[[Session], Session]) -> Session:
        """Apply `change` to the current stored session and save it; retried on concurrent writes.
        Raises `SessionNotFound`."""

    def list_sessions(
        self,
        *,
        mentor: str | None = None,
        start_from: datetime | None = None,
        start_to: datetime | None = None,
        states: Iterable[SessionState] | None = None,
    ) -> list[Session]:
        """Sessions filtered by mentor, `start_from <= start < start_to` and state, by start."""

    # --- requests -------------------------------------------------------------------------
    def add_request(self, request: MentoringRequest) -> MentoringRequest: ...

    def get_request(self, request_id: str) -> MentoringRequest | None: ...

    def list_requests(
        self, *, created_from: datetime | None = None, created_to: datetime | None = None
    ) -> list[MentoringRequest]: ...

    # --- policy ---------------------------------------------------------------------------
    def save_policy(
        self, policy: dict[str, Any], changed_by: str, changed_at: datetime, expected_version: int | None = None
    ) -> PolicyVersion:
        """Append a new version (1, 2, …); concurrent saves each get their own version number.

        With `expected_version` (0 = nothing saved yet) the save happens only if that is still the
        latest version, atomically; otherwise `core.errors.Conflict` on field `If-Match`."""

    def latest_policy(self) -> PolicyVersion | None: ...

    def policy_history(self) -> list[PolicyVersion]: ...

    # --- sync checkpoints (delta links, subscription ids, …) ------------------------------
    def get_checkpoint(self, name: str) -> str | None: ...

    def set_checkpoint(self, name: str, value: str) -> None:
        """Last writer wins: for values that only one writer owns (or where any recent one will do)."""

    def read_checkpoint(self, name: str) -> Checkpoint | None:
        """The checkpoint with its version, for `replace_checkpoint`."""

    def replace_checkpoint(self, name: str, value: str, expected: Checkpoint | None) -> bool:
        """Write `value` only if the checkpoint is still `expected` (None: only if there is none yet);
        False, writing nothing, when another writer changed it meanwhile (their value stands)."""

    # --- session checklists ---------------------------------------------------------------
    def get_checklist(self, session_id: str) -> Checklist | None:
        """The session's saved checklist, or None before its first save."""

    def save_checklist(self, checklist: Checklist, expected_version: int) -> Checklist:
        """Save `checklist` (every field: saving twice keeps the last) as version `expected_version + 1`,
        only if the stored version is still `expected_version` (0: nothing saved yet), atomically;
        otherwise `core.errors.Conflict` on field `version`, writing nothing. Returns what was stored."""
