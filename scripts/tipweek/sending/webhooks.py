"""Post the week's chat message to each webhook once, through failures: the
engine of ``tipweek post``, on the sender's ledger and its rules.

A webhook's URL is its secret (whoever has it can post to the channel), so
it is never written anywhere: a channel is named by its kind and a hash of
its URL (``slack-3f2a9c0b1d2e``), in the ledger, the report and every
message.

Each post is written to the week's ledger as an ``attempt`` before the
request and with its outcome after, as ``send`` does for an address. A 5xx,
a refused or dropped connection before the whole request went out, and a
429 are tried again (a 429 after its ``Retry-After``); a request that went
out whole but whose answer never came is ``uncertain``: the channel may show
it, so no run posts it again unless asked to (``retry_uncertain``).
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, Iterable
from urllib.parse import urlsplit

from .ledger import Ledger
from .errors import PermanentFailure, RateLimited, TemporaryFailure, UncertainDelivery
from .report import Report
from .send import still_to_send
from .transports import is_loopback

KINDS = {"slack": "Slack", "teams": "Teams"}


@dataclass(frozen=True, slots=True)
class Channel:
    """One webhook: its kind, its URL (kept out of every repr and message)."""

    kind: str  # "slack" or "teams"
    url: str = field(repr=False)

    @property
    def key(self) -> str:
        """The channel's name in the ledger: its kind and a hash of its URL."""
        return f"{self.kind}-{hashlib.sha256(self.url.encode('utf-8')).hexdigest()[:12]}"

    # The ledger and ``send.still_to_send`` name what they track by its ``email``.
    email = key


class WebhookError(ValueError):
    """A webhook URL that cannot be used; the message never quotes it."""


def channel(kind: str, url: str, where: str) -> Channel:
    """A checked channel; ``where`` names it in an error (``--slack #2``)."""
    url = url.strip()
    parts = urlsplit(url)
    try:
        parts.port  # a port that is not a number raises here, not half-way through a post
    except ValueError:
        raise WebhookError(f"{where}: the webhook URL's port is not a number") from None
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise WebhookError(f"{where}: the webhook URL has a space or a control character in it")
    if not url.isascii():  # http.client cannot send it; a webhook's URL is plain ASCII (percent-encoded)
        raise WebhookError(f"{where}: the webhook URL has a character that is not ASCII in it "
                           "(copy the URL again from the service's settings)")
    if parts.scheme == "https" and parts.hostname:
        return Channel(kind, url)
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return Channel(kind, url)  # a server on this machine (a test, a local relay)
    raise WebhookError(f"{where}: not an https:// webhook URL (a plain http:// one would send the "
                       "webhook's secret in clear text; only a server on this machine may use it)")


def channels_of(kind: str, given: Iterable[str], environment: str | None, variable: str) -> list[Channel]:
    """The channels of one kind: the options if any, else the variable's
    URLs (separated by whitespace); each URL once."""
    urls = [(f"--{kind} #{n}", url) for n, url in enumerate(given, 1)] or \
           [(f"${variable} #{n}", url) for n, url in enumerate((environment or "").split(), 1)]
    found: dict[str, Channel] = {}
    for where, url in urls:
        one = channel(kind, url, where)
        found.setdefault(one.key, one)
    return list(found.values())


# --------------------------------------------------------------------------- one request

def _why(exc: BaseException) -> str:
    # The exception's own words, which name neither the URL's path nor its query.
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook answers; it does not redirect. Following one would hand the
    body to another address, so a 3xx is an answer like a 4xx (``tipweek
    doctor``'s one-click POST judges a redirect the same way)."""

    def redirect_request(self, *args, **kwargs):
        return None


# The standard opener (so $HTTPS_PROXY and $NO_PROXY apply), without redirects.
_OPENER = urllib.request.build_opener(NoRedirects)


def post_json(url: str, body: bytes, timeout: float) -> None:
    """POST ``body`` as JSON; return on a 2xx, else raise what happened
    (``outcomes``). urllib wraps what fails before the whole request went out
    in a URLError (a temporary failure: try again); what fails after it, while
    waiting for the answer, comes through as it is (an uncertain post). A URL
    that cannot be made into a request at all (a ValueError, UnicodeError
    among them, before anything is sent) is a permanent failure."""
    try:
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "tipweek"})
    except ValueError as exc:
        raise PermanentFailure(f"the webhook URL cannot be used: {type(exc).__name__}") from None
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, reason, headers = response.status, response.reason, response.headers
            answer = _answer_of(response)
    except urllib.error.HTTPError as exc:  # an answer, not a 2xx
        status, reason, headers = exc.code, exc.reason, exc.headers
        answer = _answer_of(exc)
        exc.close()
    except urllib.error.URLError as exc:
        raise TemporaryFailure(f"could not send the request: {_why(exc.reason)}") from None
    except ValueError as exc:  # http.client refusing the URL or a header (UnicodeEncodeError): nothing went out
        raise PermanentFailure(f"the webhook URL cannot be used: {type(exc).__name__} "
                               "(nothing was sent)") from None
    except (OSError, http.client.HTTPException) as exc:
        raise UncertainDelivery(f"the request went out but its answer was lost ({_why(exc)}); "
                                "the channel may show it") from None
    if 200 <= status < 300:
        return
    said = " ".join(answer.decode("utf-8", "replace").split())[:200]
    detail = f"HTTP {status} {reason}" + (f": {said}" if said else "")
    if status == 429:
        raise RateLimited(detail, retry_after(headers.get("Retry-After")))
    if status >= 500 or status == 408:
        raise TemporaryFailure(detail)
    raise PermanentFailure(detail)  # a removed webhook, a payload refused: trying again now would not help


def _answer_of(response) -> bytes:
    """The start of the answer's body (Slack says why there); the status alone decides."""
    try:
        return response.read(2000)
    except (OSError, http.client.HTTPException):
        return b""


# --------------------------------------------------------------------------- the run

@dataclass
class PostReport(Report):
    """``send``'s report, counted in posts: channels instead of addresses."""

    DONE, WOULD, FROM_A_LIST = "posted", "would post", False


def still_to_post(channels: Iterable[Channel], entries, report: PostReport,
                  retry_uncertain: bool = False) -> list[Channel]:
    """The channels the ledger has not seen posted to, by ``send``'s rule (no suppression for webhooks)."""
    return still_to_send(channels, entries, (), report, retry_uncertain)


def post_all(channels: Iterable[Channel], body_for: Callable[[Channel], bytes], ledger: Ledger,
             report: PostReport, *, retry_uncertain: bool = False, retries: int = 3, backoff: float = 2.0,
             max_wait: float = 60.0, timeout: float = 30.0, sleep: Callable[[float], None] = time.sleep,
             post: Callable[[str, bytes, float], None] = post_json,
             done: Callable[[Channel, str], None] = lambda c, s: None) -> PostReport:
    """Post to each channel the ledger (held, see ``Ledger.__enter__``) has
    not seen, one after the other. A temporary failure is tried again up to
    ``retries`` times, ``backoff`` * 2**n seconds apart; a 429 after its
    Retry-After when that is at most ``max_wait`` seconds (else the channel
    fails for this run, and the next run tries it)."""
    queue = still_to_post(channels, ledger.entries, report, retry_uncertain)
    for key, why in report.uncertain:  # recorded, so that the next run knows it was reported
        ledger.record(key, "uncertain", why)
    for one in queue:
        outcome = _post_one(one, body_for(one), ledger, report, retries, backoff, max_wait, timeout, sleep, post)
        done(one, outcome)
    return report


def _post_one(one: Channel, body: bytes, ledger: Ledger, report: PostReport, retries: int, backoff: float,
              max_wait: float, timeout: float, sleep, post) -> str:
    for tries in range(retries + 1):
        ledger.record(one.key, "attempt")
        try:
            post(one.url, body, timeout)
        except RateLimited as exc:
            ledger.record(one.key, "failed", f"temporary: {exc}")
            wait = backoff * 2 ** tries if exc.retry_after is None else exc.retry_after
            if wait > max_wait:
                report.failed.append((one.key, f"{exc}; asked to wait {wait:g} s, more than --max-wait "
                                               f"{max_wait:g} s: run again later"))
                return "failed"
            last = exc
        except TemporaryFailure as exc:
            ledger.record(one.key, "failed", f"temporary: {exc}")
            wait, last = backoff * 2 ** tries, exc
        except UncertainDelivery as exc:
            ledger.record(one.key, "uncertain", str(exc))
            report.uncertain.append((one.key, str(exc)))
            return "uncertain"
        except PermanentFailure as exc:
            ledger.record(one.key, "failed", f"permanent: {exc}")
            report.failed.append((one.key, str(exc)))
            return "failed"
        else:
            ledger.record(one.key, "sent")
            report.sent += 1
            return "posted"
        if tries < retries:
            sleep(wait)
    report.failed.append((one.key, f"gave up after {retries + 1} tries: {last}"))
    return "failed"


def as_body(message: dict) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode("utf-8")
