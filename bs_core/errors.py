"""Typed errors.  Messages name the endpoint and HTTP status and never the token."""

from __future__ import annotations

from .redact import redact


class BroadStreetError(Exception):
    """Base class for errors talking to BroadStreet."""

    #: Short words a user can act on; the UI shows this before the details.
    plain = "BroadStreet request failed"

    def __init__(self, message: str, *, endpoint: str = "", status: int | None = None):
        self.endpoint = redact(endpoint)
        self.status = status
        super().__init__(redact(message))


class AuthError(BroadStreetError):
    plain = "BroadStreet rejected the token"


class NotFoundError(BroadStreetError):
    plain = "BroadStreet says the object does not exist"


class RateLimitedError(BroadStreetError):
    plain = "BroadStreet kept rate-limiting us (retries exhausted)"


class UpstreamServerError(BroadStreetError):
    plain = "BroadStreet had a server error"


class ProtocolError(BroadStreetError):
    plain = "BroadStreet sent a response we could not read"


class TransportError(BroadStreetError):
    """Connection failure or timeout after all retries."""

    plain = "Could not reach BroadStreet"


class RequestTimeoutError(TransportError):
    plain = "BroadStreet did not answer in time"


class SettingsError(ValueError):
    """A setting has an invalid value; the message names the setting."""


class ScopeError(ValueError):
    """A sync scope string could not be parsed."""


class SyncLockedError(RuntimeError):
    """Another sync holds the lease."""

    def __init__(self, message: str, *, run: dict | None = None):
        self.run = run or {}
        super().__init__(message)


class StoreUnavailableError(RuntimeError):
    """The mirror database cannot be reached."""
