"""After `micromentor demo`, `emulator` and `serve` without --tenant use the demo's tenant and say so; the
demo's own store is named and left alone (its meetings lived in the demo's emulator)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from micromentor.demo_defaults import CONTOSO_SEED, default_seed, last_demo, write_demo_pointer
from tests.conftest import TENANT_SEED


def test_without_a_demo_the_built_in_tenant_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    seed, said = default_seed()
    assert seed == str(CONTOSO_SEED)
    assert "built-in Contoso tenant" in said and "micromentor demo" in said


def test_the_demo_pointer_is_written_only_for_the_default_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".micromentor").mkdir()
    seed = tmp_path / ".micromentor" / "demo-tenant.json"
    shutil.copy(TENANT_SEED, seed)
    write_demo_pointer(tmp_path / "elsewhere", tenant=seed, store=tmp_path / "x.db")
    assert last_demo() is None
    write_demo_pointer(Path(".micromentor"), tenant=seed, store=Path(".micromentor/demo.db"))
    assert last_demo() == (str(seed.resolve()), str((tmp_path / ".micromentor" / "demo.db").resolve()))
    chosen, said = default_seed()
    assert chosen == str(seed.resolve())
    assert f"the demo's own store {(tmp_path / '.micromentor' / 'demo.db').resolve()} is left alone" in said
    seed.unlink()  # a pointer to a seed that is gone is not followed
    assert last_demo() is None and default_seed()[0] == str(CONTOSO_SEED)


def test_emulator_without_tenant_after_a_demo_serves_the_demos_people(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".micromentor").mkdir()
    seed = tmp_path / ".micromentor" / "demo-tenant.json"
    shutil.copy(TENANT_SEED, seed)  # stands in for the demo's organisation (the demo takes ~20 s)
    monkeypatch.chdir(tmp_path)
    write_demo_pointer(Path(".micromentor"), tenant=seed, store=Path(".micromentor/demo.db"))
    process = subprocess.Popen(
        [sys.executable, "-m", "micromentor", "emulator"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        settings = json.loads((tmp_path / ".micromentor" / "emulator.json").read_text(encoding="utf-8"))
        assert settings["seed"] == str(seed.resolve())
        assert ready["authority"].endswith("/11111111-2222-3333-4444-555555555555")  # the seed's tenantId
        assert ready["store"] == f"sqlite:///{(tmp_path / '.micromentor' / 'micromentor.db').resolve()}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    assert process.stderr is not None
    err = process.stderr.read()
    assert f"no --tenant: using the tenant of the last `micromentor demo` here, {seed.resolve()}" in err


def test_a_missing_store_after_a_demo_names_the_demos(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from micromentor.cli import main
    from store import open_store

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MICROMENTOR_STORE", raising=False)
    (tmp_path / ".micromentor").mkdir()
    seed = tmp_path / ".micromentor" / "demo-tenant.json"
    shutil.copy(TENANT_SEED, seed)
    open_store("sqlite:///.micromentor/demo.db")
    write_demo_pointer(Path(".micromentor"), tenant=seed, store=Path(".micromentor/demo.db"))
    assert main(["report"]) == 2
    demo_store = (tmp_path / ".micromentor" / "demo.db").resolve()
    assert capsys.readouterr().err == (
        "micromentor: --store: no store at .micromentor/micromentor.db: `book`, `serve` and `demo` create one "
        f"(see docs/cli.md); the last demo's is --store {demo_store}\n"
    )
    assert main(["report", "--store", str(demo_store)]) == 0
