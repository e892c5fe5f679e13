"""Storage adapters behind the `store.base.Store` port, chosen by URL with `open_store`.

URLs:
    sqlite:///relative/path.db     SQLite file relative to the working directory
    sqlite:////absolute/path.db    SQLite file at an absolute path (four slashes, as in SQLAlchemy)
    sqlite:///:memory:             private in-memory SQLite database (tests)
    tables:<connection string>     Azure Table Storage / Azurite, e.g.
                                   tables:DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;…
                                   optional `TablePrefix=xyz;` segment picks the table-name prefix
"""

from __future__ import annotations

import re

from core.errors import InputError
from store.base import IdempotencyRecord, PolicyVersion, SessionNotFound, Store

__all__ = ["IdempotencyRecord", "PolicyVersion", "SessionNotFound", "Store", "open_store"]

_SQLITE = "sqlite:///"
_TABLES = "tables:"
_PREFIX_SETTING = "tableprefix"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,20}")


def _split_table_prefix(connection_string: str) -> tuple[str, str | None]:
    """Take our own `TablePrefix=…` segment out; the SDK would reject an unknown setting."""
    kept: list[str] = []
    prefix: str | None = None
    for part in connection_string.split(";"):
        name, _, value = part.partition("=")
        if name.strip().lower() == _PREFIX_SETTING:
            prefix = value.strip()
        elif part.strip():
            kept.append(part)
    return ";".join(kept), prefix


def open_store(url: str) -> Store:
    """The backend `url` names, opened (schema/tables created if absent)."""
    if not isinstance(url, str) or not url.strip():
        raise InputError("store", "empty store URL; expected sqlite:///<path> or tables:<connection string>")
    url = url.strip()
    if url.startswith(_SQLITE):
        path = url[len(_SQLITE) :]
        if not path:
            raise InputError("store", "sqlite URL without a path; e.g. sqlite:///.micromentor/store.db")
        from store.sqlite import SqliteStore

        return SqliteStore(path)
    if url.startswith(_TABLES):
        connection_string, prefix = _split_table_prefix(url[len(_TABLES) :])
        if not connection_string:
            raise InputError("store", "tables URL without a connection string")
        # Imported here so SQLite-only use never loads the Azure SDK.
        from store.tables import TableStore

        return TableStore(connection_string) if prefix is None else TableStore(connection_string, prefix)
    # Name the scheme only when it looks like one: a bare connection string would leak its key here.
    scheme = url.split(":", 1)[0]
    what = f"scheme {scheme!r}" if _SCHEME.fullmatch(scheme) and ":" in url else "URL"
    raise InputError("store", f"unsupported store {what}; expected sqlite:///<path> or tables:<connection string>")
