"""What can happen to a delivery: the exceptions the transports raise and the
run (``send``) acts on."""

from __future__ import annotations


class SendError(Exception):
    """The run cannot go on (bad list, lock held, login refused, server gone)."""


class TemporaryFailure(Exception):
    """Worth another try later (4xx, dropped connection, timeout)."""


class RateLimited(TemporaryFailure):
    """A webhook answered 429: try again after ``retry_after`` seconds (its
    Retry-After; None when it gave none)."""

    def __init__(self, message: str, retry_after: float | None):
        super().__init__(message)
        self.retry_after = retry_after


class ServerUnavailable(TemporaryFailure):
    """No session could be opened (no answer, busy, hung up on connect). It is
    the same for every address, so the run waits and retries as a whole
    instead of paying the timeout once per address."""


class UncertainDelivery(Exception):
    """The whole message went out but its answer never came (the server hung
    up or went quiet after the end of the data): it may have been delivered,
    so it must not be sent again."""


class PermanentFailure(Exception):
    """The server refused this address for good (5xx)."""


class HardBounce(PermanentFailure):
    """The server refused the recipient itself with a 5xx (no such mailbox,
    address disabled): mailing it again next week would only bounce again, so
    it is suppressed until the operator lifts it."""
