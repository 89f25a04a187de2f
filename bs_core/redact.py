"""Keep secrets out of every string that leaves the process.

The BroadStreet token travels as the ``access_token`` query parameter, so any URL we
print, log or store must pass through :func:`redact` first.  Known secrets are also
registered here so a logging filter can scrub records written by third-party code
(urllib3 logs full request URLs at DEBUG level).
"""

from __future__ import annotations

import logging
import re
import threading

_TOKEN_PARAM = re.compile(r"(access_token=)[^&#\s'\"]*", re.IGNORECASE)
_secrets: set[str] = set()
_lock = threading.Lock()
MASK = "***"


def register_secret(value: str | None) -> None:
    """Remember a secret so that :func:`redact` removes it wherever it appears."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def redact(text: object) -> str:
    """Return ``text`` as a string with the token parameter and known secrets masked."""
    out = _TOKEN_PARAM.sub(r"\1" + MASK, str(text))
    for secret in tuple(_secrets):
        if secret in out:
            out = out.replace(secret, MASK)
    return out


class RedactingFilter(logging.Filter):
    """Logging filter that rewrites a record's message with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTERED_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.util.retry",
    "urllib3.poolmanager",
    "requests",
    "bs_core",
)
_installed = False


def install_log_redaction() -> None:
    """Attach the redacting filter to the loggers that may see request URLs."""
    global _installed
    with _lock:
        if _installed:
            return
        for name in _FILTERED_LOGGERS:
            logging.getLogger(name).addFilter(RedactingFilter())
        _installed = True
