"""What Azure deploys: requirements.txt matches pyproject's runtime dependencies, and the tree `.funcignore`
keeps imports and indexes every function in a clean venv built from requirements.txt alone."""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from uv import find_uv_bin

ROOT = Path(__file__).resolve().parents[2]
LOCAL_ONLY = {"starlette", "uvicorn", "croniter"}  # the local host's; never deployed


def _requirements(lines: list[str]) -> dict[str, Requirement]:
    parsed = [Requirement(line) for line in lines]
    return {canonicalize_name(r.name): r for r in parsed}


def requirements_txt() -> dict[str, Requirement]:
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    return _requirements([line for line in lines if line])


def pyproject() -> dict[str, object]:
    data: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data


def test_requirements_txt_is_pyprojects_runtime_dependencies() -> None:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    declared = _requirements(project["dependencies"])
    listed = requirements_txt()
    assert sorted(listed) == sorted(declared)
    for name, requirement in listed.items():
        assert requirement.specifier == declared[name].specifier, name
        assert requirement.extras == declared[name].extras, name


def test_the_local_host_and_test_tools_are_extras_that_the_dev_install_pulls_in() -> None:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    extras = project["optional-dependencies"]
    local = _requirements(extras["local"])
    assert set(local) == LOCAL_ONLY
    assert not LOCAL_ONLY & set(requirements_txt())
    assert "micromentor[local]" in extras["dev"]  # the README's `pip install -e '.[dev]'` still gets them


def _ignore_patterns() -> list[str]:
    lines = (ROOT / ".funcignore").read_text(encoding="utf-8").splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]


def funcignored(relative: str, patterns: list[str]) -> bool:
    """gitignore-style: a pattern with a slash matches the path from the root, one without any component."""
    parts = relative.split("/")
    for pattern in patterns:
        if "/" in pattern:
            depth = pattern.count("/") + 1
            if fnmatch.fnmatch("/".join(parts[:depth]), pattern):
                return True
        elif any(fnmatch.fnmatch(part, pattern) for part in parts):
            return True
    return False


def test_funcignore_matching_reads_like_gitignore() -> None:
    patterns = ["tests", "*.md", "addin/node_modules", ".git*"]
    assert funcignored("tests/app/x.py", patterns)
    assert funcignored("addin/README.md", patterns)
    assert funcignored("addin/node_modules/a/b.js", patterns)
    assert funcignored(".gitignore", patterns)
    assert not funcignored("addin/taskpane.js", patterns)
    assert not funcignored("functions/tests_helper.py", patterns)


# Local state that must never reach Azure: Azurite's tables hold sessions and UPNs, the others are a
# developer's store, settings, secrets and caches. Each is a path a developer's tree may hold.
LOCAL_STATE = [
    ".azurite/__azurite_db_table__.json",
    "__azurite_db_table__.json",
    "__azurite_db_queue_extent__.json",
    ".micromentor/micromentor.db",
    "local.settings.json",
    ".env",
    ".env.local",
    ".venv/bin/python",
    ".mypy_cache/3.12/cache.db",
    ".ruff_cache/0.6.0/123",
    ".pytest_cache/v/cache/lastfailed",
    ".hypothesis/examples/ab/cd",
    "micromentor.egg-info/PKG-INFO",
    "addin/node_modules/office-addin-manifest/package.json",
    "core/__pycache__/model.cpython-312.pyc",
]


def test_funcignore_keeps_local_state_out_of_the_package() -> None:
    patterns = _ignore_patterns()
    leaked = [path for path in LOCAL_STATE if not funcignored(path, patterns)]
    assert leaked == [], f"add these to .funcignore: {leaked}"
    for path in ("function_app.py", "host.json", "requirements.txt", "core/model.py", "addin/taskpane.js"):
        assert not funcignored(path, patterns), path


def deployed_tree(target: Path) -> list[str]:
    """Copy what `func azure functionapp publish` would upload (the tree less .funcignore) into `target`."""
    patterns = _ignore_patterns()
    kept: list[str] = []
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT).as_posix()
        if path.is_dir() or funcignored(relative, patterns):
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        kept.append(relative)
    return kept


# Run by the clean venv's interpreter in the copied tree: import and index as the Python worker does.
_PROBE = """
import json, sys
sys.path.insert(0, ".")  # -I leaves the working directory off the path; the worker puts the app root on it
import function_app
functions = function_app.app.get_functions()
for function in functions:
    json.loads(function.get_function_json())  # the worker's indexing serialises every binding
leaked = sorted(m for m in sys.modules if m.split(".")[0] in {"emulator", "starlette", "uvicorn", "croniter"})
print(json.dumps({"functions": sorted(f.get_function_name() for f in functions), "leaked": leaked}))
"""


def probe(python: Path | str, cwd: Path) -> dict[str, list[str]]:
    # A fresh interpreter: get_functions() may run once per process, and other tests have run it here.
    done = subprocess.run(
        [str(python), "-I", "-c", _PROBE],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    result: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.timeout(300)
def test_the_deployed_tree_imports_and_indexes_in_a_venv_from_requirements_txt_alone(tmp_path: Path) -> None:
    kept = deployed_tree(tmp_path / "site")
    assert "function_app.py" in kept and "host.json" in kept and "requirements.txt" in kept
    assert not any(name.startswith(("tests/", "emulator/", "bench/")) for name in kept)

    venv = tmp_path / "venv"
    uv = find_uv_bin()
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [uv, "pip", "install", "--quiet", "--python", str(python), "-r", "requirements.txt"]
    # uv's cache makes this a local install (about 3 s); only a cold cache goes to the index.
    offline = subprocess.run([*install, "--offline"], cwd=tmp_path / "site", capture_output=True, check=False)
    if offline.returncode != 0:
        subprocess.run(install, cwd=tmp_path / "site", check=True, capture_output=True)
    deployed = probe(python, tmp_path / "site")
    assert deployed["leaked"] == []
    assert deployed["functions"] == probe(sys.executable, ROOT)["functions"]  # the same as in the dev venv
    assert {"create_session", "plan_sync", "sync_work", "notifications"} <= set(deployed["functions"])
