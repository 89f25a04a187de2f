"""Parsing one setting's value: bounds for numbers, URLs, addresses, schedules.  Each
parser raises :class:`~bs_core.errors.SettingsError` naming the setting and never
repeating a value that may hold a password."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pymongo import uri_parser
from pymongo.errors import PyMongoError

from .errors import SettingsError


# (field, environment name, parser); every number has bounds a sane deployment stays within
def _int(name: str, minimum: int = 0, maximum: int = 10**9):
    def parse(raw: Any) -> int:
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {str(raw)[:40]!r}") from None
        if not minimum <= value <= maximum:
            raise SettingsError(f"{name} must be between {minimum:,} and {maximum:,}, got {value:,}")
        return value

    return parse


def _float(name: str, minimum: float = 0.0, maximum: float = 86_400.0):
    def parse(raw: Any) -> float:
        try:
            value = float(str(raw).strip())
        except ValueError:
            raise SettingsError(f"{name} must be a number, got {str(raw)[:40]!r}") from None
        if not math.isfinite(value) or not minimum <= value <= maximum:
            raise SettingsError(f"{name} must be a number between {minimum:g} and {maximum:g}, got {value:g}")
        return value

    return parse


def _base_url(raw: Any) -> str:
    url = str(raw).strip().rstrip("/")
    try:
        parsed = urlparse(url)
        parsed.port  # noqa: B018 - raises for a broken host ("http://[::1") or port
    except ValueError:
        raise SettingsError(f"BROADSTREET_API_BASE_URL is not a valid URL, got {url[:80]!r}") from None
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(
            f"BROADSTREET_API_BASE_URL must be an http:// or https:// URL, got {url!r}"
        )
    return url


def _data_dir(raw: Any) -> Path:
    path = Path(str(raw))
    if path.exists() and not path.is_dir():
        raise SettingsError(f"BS_DATA_DIR must be a directory (it is created if missing), got {str(path)[:80]!r}")
    return path


def _mongodb_uri(raw: Any) -> str:
    """A structurally valid URI (checked without connecting or resolving; the message never
    repeats the URI, which may carry a password)."""
    uri = str(raw).strip()
    if not uri:
        return uri
    if not uri.startswith(("mongodb://", "mongodb+srv://")):
        raise SettingsError("MONGODB_URI must start with mongodb:// or mongodb+srv://")
    try:
        if uri.startswith("mongodb+srv://"):
            if not urlparse(uri).hostname:
                raise ValueError("no host")
        else:
            uri_parser.parse_uri(uri)
    except (ValueError, PyMongoError) as exc:
        reason = type(exc).__name__ if "@" in uri else str(exc)[:120]
        raise SettingsError(f"MONGODB_URI is not a valid MongoDB URI ({reason})") from None
    return uri


_BAD_DATABASE_CHARS = set('/\\. "$\0')


def _database(raw: Any) -> str:
    name = str(raw).strip() or "broadstreet_mirror"
    if len(name) > 63 or set(name) & _BAD_DATABASE_CHARS:
        raise SettingsError(f"MONGODB_DATABASE {name[:70]!r} is not a valid database name "
                            "(at most 63 characters, none of / \\ . space \" $)")
    return name


def _webhook_url(name: str = "BS_WEBHOOK_URL"):
    def parse(raw: Any) -> str:
        url = str(raw).strip()
        parsed = urlparse(url)
        if url and (parsed.scheme not in ("http", "https") or not parsed.netloc):
            raise SettingsError(f"{name} must be an http:// or https:// URL")
        return url

    return parse


def _switch(name: str):
    """on/off, true/false, yes/no, 1/0 (any case) -> bool."""
    def parse(raw: Any) -> bool:
        value = str(raw).strip().lower()
        if value in ("on", "true", "yes", "1"):
            return True
        if value in ("off", "false", "no", "0"):
            return False
        raise SettingsError(f"{name} must be on or off, got {value[:20]!r}")
    return parse


def _webhook_on(raw: Any) -> str:
    value = str(raw).strip().lower()
    if value not in ("all", "problems"):
        raise SettingsError(f"BS_WEBHOOK_ON must be all or problems, got {value[:20]!r}")
    return value


_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
_DOMAIN = re.compile(r"^@[^@\s,]+\.[^@\s,]+$")


def _emails(name: str):
    def parse(raw: Any) -> tuple[str, ...]:
        entries = [e.strip().lower() for e in str(raw).split(",") if e.strip()]
        for entry in entries:
            if not (_EMAIL.match(entry) or _DOMAIN.match(entry)):
                raise SettingsError(f"{name}: {entry[:60]!r} is neither an e-mail address nor an @domain")
        return tuple(entries)

    return parse


def email_matches(email: str, entries: tuple[str, ...]) -> bool:
    """True when ``email`` is one of ``entries`` or in one of their ``@domain``s."""
    email = email.strip().lower()
    return bool(email) and any(email == e or (e.startswith("@") and email.endswith(e)) for e in entries)


def _size(raw: Any) -> str:
    value = str(raw).strip()
    if value not in ("tiny", "demo", "large"):
        raise SettingsError(f"BS_DEMO_SIZE must be tiny, demo or large, got {value!r}")
    return value


def _smtp_url(raw: Any) -> str:
    url = str(raw).strip()
    if not url:
        return url
    try:
        parsed = urlparse(url)
        parsed.port  # noqa: B018 - raises for a broken port
    except ValueError:
        raise SettingsError("BS_SMTP_URL is not a valid URL") from None
    if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
        raise SettingsError("BS_SMTP_URL must look like smtp://user:password@host:587 (STARTTLS) or "
                            "smtps://user:password@host:465 (TLS)")
    return url


def _addresses(name: str):
    """Comma-separated e-mail addresses (no @domain entries)."""
    def parse(raw: Any) -> tuple[str, ...]:
        entries = tuple(e.strip() for e in str(raw).split(",") if e.strip())
        for entry in entries:
            if not _EMAIL.match(entry):
                raise SettingsError(f"{name}: {entry[:60]!r} is not an e-mail address")
        return entries

    return parse


def _address(name: str):
    def parse(raw: Any) -> str:
        found = _addresses(name)(raw)
        if len(found) > 1:
            raise SettingsError(f"{name} is one address, got {len(found)}")
        return found[0] if found else ""

    return parse


def _schedule(raw: Any) -> str:
    from .cron import CronError, parse

    text = str(raw).strip()
    if not text:
        return text
    try:
        return parse(text).text
    except CronError as exc:
        raise SettingsError(f"BS_DIGEST_SCHEDULE: {exc}") from None


def _currency(raw: Any) -> str:
    """A currency code (ISO 4217's three letters, e.g. USD, EUR), shown with every amount."""
    code = str(raw).strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise SettingsError(f"BS_CURRENCY must be a three-letter currency code such as USD or EUR, not {code[:20]!r}")
    return code


def _public_url(raw: Any) -> str:
    url = str(raw).strip().rstrip("/")
    parsed = urlparse(url)
    if url and (parsed.scheme not in ("http", "https") or not parsed.netloc):
        raise SettingsError("BS_PUBLIC_URL must be the dashboard's http:// or https:// address")
    return url
