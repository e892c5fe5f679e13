"""Install size of the runtime: a clean venv from requirements.txt alone (what Azure's remote build
installs), built with uv as tests/app/test_packaging.py builds it, then sizes per distribution.

    .venv/bin/python bench/install_size.py [--top 15]

Sizes are the bytes of the files each distribution's RECORD lists (bytecode uv compiles included when
listed); "site-packages" is everything under the venv's site-packages on disk (du -sb). Then msgraph-sdk
in detail: its generated request builders and models by top-level folder, and how much of the package
the modules micromentor actually imports make up (what a trimmed SDK could keep).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, table
from uv import find_uv_bin

__all__ = ["main"]

KEEP = {"users", "subscriptions", "models"}  # what graph/ reaches in msgraph/generated

PROBE = r"""
import json, sys
from importlib import metadata
from pathlib import Path
site = Path(next(p for p in sys.path if p.endswith("site-packages")))
sizes = {}
for dist in metadata.distributions(path=[str(site)]):
    total = 0
    for entry in dist.files or ():
        path = Path(dist.locate_file(entry))
        if path.is_file():
            total += path.stat().st_size
    sizes[dist.metadata["Name"]] = total
msgraph = site / "msgraph"
folders = {}
for path in msgraph.rglob("*"):
    if path.is_file():
        parts = path.relative_to(msgraph).parts
        deep = parts[0] == "generated" and len(parts) > 2
        key = "generated/" + parts[1] if deep else parts[0] + " (files and folders outside generated/*/)"
        folders[key] = folders.get(key, 0) + path.stat().st_size
print(json.dumps({"site": str(site), "sizes": sizes, "msgraph": folders}))
"""

USED = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import function_app, micromentor.cli, services.sync, services.slots, services.booking  # what runs
mods = [m for name, m in list(sys.modules.items()) if name.split(".")[0] == "msgraph"]
files = [m.__file__ for m in mods if getattr(m, "__file__", None)]
print(json.dumps(files))
"""


def du(path: Path) -> int:
    return int(subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True).stdout.split()[0])


def mb(size: float) -> str:
    return f"{size / 1e6:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--compile", action="store_true", help="compile bytecode at install, as pip and Oryx do")
    args = parser.parse_args()
    uv = find_uv_bin()
    with tempfile.TemporaryDirectory(prefix="mm-bench-install-") as folder:
        venv = Path(folder) / "venv"
        subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
        python = venv / "bin" / "python"
        install = [uv, "pip", "install", "--quiet", "--python", str(python), "-r", str(ROOT / "requirements.txt")]
        install += ["--compile-bytecode"] if args.compile else []
        subprocess.run(install, check=True, cwd=ROOT)
        found = json.loads(
            subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, check=True).stdout
        )
        site = Path(found["site"])
        total = du(site)
        sizes: dict[str, int] = found["sizes"]
        rows = [
            [name, mb(size), f"{size / total:.0%}"]
            for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[: args.top]
        ]
        rows.append([f"(all {len(sizes)} distributions)", mb(sum(sizes.values())), ""])
        rows.append(["site-packages on disk (du -sb)", mb(total), "100%"])
        print(table("Runtime install: a clean venv from requirements.txt", ["distribution", "MB", "share"], rows))
        folders: dict[str, int] = found["msgraph"]
        msgraph_total = sum(folders.values())
        rows = [
            [key, mb(size), f"{size / msgraph_total:.0%}"]
            for key, size in sorted(folders.items(), key=lambda kv: -kv[1])[:8]
        ]
        used = json.loads(
            subprocess.run(
                [str(python), "-c", USED, str(ROOT)], capture_output=True, text=True, check=True, cwd=ROOT
            ).stdout
        )
        used_bytes = sum(Path(f).stat().st_size for f in used)
        rows.append(
            [f"modules micromentor imports ({len(used)} files)", mb(used_bytes), f"{used_bytes / msgraph_total:.1%}"]
        )
        # Request-builder trees under msgraph/generated that micromentor never reaches: graph/ uses
        # `client.users`, `client.subscriptions` and `client.batch` (msgraph-core) only, and the models.
        # What a trimmed install could drop; not applied (the SDK's wheel ships them all).
        unused = sum(
            size for key, size in folders.items() if key.startswith("generated/") and key.split("/")[1] not in KEEP
        )
        rows.append(
            [f"request builders outside {', '.join(sorted(KEEP))}", mb(unused), f"{unused / msgraph_total:.0%}"]
        )
        rows.append(["msgraph (all)", mb(msgraph_total), "100%"])
        print(table("msgraph-sdk by folder", ["folder", "MB", "share"], rows))


if __name__ == "__main__":
    main()
