"""What `serve` and `emulator` use without `--tenant`: the tenant of the last `micromentor demo` run in this
folder (it leaves `.micromentor/demo.json`), else the built-in Contoso seed. They say which on stderr.

The demo's store is not reused: its sessions point at meetings that lived in the demo's own emulator,
which ended with the demo, so a sync against a fresh emulator would find them gone and cancel them.
`serve` and `emulator` use the default store instead; `report --store .micromentor/demo.db` reads the demo's.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["CONTOSO_SEED", "DEMO_POINTER", "default_seed", "last_demo", "write_demo_pointer"]

CONTOSO_SEED = Path(__file__).resolve().parent.parent / "emulator" / "seeds" / "contoso.json"
DEMO_POINTER = Path(".micromentor") / "demo.json"


def write_demo_pointer(out_dir: Path, *, tenant: Path, store: Path) -> None:
    """Written by the demo when its output folder is the default one, where `serve` looks."""
    if out_dir.resolve() != DEMO_POINTER.parent.resolve():
        return
    body = {"tenant": str(tenant.resolve()), "store": str(store.resolve())}
    DEMO_POINTER.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")


def last_demo() -> tuple[str, str] | None:
    """(tenant seed, store) of the last demo run in this folder, when its seed is still there."""
    try:
        data = json.loads(DEMO_POINTER.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    tenant, store = data.get("tenant"), data.get("store")
    if not isinstance(tenant, str) or not isinstance(store, str) or not Path(tenant).is_file():
        return None
    return tenant, store


def default_seed() -> tuple[str, str]:
    """The seed to use without `--tenant`, and a sentence saying which and why (for stderr)."""
    demo = last_demo()
    if demo is not None:
        tenant, store = demo
        return tenant, (
            f"no --tenant: using the tenant of the last `micromentor demo` here, {tenant} (the demo's own "
            f"store {store} is left alone: read it with `micromentor report --store {store}`)"
        )
    return str(CONTOSO_SEED), (
        f"no --tenant: using the built-in Contoso tenant {CONTOSO_SEED} (run `micromentor demo` first to use "
        "its organisation, or pass --tenant SEED.json)"
    )
