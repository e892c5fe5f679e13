"""Learning-record settings from the environment: where statements go, and how actors and activities are named.

MICROMENTOR_LRS_URL               the LRS's xAPI endpoint (statements go to <url>/statements); unset = off
MICROMENTOR_LRS_KEY / _SECRET     the LRS client's key and secret (HTTP basic auth)
MICROMENTOR_XAPI_ACTIVITY_BASE    IRI the activities sit under (default: MICROMENTOR_PUBLIC_URL + /xapi)
MICROMENTOR_XAPI_ACCOUNT_HOMEPAGE actors' account homePage (default: the tenant's Entra ID authority)
MICROMENTOR_VIVA_PROVIDER_ID      a Viva Learning provider's registration id; unset = no Viva records
MICROMENTOR_VIVA_CONTENT_URL      web page each Viva learning content links to (default: the activity base)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.errors import InputError
from core.xapi import XapiConfig
from micromentor.loopback import is_loopback_url

__all__ = ["LearningSettings", "LrsSettings", "load_learning_settings"]


@dataclass(frozen=True, slots=True)
class LrsSettings:
    url: str  # the xAPI endpoint, without a trailing slash
    key: str | None = None
    secret: str | None = None
    timeout_seconds: float = 10.0

    @property
    def statements_url(self) -> str:
        return self.url + "/statements"


@dataclass(frozen=True, slots=True)
class LearningSettings:
    xapi: XapiConfig
    lrs: LrsSettings | None = None
    viva_provider_id: str | None = None
    viva_content_url: str | None = None

    @property
    def enabled(self) -> bool:
        return self.lrs is not None or self.viva_provider_id is not None


def _https_or_loopback(name: str, url: str) -> str:
    url = url.strip().rstrip("/")
    if url.lower().startswith("https://") or (url.lower().startswith("http://") and is_loopback_url(url)):
        return url
    # Basic auth sends the secret with every request: only over TLS, or on this machine.
    raise InputError(name, f"expected an https:// URL (http:// only on loopback), got {url!r}")


def load_learning_settings(env: Mapping[str, str], *, public_url: str, tenant_id: str | None) -> LearningSettings:
    lrs = None
    if raw := (env.get("MICROMENTOR_LRS_URL") or "").strip():
        key, secret = env.get("MICROMENTOR_LRS_KEY") or None, env.get("MICROMENTOR_LRS_SECRET") or None
        if (key is None) != (secret is None):
            missing = "MICROMENTOR_LRS_SECRET" if secret is None else "MICROMENTOR_LRS_KEY"
            raise InputError(missing, "set both the LRS key and secret, or neither")
        lrs = LrsSettings(url=_https_or_loopback("MICROMENTOR_LRS_URL", raw), key=key, secret=secret)
    base = (env.get("MICROMENTOR_XAPI_ACTIVITY_BASE") or "").strip() or public_url.rstrip("/") + "/xapi"
    home = (env.get("MICROMENTOR_XAPI_ACCOUNT_HOMEPAGE") or "").strip() or (
        f"https://login.microsoftonline.com/{tenant_id}" if tenant_id else None
    )
    try:
        xapi = XapiConfig(activity_base=base, account_home_page=home)
    except InputError as exc:
        name = "MICROMENTOR_XAPI_ACTIVITY_BASE" if exc.field == "activity_base" else "MICROMENTOR_XAPI_ACCOUNT_HOMEPAGE"
        raise InputError(name, exc.message) from exc
    provider = (env.get("MICROMENTOR_VIVA_PROVIDER_ID") or "").strip() or None
    content_url = (env.get("MICROMENTOR_VIVA_CONTENT_URL") or "").strip() or None
    if content_url is not None and not content_url.lower().startswith("https://"):
        raise InputError("MICROMENTOR_VIVA_CONTENT_URL", f"expected an https:// URL, got {content_url!r}")
    return LearningSettings(xapi=xapi, lrs=lrs, viva_provider_id=provider, viva_content_url=content_url)
