"""The reader's own page, GET/POST /manage/<token>, linked from every email of
the list: what the list holds about them, and what they can do themselves,
each a POST form (a GET or HEAD only shows the page: mail scanners open links; a POST
from another website's page is refused, see ``origins``):

- ``action=pause`` with ``weeks`` (1 to 12): no sends until then, then they
  resume by themselves; ``action=resume`` ends a pause now;
- ``action=download``: their data and whole consent record, as a JSON file;
- ``action=erase``: a page that asks first; with ``confirm=yes`` the address
  and name leave the store. What is kept (a keyed hash of the address, and the
  consent record) stops an import or a sign-up from bringing the address back
  without a new confirmation; the page also says what the store cannot erase (the
  delivery ledgers of weeks that mailed them, and older backups, until they are deleted).
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..edition import urls
from ..library.dates import long_date
from .origins import REFERRER_POLICY, from_another_site
from .records import BOUNCED, CONFIRMED, ERASED, PAUSE_WEEKS, PENDING, UNSUBSCRIBED, Subscriber, unstamp
from .tokens import TokenError

STATES = {CONFIRMED: "Subscribed", PENDING: "Waiting for you to confirm (see the email we sent)",
          UNSUBSCRIBED: "Unsubscribed: you get no email from us", BOUNCED: "Stopped: our emails to this address bounced"}
WEEKS_OFFERED = {str(weeks): weeks for weeks in PAUSE_WEEKS}  # the form's values, as the form sends them
KEPT = ("What we keep: a keyed hash of your address (a code made from it with a key only this list has, from "
        "which the address cannot be read back) and the record of when you joined, confirmed, paused or left, "
        "and asked for this erasure, and how each came. We keep the record to show what you agreed to and when; we keep the hash so that nobody can put "
        "your address back on the list, by importing an old list or signing you up, without a new confirmation "
        "from your mailbox. Your address also stays a while where it was written before: in the sending "
        "machine's delivery logs of the weeks we mailed you (they keep anyone from getting a tip twice), and in "
        "backups of the list, until each is deleted in its turn.")


class ManagePage:
    """The page's handlers, over the service's settings and pages (``service.ListService``)."""

    def __init__(self, service, headers: dict):
        self.service, self.s, self.headers = service, service.s, headers

    def routes(self) -> list[Route]:
        return [Route("/manage/{token}", self.manage, methods=["GET", "POST"])]

    async def manage(self, request: Request):
        response = await self.answer(request)
        response.headers["Referrer-Policy"] = REFERRER_POLICY  # (see origins: the page's forms send their Origin)
        return response

    async def answer(self, request: Request):
        token = request.path_params["token"]
        try:
            subscriber_id = self.s.tokens.read_manage(token)
        except TokenError:
            return self.service.bad_link()
        if request.method == "POST" and from_another_site(request, self.s.list_url):
            return self.service.page("message.html", 403, title="Please use the page itself",
                                     text="This came from another website, so nothing was changed. Open the "
                                          "link from one of our emails in your browser and use the buttons on "
                                          "that page.",
                                     link=(urls.list_manage(self.s.list_url, token), "Open your subscription page"))
        sub = await run_in_threadpool(self.s.store.get, subscriber_id)
        if sub is None or sub.state == ERASED:
            return self.service.unknown()
        if request.method != "POST":  # GET and HEAD: show, change nothing
            return self.show(sub)
        try:
            data = await request.form()
        except HTTPException:
            data = {}
        action, now = data.get("action"), self.s.clock()
        if action == "pause":
            weeks = WEEKS_OFFERED.get(data.get("weeks"))  # exactly a value the list offers ("²" is no number)
            if weeks is None:
                return self.show(sub, 400, error="Choose a pause of 1 to 12 weeks from the list.")
            if sub.state != CONFIRMED:
                return self.show(sub, 400, error="Only a confirmed subscription can be paused.")
            paused = await run_in_threadpool(self.s.store.pause, sub.id, weeks, now)
            if paused is None:
                return self.service.unknown()
            return self.show(paused, notice=f"Paused: no tips until {_day(paused.paused_until)}.")
        if action == "resume":
            resumed = await run_in_threadpool(self.s.store.resume, sub.id, now)
            if resumed is None:
                return self.service.unknown()
            return self.show(resumed, notice="Resumed: the next tip of the week comes to you as usual.")
        if action == "download":
            return await self.download(sub.id)
        if action == "erase" and data.get("confirm") != "yes":
            return self.service.page("erase.html", sub=sub, kept=KEPT)
        if action == "erase":
            erased = await run_in_threadpool(self.s.store.erase, sub.id, now, self.s.tokens.erased_key(sub.email),
                                             self.s.tokens.erasure_check)
            if erased is None:
                return self.service.unknown()
            return self.service.page("message.html", title="Your data is erased",
                                     text="Your address and name are no longer on the list, and you will get no "
                                          f"more email from us. {KEPT}",
                                     link=(self.s.look.site_url, f"Back to {self.s.look.site_name}"))
        return self.show(sub, 400, error="That is not something this page does: use one of its buttons.")

    def show(self, sub: Subscriber, status: int = 200, **context):
        paused = sub.state == CONFIRMED and sub.paused(self.s.clock())
        leave = urls.list_unsubscribe(self.s.list_url, self.s.tokens.unsubscribe_token(sub.id))
        return self.service.page("manage.html", status, sub=sub, state=STATES.get(sub.state, sub.state),
                                 joined=_day(sub.created_at), confirmed=sub.state == CONFIRMED, weeks=PAUSE_WEEKS,
                                 paused_until=_day(sub.paused_until) if paused else None, unsubscribe_url=leave,
                                 **context)

    async def download(self, subscriber_id: int) -> Response:
        found = await run_in_threadpool(self.s.store.history_of, subscriber_id)
        if found is None:
            return self.service.unknown()
        sub, events = found
        record = {"email": sub.email, "name": sub.name, "state": sub.state, "joined": sub.created_at,
                  "paused_until": sub.paused_until,
                  "events": [{"at": e.at, "action": e.action, "how": e.how} for e in events]}
        return Response(json.dumps(record, indent=2, ensure_ascii=False) + "\n", media_type="application/json",
                        headers={**self.headers, "Content-Disposition": 'attachment; filename="my-subscription.json"'})


def _day(stamp: str | None) -> str | None:
    return long_date(unstamp(stamp).date()) if stamp else None
