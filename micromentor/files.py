"""Files the command line reads: a focus-time policy given with `--policy`."""

from __future__ import annotations

import json
from pathlib import Path

from core.errors import InputError
from policies import TenantPolicy, parse_policy

__all__ = ["read_policy_file"]


def read_policy_file(path: str | None) -> TenantPolicy:
    """The policy in `path` (policy.md's JSON), or the defaults when no path is given; errors name
    `--policy` and the field."""
    if path is None:
        return TenantPolicy()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError("--policy", f"no such file: {path}") from exc
    except json.JSONDecodeError as exc:
        raise InputError("--policy", f"malformed JSON: {exc}") from exc
    try:
        return parse_policy(data)
    except InputError as exc:
        raise InputError(f"--policy {exc.field}", exc.message) from exc
