"""The layers hold: `lint-imports` (import-linter, the dev extra) checks the contracts in pyproject.toml.

Running it here puts the contracts in CI, which runs pytest: an import that runs back up fails the build."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), "import-linter is missing: install the dev extra (pip install -e '.[dev]')"
    done = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_the_contracts_cover_what_the_architecture_promises() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    contracts = config["contracts"]
    layers = [c for c in contracts if c["type"] == "layers"]
    assert [c["layers"] for c in layers] == [["functions", "services", "core"]]
    forbidden = {
        (tuple(c["source_modules"]), c.get("allow_indirect_imports", False)): set(c["forbidden_modules"])
        for c in contracts
        if c["type"] == "forbidden"
    }
    pure = forbidden[(("core", "policies", "reporting"), False)]
    assert {"graph", "store", "services", "functions", "azure", "msgraph", "msal", "httpx"} <= pure
    assert "graph.timezones" in forbidden[(("services",), True)]
    assert {"functions", "micromentor"} <= forbidden[(("identity",), True)]
