"""The outcome messages' timer (functions/outcome_mail) through the local host, and `micromentor send-due`."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from micromentor.bootstrap import Runtime, configure
from micromentor.cli import main
from micromentor.settings import Settings
from micromentor.tenant import emulator_settings
from store.outbox import MessageState
from tests.conftest import TENANT_SEED, Admin
from tests.outcome_world import ANA, END, MAYA, TOPIC, CompletedSession


def test_the_timer_plans_and_sends(emulator: Any, admin: Admin, completed_session: CompletedSession) -> None:
    import function_app
    from micromentor.localhost import LocalHost

    url = completed_session.url
    runtime = Runtime(
        Settings(graph=emulator_settings(emulator), store_url=url, mail_sender=MAYA),
        clock=lambda: END + timedelta(minutes=30),
    )
    configure(runtime)
    try:
        host = LocalHost(function_app.app)
        asyncio.run(host.run_timer("send_outcome_messages"))
        states = {(m.person, m.kind.value): m.state for m in runtime.outbox.list_messages()}
        # Maya's follow-up goes (London working hours); Ana's question waits for Pacific morning.
        assert states[(MAYA, "mentor_followup")] is MessageState.SENT
        assert states[(ANA, "mentee_usefulness")] is MessageState.PENDING
        subjects = [m["subject"] for m in admin.get("/mail")["value"]]
        assert subjects == [f"Would you do another micro session on {TOPIC}?"]
        asyncio.run(host.run_timer("send_outcome_messages"))
        assert len(admin.get("/mail")["value"]) == 1
    finally:
        asyncio.run(runtime.aclose())
        configure(None)


def test_send_due_needs_a_sender(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MICROMENTOR_MAIL_SENDER", raising=False)
    code = main(["send-due", "--tenant", str(TENANT_SEED), "--store", str(tmp_path / "x.db")])
    assert code == 2
    assert "--sender" in capsys.readouterr().err


def test_send_due_from_the_command_line(
    completed_session: CompletedSession, capsys: pytest.CaptureFixture[str]
) -> None:
    db = completed_session.path
    code = main(
        [
            "send-due",
            "--tenant",
            str(TENANT_SEED),
            "--store",
            str(db),
            "--sender",
            MAYA,
            "--now",
            "2026-12-01T10:30:00Z",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert '"planned": 3' in out and '"sent": 1' in out and '"postponed": 1' in out


def test_send_due_names_a_sender_the_tenant_does_not_have(
    completed_session: CompletedSession, capsys: pytest.CaptureFixture[str]
) -> None:
    # A typo in --sender: every sendMail would be refused and held back for hours, with exit 0 and nothing said.
    db = completed_session.path
    argv = ["send-due", "--tenant", str(TENANT_SEED), "--store", str(db), "--now", "2026-12-01T10:30:00Z"]
    code = main([*argv, "--sender", "nobdy@contoso.example"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--sender: no user or mailbox nobdy@contoso.example" in err


def test_send_due_refuses_now_against_a_real_tenant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fixed clock is for the emulator: against real people it would send at a moment that is not theirs.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MICROMENTOR_SETTINGS", raising=False)
    for name, value in {
        "MICROMENTOR_TENANT_ID": "00000000-0000-0000-0000-00000000000a",
        "MICROMENTOR_CLIENT_ID": "00000000-0000-0000-0000-00000000000b",
        "MICROMENTOR_CLIENT_SECRET": "not-used",
        "MICROMENTOR_LINK_SECRET": "x" * 40,
        "MICROMENTOR_NOTIFICATION_STATE": "a-random-client-state",
        "MICROMENTOR_PUBLIC_URL": "https://mm.contoso.example",
    }.items():
        monkeypatch.setenv(name, value)
    code = main(["send-due", "--sender", MAYA, "--store", str(tmp_path / "x.db"), "--now", "2026-12-01T10:30:00Z"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("micromentor: --now: only against the emulator") and err.count("\n") == 1
