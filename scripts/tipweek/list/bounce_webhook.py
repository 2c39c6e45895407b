"""``POST /webhooks/bounce``: the email service's bounces and complaints (``bounce_formats``
reads them, ``bounces`` writes them), behind a token of the operator's.

The token comes from $TIPWEEK_WEBHOOK_TOKEN, in either of two headers:
``Authorization: Bearer TOKEN``, or HTTP Basic with the token as the password (any user
name), because Amazon SNS can only send credentials written into the endpoint's URL
(https://tipweek:TOKEN@list.example.org/webhooks/bounce), as Basic. SNS sends a request
without them first and repeats it with them on a 401 that asks for Basic, so the 401 asks
for both. Unset, the endpoint is off (404, as any unknown path).

Every answer is JSON. A bad body is a 400 that names what is wrong (SNS does not repeat a 4xx);
an unknown address is a 200 that says it was ignored, so no sender retries it for ever.
An SNS subscription confirmation is logged, never fetched: fetching a URL from a request
would let anyone who holds the token make the service fetch any URL.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import logging
import os
from typing import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from .body_limit import TooLarge
from .bounce_formats import BadReport, read_report
from .records import StoreError

log = logging.getLogger("tipweek.list")
TOKEN_VARIABLE = "TIPWEEK_WEBHOOK_TOKEN"
PATH = "/webhooks/bounce"
# An SNS message can be 256 KB; an SES notification with the original headers (up to 10 KB)
# and many recipients, escaped into the SNS envelope's Message string, passes the form's 16 KB.
BODY_LIMIT = 512 * 1024
STORE_RETRY = 5  # seconds
CHALLENGES = ('Bearer realm="tipweek"', 'Basic realm="tipweek", charset="UTF-8"')
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class WebhookTokenError(Exception):
    """The token is set but too short (one line for the operator)."""


def token_from_environment() -> str | None:
    """The webhook's token; None when unset (the endpoint is off)."""
    token = os.environ.get(TOKEN_VARIABLE, "")
    if not token:
        return None
    if len(token) < 16:
        raise WebhookTokenError(
            f"{TOKEN_VARIABLE} is shorter than 16 characters; make one with "
            'python -c "import secrets; print(secrets.token_urlsafe(32))" (or unset it to turn the bounce '
            "webhook off)")
    return token


def status_line(list_url: str, token: str | None) -> str:
    """What ``tipweek list serve`` says about the webhook when it starts."""
    if token is None:
        return (f"bounce webhook off: set {TOKEN_VARIABLE} (16 characters or more) to take bounces and "
                f"complaints at {list_url}{PATH}")
    return f"bounce webhook on at {list_url}{PATH} (Bearer token or Basic password: ${TOKEN_VARIABLE})"


def authorised(header: str, token: str) -> bool:
    """Whether an Authorization header carries the token, compared in constant time."""
    scheme, _, credentials = header.strip().partition(" ")
    given = credentials.strip().encode()
    if scheme.lower() == "basic":
        try:
            given = base64.b64decode(given, validate=True).partition(b":")[2]
        except binascii.Error:
            return False
    elif scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given, token.encode())


def answer(body: dict, status: int = 200, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


class BounceWebhook:
    """The endpoint over the store, with the service's clock."""

    def __init__(self, token: str, store, clock: Callable[[], dt.datetime]):
        self.token, self.store, self.clock = token, store, clock

    async def receive(self, request: Request) -> JSONResponse:
        if not authorised(request.headers.get("authorization", ""), self.token):
            response = answer({"error": f"send the webhook token ({TOKEN_VARIABLE}) as "
                                        "'Authorization: Bearer TOKEN', or as the password of HTTP Basic"}, 401)
            for challenge in CHALLENGES:
                response.raw_headers.append((b"www-authenticate", challenge.encode()))
            return response
        try:
            body = await request.body()
        except TooLarge:
            return answer({"error": f"the body is larger than {BODY_LIMIT // 1024} KB"}, 413)
        try:
            report = read_report(body)
        except BadReport as exc:
            return answer({"error": str(exc)}, 400)
        if report.for_operator:
            log.warning("%s", report.for_operator)
        if not report.bounces:
            return answer({"recorded": [], "ignored": [], "note": report.note})
        try:
            results = await run_in_threadpool(self.store.record_bounces, report.bounces, self.clock(),
                                          report.message_ids)
        except StoreError as exc:
            log.error("store: %s", exc)
            return answer({"error": "the list's database is not reachable; nothing was changed"}, 503,
                          {"Retry-After": str(STORE_RETRY)})
        return answer({
            "recorded": [{"email": r.email, "type": r.kind, "state": r.state, "events": list(r.events)}
                         for r in results if r.ignored is None],
            "ignored": [{"email": r.email, "type": r.kind, "reason": r.ignored} for r in results if r.ignored],
        })
