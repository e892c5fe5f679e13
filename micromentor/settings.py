"""Settings from the environment (Azure app settings in production, local.settings.json locally)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import InputError
from core.segments import DEFAULT_MIN_SEGMENT, check_attribute_path, check_min_segment
from graph.config import GraphSettings
from learning.settings import LearningSettings, load_learning_settings
from micromentor.loopback import is_loopback_url

__all__ = ["DEFAULT_PUBLIC_URL", "DEFAULT_STORE", "Settings", "is_local_emulator", "load_settings"]

DEFAULT_STORE = "sqlite:///.micromentor/micromentor.db"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:7071"
DEV_LINK_SECRET = "change-me"
DEV_CLIENT_STATE = "micromentor-local-state"
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True, slots=True)
class Settings:
    graph: GraphSettings | None
    store_url: str = DEFAULT_STORE
    policy_file: str | None = None
    mentors_file: str | None = None  # JSON [{"upn", "skills": [...]}]: who mentors what, for requests
    queue_connection: str | None = None  # AzureWebJobsStorage; None = in-process queue
    api_audience: str = "api://micromentor"
    public_url: str = DEFAULT_PUBLIC_URL
    link_secret: str = "change-me"  # DEV_LINK_SECRET; refused against a real tenant
    notification_state: str = "micromentor-local-state"  # Graph clientState (≤ 128); DEV_CLIENT_STATE
    mail_sender: str | None = None  # MICROMENTOR_MAIL_SENDER: the outcome messages' sender mailbox
    mail_settle_minutes: int = 30  # MICROMENTOR_MAIL_SETTLE_MINUTES: wait before Sent Items decide (docs/outcomes.md)
    extra: Mapping[str, str] = field(default_factory=dict)
    learning: LearningSettings | None = None  # learning records (xAPI to an LRS, Viva Learning): learning/settings.py
    # The report: the smallest segment shown on its own, and the directory attribute read as work mode.
    report_min_segment: int = DEFAULT_MIN_SEGMENT
    report_work_mode_attribute: str | None = None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise InputError(name, f"expected a whole number, got {raw!r}") from exc


def _client_state(raw: str | None) -> str:
    if raw is None or raw == "":
        return DEV_CLIENT_STATE
    if len(raw) > 128:
        raise InputError("MICROMENTOR_NOTIFICATION_STATE", "Graph accepts at most 128 characters")
    return raw


def is_local_emulator(graph: GraphSettings) -> bool:
    """The dev-only emulator: its sign-in authority is on loopback."""
    return is_loopback_url(graph.authority_url)


def load_settings(env: Mapping[str, str] | None = None, *, refuse_local_defaults: bool = True) -> Settings:
    """`refuse_local_defaults=False` is for `micromentor doctor`, which reports them instead."""
    env = os.environ if env is None else env
    for name, value in env.items():
        if name.startswith("MICROMENTOR_") and value.strip().startswith("@Microsoft.KeyVault("):
            # App Service passes the reference itself on when it cannot resolve it (identity without
            # access yet, a disabled secret): using it would sign links with a string anyone can rebuild.
            raise InputError(
                name,
                "a Key Vault reference the platform could not resolve: check the app's "
                "identity can read the secret (Key Vault Secrets User), then restart the app",
            )
    tenant, client = env.get("MICROMENTOR_TENANT_ID"), env.get("MICROMENTOR_CLIENT_ID")
    graph = None
    if tenant and client:
        graph = GraphSettings(
            tenant_id=tenant,
            client_id=client,
            client_secret=env.get("MICROMENTOR_CLIENT_SECRET") or None,
            certificate_path=env.get("MICROMENTOR_CERTIFICATE_PATH") or None,
            certificate_thumbprint=env.get("MICROMENTOR_CERTIFICATE_THUMBPRINT") or None,
            federated_mi_client_id=env.get("MICROMENTOR_FEDERATED_MI_CLIENT_ID") or None,
            graph_url=env.get("MICROMENTOR_GRAPH_URL") or "https://graph.microsoft.com/v1.0",
            authority=env.get("MICROMENTOR_AUTHORITY") or None,
            ca_bundle=env.get("MICROMENTOR_CA_BUNDLE") or None,
            max_attempts=_int(env, "MICROMENTOR_GRAPH_ATTEMPTS", 4),
            mailbox_concurrency=_int(env, "MICROMENTOR_GRAPH_MAILBOX_CONCURRENCY", 4),
            meeting_concurrency=_int(env, "MICROMENTOR_GRAPH_MEETING_CONCURRENCY", 4),
            mailbox_cache_seconds=_int(env, "MICROMENTOR_GRAPH_MAILBOX_CACHE_SECONDS", 3600),
        )
    if graph is not None and graph.mailbox_concurrency < 1:
        raise InputError("MICROMENTOR_GRAPH_MAILBOX_CONCURRENCY", "expected a whole number of at least 1")
    if graph is not None and graph.meeting_concurrency < 1:
        raise InputError("MICROMENTOR_GRAPH_MEETING_CONCURRENCY", "expected a whole number of at least 1")
    if graph is not None and graph.mailbox_cache_seconds < 1:
        raise InputError("MICROMENTOR_GRAPH_MAILBOX_CACHE_SECONDS", "expected a whole number of at least 1")
    policy_file = env.get("MICROMENTOR_POLICY_FILE") or None
    if policy_file and not Path(policy_file).is_file():
        raise InputError("MICROMENTOR_POLICY_FILE", f"no such file: {policy_file}")
    mentors_file = env.get("MICROMENTOR_MENTORS_FILE") or None
    if mentors_file and not Path(mentors_file).is_file():
        raise InputError("MICROMENTOR_MENTORS_FILE", f"no such file: {mentors_file}")
    link_secret = env.get("MICROMENTOR_LINK_SECRET") or DEV_LINK_SECRET
    notification_state = _client_state(env.get("MICROMENTOR_NOTIFICATION_STATE"))
    if refuse_local_defaults and graph is not None and not is_local_emulator(graph):
        # Against a real tenant the local defaults would let anyone sign booking links or forge
        # change notifications: refuse to start until they are set. Anything but the emulator on
        # loopback counts as real (no list of Microsoft sign-in hosts to fall out of date).
        if link_secret == DEV_LINK_SECRET or len(link_secret) < MIN_SECRET_LENGTH:
            raise InputError("MICROMENTOR_LINK_SECRET", f"set a random secret of {MIN_SECRET_LENGTH}+ characters")
        if notification_state == DEV_CLIENT_STATE:
            raise InputError("MICROMENTOR_NOTIFICATION_STATE", "set a random value of up to 128 characters")
        public_url = env.get("MICROMENTOR_PUBLIC_URL") or DEFAULT_PUBLIC_URL
        if not public_url.lower().startswith("https://"):
            # Graph delivers change notifications only to https, and invitations link here.
            raise InputError(
                "MICROMENTOR_PUBLIC_URL", f"must be an https:// URL against a real tenant, got {public_url!r}"
            )
    public = env.get("MICROMENTOR_PUBLIC_URL") or DEFAULT_PUBLIC_URL
    learning = load_learning_settings(env, public_url=public, tenant_id=tenant)
    return Settings(
        graph=graph,
        learning=learning if learning.enabled else None,
        mentors_file=mentors_file,
        store_url=env.get("MICROMENTOR_STORE") or DEFAULT_STORE,
        policy_file=policy_file,
        queue_connection=env.get("MICROMENTOR_QUEUE_CONNECTION") or None,  # e.g. Azurite's, for `serve`
        api_audience=env.get("MICROMENTOR_API_AUDIENCE") or "api://micromentor",
        public_url=env.get("MICROMENTOR_PUBLIC_URL") or DEFAULT_PUBLIC_URL,
        link_secret=link_secret,
        notification_state=notification_state,
        mail_sender=(env.get("MICROMENTOR_MAIL_SENDER") or "").strip().lower() or None,
        mail_settle_minutes=_settle_minutes(env),
        report_min_segment=_report_min_segment(env),
        report_work_mode_attribute=_work_mode_attribute(env),
    )


def _settle_minutes(env: Mapping[str, str]) -> int:
    minutes = _int(env, "MICROMENTOR_MAIL_SETTLE_MINUTES", 30)
    if not 0 <= minutes <= 1440:
        raise InputError("MICROMENTOR_MAIL_SETTLE_MINUTES", f"expected 0 to 1440 minutes, got {minutes}")
    return minutes


def _report_min_segment(env: Mapping[str, str]) -> int:
    raw = env.get("MICROMENTOR_REPORT_MIN_SEGMENT")
    return DEFAULT_MIN_SEGMENT if not raw else check_min_segment("MICROMENTOR_REPORT_MIN_SEGMENT", raw)


def _work_mode_attribute(env: Mapping[str, str]) -> str | None:
    raw = env.get("MICROMENTOR_REPORT_WORK_MODE_ATTRIBUTE")
    return check_attribute_path("MICROMENTOR_REPORT_WORK_MODE_ATTRIBUTE", raw) if raw else None
