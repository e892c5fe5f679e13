"""Which Table Storage account to reach and how: a connection string (Azurite, or an account that still
has keys), or an account endpoint reached with an Entra ID token (the function app's managed identity).

    tables:UseDevelopmentStorage=true                       connection string (Azurite)
    tables:https://<account>.table.core.windows.net         endpoint + managed identity (no keys)
    either may carry a `;TablePrefix=xyz` segment

Azurite accepts Entra ID tokens only over HTTPS with its `--oauth basic` mode, which the tests do not run:
the identity path is covered by parsing and credential-choice tests, and by a deployment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from core.errors import InputError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

__all__ = ["TablesTarget", "parse_tables_target", "table_credential"]

_PREFIX_SETTING = "tableprefix"


@dataclass(frozen=True, slots=True)
class TablesTarget:
    connection_string: str | None = None
    endpoint: str | None = None  # https://<account>.table.core.windows.net, reached with a token
    prefix: str | None = None


def parse_tables_target(text: str) -> TablesTarget:
    """`text` is what follows `tables:` in MICROMENTOR_STORE."""
    kept: list[str] = []
    prefix: str | None = None
    # Our own `TablePrefix=…` segment comes out: the SDK would reject an unknown setting.
    for part in text.split(";"):
        name, _, value = part.partition("=")
        if name.strip().lower() == _PREFIX_SETTING:
            prefix = value.strip()
        elif part.strip():
            kept.append(part.strip())
    rest = ";".join(kept)
    if not rest:
        raise InputError("store", "tables URL without a connection string or account endpoint")
    if "://" not in rest.split(";", 1)[0] or "=" in rest.split("://", 1)[0]:
        return TablesTarget(connection_string=rest, prefix=prefix)
    endpoint = urlparse(rest)
    if endpoint.scheme != "https" or not endpoint.hostname:
        # The SDK refuses to send a bearer token over plain HTTP; say so before it does.
        raise InputError("store", "an account endpoint needs https://<account>.table.core.windows.net")
    return TablesTarget(endpoint=rest.rstrip("/"), prefix=prefix)


def table_credential(env: Mapping[str, str] | None = None) -> TokenCredential:
    """The user-assigned managed identity named by AZURE_CLIENT_ID (what infra/ sets), else the default
    chain (a system-assigned identity in Azure, `az login` on a developer's machine)."""
    env = os.environ if env is None else env
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    client_id = env.get("AZURE_CLIENT_ID")
    if client_id:
        return ManagedIdentityCredential(client_id=client_id)
    return DefaultAzureCredential()
