"""Is a URL the local emulator's? The one test that tells a dev setup from a real tenant.

Deliberately no list of Microsoft hosts: every sovereign cloud and every alias of a sign-in host is a
real tenant, and a list would always miss one. Only loopback addresses are local.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["is_loopback_url"]


def is_loopback_url(url: str | None) -> bool:
    """True when `url` names a loopback host (127.0.0.0/8, ::1 or localhost)."""
    if not url:
        return False
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return False
    if not host:
        return False
    if host.rstrip(".").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
