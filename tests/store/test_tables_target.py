"""MICROMENTOR_STORE=tables:…: a connection string (Azurite) or an account endpoint reached with the
managed identity. Azurite takes Entra ID tokens only over HTTPS in its --oauth mode, which CI does not
run, so the identity path is tested up to the SDK client it builds."""

from __future__ import annotations

import pytest
from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

from core.errors import InputError
from store import open_store
from store.azure_identity import parse_tables_target, table_credential

ENDPOINT = "https://mmstore.table.core.windows.net"


@pytest.mark.parametrize(
    ("text", "connection_string", "prefix"),
    [
        ("UseDevelopmentStorage=true", "UseDevelopmentStorage=true", None),
        ("UseDevelopmentStorage=true;TablePrefix=ci1", "UseDevelopmentStorage=true", "ci1"),
        (
            "DefaultEndpointsProtocol=http;AccountName=a;TableEndpoint=http://127.0.0.1:10002/a;",
            "DefaultEndpointsProtocol=http;AccountName=a;TableEndpoint=http://127.0.0.1:10002/a",
            None,
        ),
        ("TableEndpoint=https://x.table.core.windows.net;SharedAccessSignature=sv=1", None, None),
    ],
)
def test_connection_strings_stay_connection_strings(
    text: str, connection_string: str | None, prefix: str | None
) -> None:
    target = parse_tables_target(text)
    assert target.endpoint is None
    assert target.connection_string == (connection_string or text)
    assert target.prefix == prefix


def test_an_account_endpoint_is_reached_with_a_token() -> None:
    target = parse_tables_target(f"{ENDPOINT}/;TablePrefix=prod")
    assert (target.endpoint, target.connection_string, target.prefix) == (ENDPOINT, None, "prod")


@pytest.mark.parametrize("text", ["http://mmstore.table.core.windows.net", "https://", ";TablePrefix=x", ""])
def test_an_endpoint_needs_https_and_a_host(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_tables_target(text)
    assert caught.value.field == "store"


def test_the_user_assigned_identity_named_by_azure_client_id() -> None:
    credential = table_credential({"AZURE_CLIENT_ID": "3f1c0a7e-0000-4000-8000-000000000001"})
    assert isinstance(credential, ManagedIdentityCredential)


def test_without_a_client_id_the_default_chain() -> None:
    assert isinstance(table_credential({}), DefaultAzureCredential)


def test_open_store_with_an_endpoint_asks_the_identity_for_a_storage_token(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, ...]] = []

    class Refusing:
        def get_token(self, *scopes: str, **_: object) -> object:
            asked.append(scopes)
            raise RuntimeError("no identity here")

    monkeypatch.setattr("store.azure_identity.table_credential", lambda env=None: Refusing())
    with pytest.raises(RuntimeError, match="no identity here"):
        open_store(f"tables:{ENDPOINT}")  # creating the tables is the first call: it needs a token
    assert asked and asked[0] == ("https://storage.azure.com/.default",)
