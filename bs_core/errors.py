"""Every typed error of the product, under one root: :class:`MirrorError`.

Messages name the endpoint and HTTP status and never the token.  ``plain`` is the few
words a user can act on; the UI and the run history show it before the details.
"""

from __future__ import annotations

from .redact import redact


class MirrorError(Exception):
    """Root of every error this product raises on purpose."""

    plain = "Something went wrong"


class BroadStreetError(MirrorError):
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


class BadRecordError(MirrorError, ValueError):
    """An upstream record we cannot store; the message is the recorded reason."""

    plain = "BroadStreet sent a record we could not store"


class SettingsError(MirrorError, ValueError):
    """A setting has an invalid value; the message names the setting."""

    plain = "A setting is invalid"


class ScopeError(MirrorError, ValueError):
    """A sync scope string could not be parsed, or names nothing in the mirror."""

    plain = "The sync scope is not valid"


class ScopeTargetError(ScopeError):
    """A ``KIND:ID`` scope names something the mirror does not hold."""

    plain = "The sync scope names something the mirror does not hold"


class SyncLockedError(MirrorError):
    """Another sync holds the lease."""

    plain = "Another sync is running"

    def __init__(self, message: str, *, run: dict | None = None):
        self.run = run or {}
        super().__init__(message)


class SyncAbortedError(MirrorError):
    """Stop the run now (cancelled, lease lost, or a fatal upstream error)."""

    def __init__(self, status: str, message: str, cause: BaseException | None = None):
        self.status = status  #: the run's status: "failed" or "cancelled"
        self.cause = cause
        #: the words a user sees: those of the upstream error that stopped the run
        self.plain = getattr(cause, "plain", None) or (
            "The sync was cancelled" if status == "cancelled" else "The sync stopped")
        super().__init__(message)


class LeaseLostError(MirrorError):
    """Another run took over this run's lease: this run must not write anything more."""

    plain = "Another sync took over; this one stopped without writing more"


class IncompleteListError(MirrorError):
    """A fetched list had malformed records: it proves nothing gone, so nothing under it is deleted."""

    plain = "BroadStreet sent malformed records; the mirror kept what it had for them"


class OmittedRecordsError(MirrorError):
    """A list left out records BroadStreet still has (their own route answered, or another
    list of the run names them): they were kept, not deleted."""

    plain = "BroadStreet's lists left out records it still has; the mirror kept them"


class DeletionsHeldError(MirrorError):
    """A list would delete a large share of what the mirror holds; nothing was deleted."""

    plain = "Deletions were held back: BroadStreet's answer would have removed a large part of the mirror"


class StoreUnavailableError(MirrorError):
    """The mirror database cannot be reached."""

    plain = "The mirror database is unreachable"


class ProcessStartError(MirrorError):
    """A background server (embedded database, demo simulator) did not start."""

    plain = "A background server did not start"
