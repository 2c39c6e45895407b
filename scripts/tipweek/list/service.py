"""The list service: a Starlette app. Its routes: POST /subscribe (the form, with a
honeypot), GET/POST /confirm/<token> and /unsubscribe/<token> (GET and HEAD show
one button; only its POST, or an RFC 8058 one-click POST, changes anything),
the reader's own page, GET/POST /manage/<token> (``manage``), and POST
/webhooks/bounce (the email service's bounces and complaints, in ``bounce_webhook``)
when a webhook token is set.

No GET changes anything (mail scanners open every link); every change is one
store transaction, committed before the answer goes out. Bad input gets a page
that says what to do, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from typing import Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..edition import urls
from . import bounce_webhook
from .body_limit import BodyLimit, TooLarge
from ..addresses import listed
from .joining import CONTROL, BadInput, check_domain, clean_email, clean_name
from .look import Look, render
from .manage import ManagePage
from .records import CONFIRMATIONS_PER_DAY, ERASED, StoreError, Subscriber
from .store import SqlStore
from .tokens import TokenError, TokenExpired, Tokens

log = logging.getLogger("tipweek.list")
BODY_LIMIT = 16 * 1024
HONEYPOT = "website"  # hidden from people; bots fill it in
STORE_RETRY = 5  # seconds: a busy or unreachable database is usually back by then
HEADERS = {
    # No scripts, no third parties; forms post only back here; a token in the
    # URL never leaks to another site through Referer.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@dataclass
class Settings:
    store: SqlStore
    tokens: Tokens
    look: Look
    list_url: str  # the service's public base URL, no trailing slash
    send_confirmation: Callable[[Subscriber, str], None]  # (subscriber, confirm URL); raises on failure
    # (subscriber, unsubscribe URL, manage URL, now); raises on failure. None: no welcome email.
    send_welcome: Callable[[Subscriber, str, str, dt.datetime], None] | None = None
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.timezone.utc))
    ip_limit: int = 10  # sign-ups per IP address per hour
    smtputf8: bool = False  # the relay takes non-ASCII addresses (asked at start-up)
    allowed_domains: tuple[str, ...] = ()  # an internal list: only addresses at these (or under them) join
    webhook_token: str | None = None  # POST /webhooks/bounce takes this token; off when None


def _minutes(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return "a minute" if minutes == 1 else f"{minutes} minutes"


class ListService:
    """The routes' handlers, over one set of :class:`Settings`."""

    def __init__(self, settings: Settings):
        self.s = settings

    def page(self, template: str, status: int = 200, headers: dict | None = None, **context) -> HTMLResponse:
        body = render(template, look=self.s.look, **context)
        return HTMLResponse(body, status_code=status, headers={**HEADERS, **(headers or {})})

    def form(self, status: int = 200, error: str | None = None, email: str = "", name: str = "") -> HTMLResponse:
        return self.page("form.html", status, error=error, email=email, name=name,
                         allowed=listed(self.s.allowed_domains))

    async def show_form(self, request: Request):
        return self.form()

    async def subscribe(self, request: Request):
        data = await request.form()
        fields = {k: data.get(k, "") for k in ("email", "name", HONEYPOT)}
        if not all(isinstance(v, str) for v in fields.values()):
            return self.form(400, "Please use the form: it sends text, not files.")
        if fields[HONEYPOT]:
            # A bot: thank it like a person, so it learns nothing; store and send nothing.
            return self.page("check-inbox.html")
        try:
            email, name = clean_email(fields["email"], self.s.smtputf8), clean_name(fields["name"])
            check_domain(email, self.s.allowed_domains)
        except BadInput as exc:
            shown = "" if CONTROL.search(fields["email"]) else fields["email"]
            return self.form(400, str(exc), email=shown, name="" if CONTROL.search(fields["name"]) else fields["name"])
        now = self.s.clock()
        ip = request.client.host if request.client else None
        signup = await run_in_threadpool(self.s.store.subscribe, email, name, now, ip=ip,
                                         ip_limit=self.s.ip_limit, erased_key=self.s.tokens.erased_key(email))
        if signup.refused:
            wait = max(1, math.ceil(signup.retry_after.total_seconds()))
            return self.page("message.html", 429, {"Retry-After": str(wait)}, title="Too many sign-ups",
                             text="Too many sign-ups came from your network in the last hour. Please try again in "
                                  f"{_minutes(wait)}.")
        if signup.held_back:
            hours = max(1, math.ceil(signup.retry_after.total_seconds() / 3600))
            return self.page("message.html", title="No new email this time",
                             text=f"We have sent this address {CONFIRMATIONS_PER_DAY} confirmation emails in the "
                                  "last day, so we are not sending another: nobody can flood an inbox from this "
                                  "form. Look for one of them, in your spam folder too; their links work for 7 days. "
                                  "If none has arrived, sign up again in "
                                  f"{'an hour' if hours == 1 else f'{hours} hours'}.")
        if signup.send_confirmation:
            sub = signup.subscriber
            url = urls.list_confirm(self.s.list_url, self.s.tokens.confirm_token(sub.id))
            try:
                await run_in_threadpool(self.s.send_confirmation, sub, url)
            except Exception as exc:  # any transport failure: free the slot, say so, keep the sign-up
                log.error("confirmation email to subscriber %s not sent: %s", sub.id, exc)
                await run_in_threadpool(self.s.store.release_confirmation, sub, None, now)
                return self.page("message.html", 503, title="We could not send the email",
                                 text="Your sign-up is saved, but the confirmation email could not be sent just "
                                 "now. Please try again in a few minutes.")
        return self.page("check-inbox.html")

    async def confirm(self, request: Request):
        token = request.path_params["token"]
        try:
            subscriber_id = self.s.tokens.read_confirm(token)
        except TokenExpired:
            return self.page("message.html", 400, title="This link has expired",
                             text="Confirmation links work for 7 days. Sign up again and we'll send you a new one.",
                             link=(self.s.look.subscribe_url, "Sign up again"))
        except TokenError:
            return self.bad_link()
        if request.method != "POST":  # GET, and HEAD (Starlette routes it here; scanners send it)
            return await self.button_page(subscriber_id, title="Confirm your subscription", button="Confirm",
                                          text="One more step: press the button to start getting the tip of "
                                               "the week.")
        now = self.s.clock()
        sub, confirmed_now = await run_in_threadpool(self.s.store.confirm_pending, subscriber_id, now)
        if sub is None or sub.state == ERASED:
            return self.unknown()
        if sub.state == "unsubscribed":
            return self.page("message.html", 400, title="This link is no longer valid",
                             text="You left the list after this link was sent. To come back, sign up again.",
                             link=(self.s.look.subscribe_url, "Sign up again"))
        if confirmed_now:  # once: a second press of Confirm finds them confirmed already
            await run_in_threadpool(self.welcome, sub, now)
        return self.page("message.html", title="You're subscribed",
                         text="Thank you. The next tip of the week will be in your inbox.",
                         link=(self.s.look.site_url, f"Back to {self.s.look.site_name}"))

    async def unsubscribe(self, request: Request):
        try:
            subscriber_id = self.s.tokens.read_unsubscribe(request.path_params["token"])
        except TokenError:
            return self.bad_link()
        if request.method != "POST":  # GET or HEAD: show the button, change nothing
            return await self.button_page(subscriber_id, title="Leave the list", button="Unsubscribe",
                                          text="Press the button and you will get no more emails from us.",
                                          link=(self.s.look.subscribe_url, "Changed your mind? Subscribe again"))
        # RFC 8058: a mail provider POSTs "List-Unsubscribe=One-Click"; our own button posts nothing.
        try:
            data = await request.form()
        except HTTPException:  # a body we cannot parse: the signed URL is what counts
            data = {}
        how = "one-click" if data.get("List-Unsubscribe") == "One-Click" else "page"
        sub = await run_in_threadpool(self.s.store.unsubscribe, subscriber_id, self.s.clock(), how)
        if sub is None or sub.state == ERASED:
            return self.unknown()
        return self.page("message.html", title="You're unsubscribed",
                         text="You will get no more emails from us.",
                         link=(self.s.look.subscribe_url, "Changed your mind? Subscribe again"))

    def welcome(self, sub: Subscriber, now: dt.datetime) -> None:
        """The welcome email; one that cannot be sent is logged, and the confirmation stands."""
        if self.s.send_welcome is None:
            return
        leave = urls.list_unsubscribe(self.s.list_url, self.s.tokens.unsubscribe_token(sub.id))
        manage = urls.list_manage(self.s.list_url, self.s.tokens.manage_token(sub.id))
        try:
            self.s.send_welcome(sub, leave, manage, now)
        except Exception as exc:  # the tips, the relay: whatever failed, the subscriber stays confirmed
            log.error("welcome email to subscriber %s not sent: %s", sub.id, exc)

    async def button_page(self, subscriber_id: int, **context) -> HTMLResponse:
        """What a GET of a link shows: one button whose POST does the change
        (mail scanners open every link; only a person presses a button)."""
        sub = await run_in_threadpool(self.s.store.get, subscriber_id)
        if sub is None or sub.state == ERASED:
            return self.unknown()
        return self.page("button.html", **context)

    def bad_link(self) -> HTMLResponse:
        return self.page("message.html", 400, title="This link doesn't work",
                         text="The link is not valid: it may have been cut short by your mail program. "
                         "Copy the whole link from the email into your browser's address bar.",
                    link=(self.s.look.site_url, f"Go to {self.s.look.site_name}"))

    def unknown(self) -> HTMLResponse:
        return self.page("message.html", 404, title="We don't know this link",
                         text="The link is for a subscription this list does not have. Sign up to join.",
                         link=(self.s.look.subscribe_url, "Sign up"))

    async def http_error(self, request: Request, exc: HTTPException):
        if exc.status_code == 405:
            return self.page("message.html", 405, exc.headers, title="Not like that",
                             text="This address does not take that kind of request.")
        if exc.status_code == 404:
            return self.page("message.html", 404, title="Nothing here", text="There is no page at this address.",
                             link=(self.s.look.site_url, f"Go to {self.s.look.site_name}"))
        return self.page("message.html", exc.status_code, title="That request could not be read",
                         text="Nothing was changed. If you used a form, go back and send it again.")

    async def store_down(self, request: Request, exc: StoreError):
        log.error("store: %s", exc)
        return self.page("message.html", 503, {"Retry-After": str(STORE_RETRY)}, title="Please try again shortly",
                         text="The list is not reachable just now. Nothing was changed.")

    def app(self):
        routes = [
            Route("/", self.show_form, methods=["GET"]),
            Route("/subscribe", self.show_form, methods=["GET"]),
            Route("/subscribe", self.subscribe, methods=["POST"]),
            Route("/confirm/{token}", self.confirm, methods=["GET", "POST"]),
            Route("/unsubscribe/{token}", self.unsubscribe, methods=["GET", "POST"]),
            *ManagePage(self, HEADERS).routes(),
        ]
        too_large = self.page("message.html", 413, title="Too much",
                              text=f"That request was larger than {BODY_LIMIT // 1024} KB. The form needs far less.")

        async def body_too_large(request: Request, exc: TooLarge):
            return too_large

        async def gone(request: Request, exc: ClientDisconnect):
            return Response(status_code=400)  # nobody to answer: the client left, or was cut off as too slow

        paths = {}
        if self.s.webhook_token:
            webhook = bounce_webhook.BounceWebhook(self.s.webhook_token, self.s.store, self.s.clock)
            routes.append(Route(bounce_webhook.PATH, webhook.receive, methods=["POST"]))
            paths[bounce_webhook.PATH] = (bounce_webhook.BODY_LIMIT, bounce_webhook.answer(
                {"error": f"the body is larger than {bounce_webhook.BODY_LIMIT // 1024} KB"}, 413))
        handlers = {HTTPException: self.http_error, StoreError: self.store_down, TooLarge: body_too_large,
                    ClientDisconnect: gone}
        app = Starlette(routes=routes, exception_handlers=handlers)
        return BodyLimit(app, BODY_LIMIT, too_large, paths)


def create_app(settings: Settings):
    """The ASGI app of the list service."""
    return ListService(settings).app()
