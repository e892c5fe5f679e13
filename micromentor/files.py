"""Files the command line reads: a focus-time policy given with `--policy`."""

from __future__ import annotations

from pathlib import Path

from core.errors import InputError
from core.jsontext import loads_limited
from policies import TenantPolicy, parse_policy

__all__ = ["read_policy_file"]


def read_policy_file(path: str | None) -> TenantPolicy:
    """The policy in `path` (policy.md's JSON), or the defaults when no path is given; errors name
    `--policy` and the field."""
    if path is None:
        return TenantPolicy()
    try:
        data = loads_limited(Path(path).read_text(encoding="utf-8"), "--policy")
    except FileNotFoundError as exc:
        raise InputError("--policy", f"no such file: {path}") from exc
    try:
        return parse_policy(data)
    except InputError as exc:
        raise InputError(f"--policy {exc.field}", exc.message) from exc
