"""Storage adapters behind the `store.base.Store` port, chosen by URL with `open_store`.

URLs:
    sqlite:///relative/path.db     SQLite file relative to the working directory
    sqlite:////absolute/path.db    SQLite file at an absolute path (four slashes, as in SQLAlchemy)
    sqlite:///:memory:             private in-memory SQLite database (tests)
    tables:<connection string>     Azure Table Storage / Azurite, e.g.
                                   tables:DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;…
    tables:https://<account>.table.core.windows.net
                                   Azure Table Storage through the managed identity (store.azure_identity)
                                   optional `TablePrefix=xyz;` segment picks the table-name prefix
"""

from __future__ import annotations

import re

from core.errors import InputError
from store.base import Checkpoint, IdempotencyRecord, PolicyVersion, SessionNotFound, Store

__all__ = ["Checkpoint", "IdempotencyRecord", "PolicyVersion", "SessionNotFound", "Store", "open_store"]

_SQLITE = "sqlite:///"
_TABLES = "tables:"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,20}")


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
        from store.azure_identity import parse_tables_target, table_credential

        target = parse_tables_target(url[len(_TABLES) :])
        # Imported here so SQLite-only use never loads the Azure SDK.
        from store.tables import DEFAULT_TABLE_PREFIX, TableStore

        prefix = DEFAULT_TABLE_PREFIX if target.prefix is None else target.prefix
        if target.endpoint is not None:
            return TableStore(endpoint=target.endpoint, credential=table_credential(), table_prefix=prefix)
        return TableStore(target.connection_string, prefix)
    # Name the scheme only when it looks like one: a bare connection string would leak its key here.
    scheme = url.split(":", 1)[0]
    what = f"scheme {scheme!r}" if _SCHEME.fullmatch(scheme) and ":" in url else "URL"
    raise InputError("store", f"unsupported store {what}; expected sqlite:///<path> or tables:<connection string>")
