"""One settings object, read once: environment, then ``.streamlit/secrets.toml``, then defaults.

Every other module takes a :class:`Settings`; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .errors import SettingsError
from .redact import register_secret
from .setting_values import (
    _address,
    _addresses,
    _base_url,
    _currency,
    _data_dir,
    _database,
    _emails,
    _float,
    _int,
    _mongodb_uri,
    _public_url,
    _schedule,
    _size,
    _smtp_url,
    _switch,
    _webhook_on,
    _webhook_url,
)

DEFAULT_BASE_URL = "https://api.broadstreetads.com/api/1"
SECRETS_FILE = Path(".streamlit") / "secrets.toml"


@dataclasses.dataclass(frozen=True)
class Settings:
    broadstreet_api_token: str = dataclasses.field(default="", repr=False)
    broadstreet_api_base_url: str = DEFAULT_BASE_URL
    mongodb_uri: str = dataclasses.field(default="", repr=False)
    mongodb_database: str = "broadstreet_mirror"
    data_dir: Path = Path("./data")
    sync_concurrency: int = 4
    sync_rate_limit: float = 0.0  # global requests/second cap; 0 = none
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_attempts: int = 5
    backoff_factor: float = 0.5
    records_limit: int = 2  # BroadStreet's /records throttle: requests ...
    records_window: float = 5.0  # ... per this many seconds
    stats_days: int = 90  # days the first sync backfills; later days accumulate
    stats_chunk_days: int = 31
    sync_interval_minutes: int = 0  # 0 = no scheduled sync
    stale_after_minutes: int = 24 * 60
    #: after a sync (and when a network's day turns) the app computes every page's default
    #: view ahead of its visitors (ui/prewarm.py)
    warm_pages: bool = True
    lease_seconds: float = 30.0
    #: the deletion guard (sync/_guard.py): hold a list's deletions when they are at least
    #: this many documents and this share of what the mirror holds under that parent ...
    delete_guard_min: int = 5
    delete_guard_share: float = 0.5
    #: ... or when one run would delete more than this share of the whole mirror
    delete_guard_run_share: float = 0.5
    #: hold one entity kind's deletions in a run past this share of that kind's mirrored documents
    delete_guard_kind_share: float = 0.1
    #: how long one request may keep waiting out 429s (Retry-After) before it fails
    rate_limit_patience: float = 180.0
    webhook_url: str = dataclasses.field(default="", repr=False)  #: POSTed a summary of finished runs
    webhook_on: str = "problems"  #: "all" runs, or only "problems" (failed, partial, held deletions)
    backup_keep: int = 0  #: keep only this many backups in BS_DATA_DIR/backups (0 = keep all)
    #: with sign-in ([auth]): who may see the dashboard, and who may start or cancel syncs
    #: (addresses and "@domain" entries; empty = every signed-in user)
    allowed_emails: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()
    admin_token: str = dataclasses.field(default="", repr=False)
    #: digests (bs_core/digest): a cron schedule, where they go, and the dashboard's address for links
    digest_schedule: str = ""
    smtp_url: str = dataclasses.field(default="", repr=False)  #: smtp://user:password@host:587
    digest_to: tuple[str, ...] = ()
    digest_from: str = ""
    digest_webhook_url: str = dataclasses.field(default="", repr=False)
    public_url: str = ""
    currency: str = "USD"  #: of every rate and amount (one per account)
    demo_seed: int = 1
    demo_size: str = "demo"

    @property
    def demo_mode(self) -> bool:
        """No BroadStreet token: run against the bundled simulator."""
        return not self.broadstreet_api_token

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def fingerprint(self) -> str:
        """A short digest of every value, secrets included, that names these settings in
        caches without revealing them."""
        text = repr(sorted((f.name, str(getattr(self, f.name))) for f in dataclasses.fields(self)))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


_FIELDS: tuple[tuple[str, str, Any], ...] = (
    ("broadstreet_api_token", "BROADSTREET_API_TOKEN", lambda v: str(v).strip()),
    ("broadstreet_api_base_url", "BROADSTREET_API_BASE_URL", _base_url),
    ("mongodb_uri", "MONGODB_URI", _mongodb_uri),
    ("mongodb_database", "MONGODB_DATABASE", _database),
    ("data_dir", "BS_DATA_DIR", lambda v: _data_dir(v)),
    ("sync_concurrency", "BS_SYNC_CONCURRENCY", _int("BS_SYNC_CONCURRENCY", 1, 64)),
    ("sync_rate_limit", "BS_SYNC_RATE_LIMIT", _float("BS_SYNC_RATE_LIMIT", 0, 1000)),
    ("connect_timeout", "BS_CONNECT_TIMEOUT", _float("BS_CONNECT_TIMEOUT", 0.01, 300)),
    ("read_timeout", "BS_READ_TIMEOUT", _float("BS_READ_TIMEOUT", 0.01, 600)),
    ("max_attempts", "BS_MAX_ATTEMPTS", _int("BS_MAX_ATTEMPTS", 1, 20)),
    ("backoff_factor", "BS_BACKOFF_FACTOR", _float("BS_BACKOFF_FACTOR", 0, 60)),
    ("records_limit", "BS_RECORDS_LIMIT", _int("BS_RECORDS_LIMIT", 1, 10_000)),
    ("records_window", "BS_RECORDS_WINDOW_SECONDS", _float("BS_RECORDS_WINDOW_SECONDS", 0.01, 3600)),
    ("stats_days", "BS_STATS_DAYS", _int("BS_STATS_DAYS", 1, 3660)),
    ("stats_chunk_days", "BS_STATS_CHUNK_DAYS", _int("BS_STATS_CHUNK_DAYS", 1, 366)),
    ("sync_interval_minutes", "BS_SYNC_INTERVAL_MINUTES", _int("BS_SYNC_INTERVAL_MINUTES", 0, 525_600)),
    ("stale_after_minutes", "BS_STALE_AFTER_MINUTES", _int("BS_STALE_AFTER_MINUTES", 1, 525_600)),
    ("warm_pages", "BS_WARM_PAGES", _switch("BS_WARM_PAGES")),
    ("lease_seconds", "BS_LEASE_SECONDS", _float("BS_LEASE_SECONDS", 1.0, 3600)),
    ("delete_guard_min", "BS_DELETE_GUARD_MIN", _int("BS_DELETE_GUARD_MIN", 1)),
    ("delete_guard_share", "BS_DELETE_GUARD_SHARE", _float("BS_DELETE_GUARD_SHARE", 0.01, 1)),
    ("delete_guard_run_share", "BS_DELETE_GUARD_RUN_SHARE", _float("BS_DELETE_GUARD_RUN_SHARE", 0.01, 1)),
    ("delete_guard_kind_share", "BS_DELETE_GUARD_KIND_SHARE", _float("BS_DELETE_GUARD_KIND_SHARE", 0.01, 1)),
    ("rate_limit_patience", "BS_RATE_LIMIT_PATIENCE_SECONDS", _float("BS_RATE_LIMIT_PATIENCE_SECONDS", 0, 3600)),
    ("webhook_url", "BS_WEBHOOK_URL", _webhook_url()),
    ("webhook_on", "BS_WEBHOOK_ON", _webhook_on),
    ("backup_keep", "BS_BACKUP_KEEP", _int("BS_BACKUP_KEEP", 0, 10_000)),
    ("allowed_emails", "BS_ALLOWED_EMAILS", _emails("BS_ALLOWED_EMAILS")),
    ("operators", "BS_OPERATORS", _emails("BS_OPERATORS")),
    ("admin_token", "BS_ADMIN_TOKEN", lambda v: str(v).strip()),
    ("digest_schedule", "BS_DIGEST_SCHEDULE", _schedule),
    ("smtp_url", "BS_SMTP_URL", _smtp_url),
    ("digest_to", "BS_DIGEST_TO", _addresses("BS_DIGEST_TO")),
    ("digest_from", "BS_DIGEST_FROM", _address("BS_DIGEST_FROM")),
    ("digest_webhook_url", "BS_DIGEST_WEBHOOK_URL", _webhook_url("BS_DIGEST_WEBHOOK_URL")),
    ("public_url", "BS_PUBLIC_URL", _public_url),
    ("currency", "BS_CURRENCY", _currency),
    ("demo_seed", "BS_DEMO_SEED", _int("BS_DEMO_SEED", 0, 2**31)),
    ("demo_size", "BS_DEMO_SIZE", _size),
)


def read_secrets_file(path: Path = SECRETS_FILE) -> dict[str, Any]:
    """The flat keys of ``.streamlit/secrets.toml`` (what ``st.secrets`` reads)."""
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    return flat_secrets(data)


def flat_secrets(data: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level settings of a secrets mapping (tables such as ``[auth]`` are not settings)."""
    return {k: v for k, v in data.items() if not isinstance(v, Mapping)}


def load_settings(
    env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None
) -> Settings:
    """Build settings from ``env`` (default ``os.environ``) then ``secrets`` then defaults.

    Raises :class:`SettingsError` naming the first invalid setting.
    """
    env = os.environ if env is None else env
    secrets = read_secrets_file() if secrets is None else secrets
    values: dict[str, Any] = {}
    for field, name, parse in _FIELDS:
        raw = env.get(name)
        if raw is None or raw == "":
            raw = secrets.get(name)
        if raw is None or raw == "":
            continue
        values[field] = parse(raw)
    return Settings(**values)


def register_secrets(settings: Settings) -> None:
    """Tell the redactor this process's secrets (called once at start-up by the app, the
    CLI and the benchmarks), so no log line, error or run record can carry them."""
    register_secret(settings.broadstreet_api_token)
    register_secret(settings.admin_token)
    register_secret(settings.webhook_url)  # incoming-webhook URLs carry their secret in the path
    register_secret(settings.digest_webhook_url)
    register_secret(smtp_password(settings.smtp_url))
    register_secret(settings.smtp_url)


def smtp_password(url: str) -> str:
    """The password in ``BS_SMTP_URL`` (a secret the redactor must know by itself)."""
    from urllib.parse import unquote

    return unquote(urlparse(url).password or "") if url else ""


def as_environment(settings: Settings) -> dict[str, str]:
    """The environment variables that reproduce ``settings`` (tests and child processes)."""
    defaults = Settings()
    def text(value: Any) -> str:
        return ",".join(value) if isinstance(value, tuple) else str(value)

    return {name: text(getattr(settings, field)) for field, name, _ in _FIELDS
            if getattr(settings, field) != getattr(defaults, field)}
