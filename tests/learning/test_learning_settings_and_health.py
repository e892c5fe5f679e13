"""Learning-record settings (validation naming the setting) and what health says about the outbox."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.errors import InputError
from core.model import Session, SessionState
from graph.config import GraphSettings
from learning.settings import load_learning_settings
from micromentor.bootstrap import Runtime
from micromentor.settings import Settings, load_settings
from services.health import check_health
from services.learning import log_learning_records
from tests.learning.conftest import stored_statements

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_settings_default_to_off_and_derive_names() -> None:
    assert load_settings({}).learning is None
    on = load_settings(
        {"MICROMENTOR_LRS_URL": "https://lrs.example.com/xAPI/", "MICROMENTOR_TENANT_ID": "t-1",
         "MICROMENTOR_CLIENT_ID": "c-1", "MICROMENTOR_PUBLIC_URL": "https://mm.example.com"},
        refuse_local_defaults=False,
    )  # fmt: skip
    assert on.learning is not None and on.learning.lrs is not None
    assert on.learning.lrs.statements_url == "https://lrs.example.com/xAPI/statements"
    assert on.learning.xapi.activity_base == "https://mm.example.com/xapi"
    assert on.learning.xapi.account_home_page == "https://login.microsoftonline.com/t-1"
    assert on.learning.viva_provider_id is None


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({"MICROMENTOR_LRS_URL": "http://lrs.example.com/xAPI"}, "MICROMENTOR_LRS_URL"),  # basic auth in clear
        ({"MICROMENTOR_LRS_URL": "https://lrs.example.com", "MICROMENTOR_LRS_KEY": "k"}, "MICROMENTOR_LRS_SECRET"),
        ({"MICROMENTOR_LRS_URL": "https://l.example.com", "MICROMENTOR_LRS_SECRET": "s"}, "MICROMENTOR_LRS_KEY"),
        ({"MICROMENTOR_XAPI_ACTIVITY_BASE": "urn:x"}, "MICROMENTOR_XAPI_ACTIVITY_BASE"),
        (
            {"MICROMENTOR_VIVA_PROVIDER_ID": "p", "MICROMENTOR_VIVA_CONTENT_URL": "http://x"},
            "MICROMENTOR_VIVA_CONTENT_URL",
        ),
    ],
)
def test_bad_settings_name_the_setting(env: dict[str, str], field: str) -> None:
    with pytest.raises(InputError) as caught:
        load_learning_settings(env, public_url="http://127.0.0.1:7071", tenant_id=None)
    assert caught.value.field == field


def test_loopback_lrs_may_be_plain_http() -> None:
    settings = load_learning_settings(
        {"MICROMENTOR_LRS_URL": "http://127.0.0.1:8080/xAPI"}, public_url="http://127.0.0.1:7071", tenant_id=None
    )
    assert settings.lrs is not None and settings.lrs.url == "http://127.0.0.1:8080/xAPI"


def _runtime(tmp_path: Path, graph_settings: GraphSettings, lrs_url: str) -> Runtime:
    learning = load_learning_settings(
        {"MICROMENTOR_LRS_URL": lrs_url}, public_url="http://127.0.0.1:7071", tenant_id=None
    )
    settings = Settings(graph=graph_settings, store_url=f"sqlite:///{tmp_path / 'store.db'}", learning=learning)
    rt = Runtime(settings, clock=lambda: NOW)
    start = NOW - timedelta(days=1)
    rt.store.add_session(
        Session("s-1", "maya@contoso.example", ("ana@contoso.example",), start, start + timedelta(minutes=20), "How?",
                start, SessionState.COMPLETED, topic="Excel")
    )  # fmt: skip
    return rt


def test_health_shows_records_waiting_on_an_lrs_that_is_down_then_clears(
    tmp_path: Path, graph_settings: GraphSettings, lrs: str
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}/xAPI"
    rt = _runtime(tmp_path, graph_settings, down)

    async def main() -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            assert rt.settings.learning is not None
            result = await log_learning_records(rt.store, rt.settings.learning, NOW)
            return result, await check_health(rt)
        finally:
            await rt.aclose()

    result, health = asyncio.run(main())
    assert result == {"queued": 1, "sent": 0, "retrying": 1, "failed": 0}
    assert health["status"] == "degraded"
    check = health["checks"]["learningRecords"]
    assert (check["ok"], check["pending"], check["retrying"], check["failed"]) == (False, 1, 1, 0)
    assert check["lastError"].startswith("LRS unreachable")

    up = _runtime(tmp_path, graph_settings, lrs)  # the same store, the LRS now reachable

    async def later() -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            assert up.settings.learning is not None
            when = NOW + timedelta(minutes=1)
            return await log_learning_records(up.store, up.settings.learning, when), await check_health(up)
        finally:
            await up.aclose()

    result, health = asyncio.run(later())
    assert result == {"queued": 0, "sent": 1, "retrying": 0, "failed": 0}
    assert health["checks"]["learningRecords"] == {"ok": True, "pending": 0, "retrying": 0, "failed": 0, "sent": 1}
    assert len(stored_statements(lrs)) == 1
