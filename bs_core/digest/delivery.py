"""Sending a digest: by e-mail over SMTP (``BS_SMTP_URL``), to a Slack or Teams incoming
webhook (``BS_DIGEST_WEBHOOK_URL``, else ``BS_WEBHOOK_URL``), or, for a dry run, into a
directory as an ``.eml`` file and its attachments.

Every attempt is recorded in ``digest_runs`` (what was sent where, or why not), which the
Sync history page shows and the schedule reads.  A failure is one line with no secret in
it: the SMTP password and the webhook URL never reach a message, a log or the record.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import smtplib
import socket
import ssl
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests
from pymongo.database import Database

from ..errors import MirrorError
from ..redact import redact
from ..settings import Settings
from ..store.digests import last_sent, record_attempt
from ..store.history import server_now
from . import _content as content
from . import _render as render

SMTP_DEADLINE = 10.0  # seconds for the whole SMTP conversation, however the server trickles
WEBHOOK_TIMEOUT = (3.0, 7.0)


class DigestError(MirrorError):
    """A digest that could not be built or sent; its message is one line without secrets."""


@dataclasses.dataclass
class Outcome:
    run_id: str
    status: str  #: sent, failed, dry run, nothing to send
    channels: dict[str, dict]  #: "email" / "webhook" -> {"sent": bool, "error": str, ...}
    files: list[str] = dataclasses.field(default_factory=list)

    @property
    def error(self) -> str:
        return "; ".join(f"{name}: {c['error']}" for name, c in self.channels.items() if c.get("error"))


def _smtp(url: str) -> tuple[str, str, int, str, str]:
    parsed = urlparse(url)
    if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
        raise DigestError("BS_SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
    port = parsed.port or (465 if parsed.scheme == "smtps" else 587)
    return parsed.scheme, parsed.hostname, port, unquote(parsed.username or ""), unquote(parsed.password or "")


def send_email(settings: Settings, msg) -> None:
    """Hand the message to the SMTP server: implicit TLS for smtps://, STARTTLS for smtp://
    when the server offers it (a password is never sent over a connection without TLS).
    The whole conversation has one deadline (:data:`SMTP_DEADLINE`): a server that accepts
    and then stalls, or trickles its answers, is cut off then."""
    scheme, host, port, user, password = _smtp(settings.smtp_url)
    context = ssl.create_default_context()
    if scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(timeout=SMTP_DEADLINE, context=context)
    else:
        client = smtplib.SMTP(timeout=SMTP_DEADLINE)
    watchdog = threading.Timer(SMTP_DEADLINE, _cut_off, args=(client,))
    watchdog.daemon = True
    started = time.monotonic()
    watchdog.start()
    try:
        client.connect(host, port)
        with client:
            client.ehlo()
            if scheme == "smtp" and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            elif user and scheme == "smtp":
                raise DigestError(f"the SMTP server {host}:{port} offers no STARTTLS: the password is not sent "
                                  "unencrypted (use smtps:// or a server with STARTTLS)")
            if user:
                client.login(user, password)
            refused = client.send_message(msg)
        if refused:
            raise DigestError(f"the SMTP server refused {', '.join(sorted(refused))}")
    except smtplib.SMTPRecipientsRefused as exc:
        raise DigestError(f"the SMTP server refused every recipient ({', '.join(sorted(exc.recipients))})") from None
    except smtplib.SMTPAuthenticationError:
        raise DigestError(f"the SMTP server {host}:{port} refused the user name or password") from None
    except OSError as exc:  # an SMTP error, refused, unreachable, timed out, cut off, TLS failures
        if time.monotonic() - started >= SMTP_DEADLINE - 0.05:
            raise DigestError(f"the SMTP server {host}:{port} did not finish within {SMTP_DEADLINE:.0f} s; "
                              f"the digest was not sent") from None
        if isinstance(exc, smtplib.SMTPException):
            raise DigestError(f"SMTP {host}:{port}: {type(exc).__name__} {redact(str(exc))[:160]}") from None
        raise DigestError(f"cannot reach the SMTP server {host}:{port} ({type(exc).__name__}: "
                          f"{redact(str(exc))[:120]})") from None
    finally:
        watchdog.cancel()


def _cut_off(client: smtplib.SMTP) -> None:
    """The deadline passed: shut the socket, so the blocked read or write fails at once."""
    sock = getattr(client, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def post_webhook(url: str, digest: content.Digest) -> None:
    try:
        resp = requests.post(url, json={"text": render.slack_text(digest)}, timeout=WEBHOOK_TIMEOUT)
    except requests.RequestException as exc:
        raise DigestError(f"the digest webhook did not answer ({type(exc).__name__})") from None
    if resp.status_code >= 400:
        raise DigestError(f"the digest webhook answered HTTP {resp.status_code}")


def write_dry_run(msg, digest: content.Digest, directory: Path) -> list[str]:
    """The message as ``digest-DAY.eml`` and each attachment beside it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        files = [directory / f"digest-{digest.day}.eml"]
        files[0].write_bytes(msg.as_bytes())
        for name, _ctype, data in render.attachments(digest):
            (directory / name).write_bytes(data)
            files.append(directory / name)
    except OSError as exc:
        raise DigestError(f"--output {directory}: {exc.strerror or exc}") from None
    return [str(f) for f in files]


def deliver(settings: Settings, db: Database, today: dt.date, *, trigger: str = "cli",
            advertiser_id: int | None = None, to: tuple[str, ...] = (), dry_run_dir: Path | None = None) -> Outcome:
    """Build the digest and send it on every configured channel (or write it, for a dry
    run); record the attempt.  Never raises for a channel's failure: the outcome says it."""
    started = server_now(db)
    recipients = list(to or settings.digest_to)
    digest = content.build(db, today, settings.public_url, advertiser_id, last_sent(db, advertiser_id),
                           currency=settings.currency)
    msg = render.message(digest, settings.digest_from or "broadstreet-digest@localhost", recipients)
    outcome = Outcome(f"{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}", "sent", {})
    if dry_run_dir is not None:
        outcome.files = write_dry_run(msg, digest, dry_run_dir)
        outcome.status = "dry run"
    else:
        # an advertiser's digest goes to its addresses only, never to the team's channel
        webhook = "" if advertiser_id is not None else settings.digest_webhook_url or settings.webhook_url
        channels = {"email": (bool(settings.smtp_url and recipients), lambda: send_email(settings, msg)),
                    "webhook": (bool(webhook), lambda: post_webhook(webhook, digest))}
        for name, (wanted, action) in channels.items():
            if not wanted:
                continue
            try:
                action()
                outcome.channels[name] = {"sent": True}
            except DigestError as exc:
                outcome.channels[name] = {"sent": False, "error": redact(str(exc))}
        if not outcome.channels:
            outcome.status = "nothing to send"
        elif not all(c["sent"] for c in outcome.channels.values()):
            outcome.status = "failed"
    record_attempt(db, {
        "_id": outcome.run_id, "started_at": started, "finished_at": server_now(db), "trigger": trigger,
        "status": outcome.status, "advertiser_id": advertiser_id, "day": digest.day.isoformat(),
        "recipients": len(recipients), "channels": outcome.channels, "subject": digest.subject})
    return outcome
