"""The welcome email: one message when someone confirms, with the latest
published tip as the weekly email shows it (its templates, its list headers,
its footer with the reader's unsubscribe link and own page), opened by what to
expect: one tip a week, on the publishing weekday, and how to leave.

The tip comes from the project's tips folder, through the same edition
``tipweek send`` makes (``Project.edition``), not from a built site: the
service runs in the project checkout already (it reads mkdocs.yml for its
look), the site may be built elsewhere or not yet, and an edition made at each
welcome picks up a newly published week without a restart."""

from __future__ import annotations

import datetime as dt
import threading
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Callable
from zoneinfo import ZoneInfo

from ..outputs.email import ListOptions, one_line, parse_sender, render_email
from .records import Subscriber


class NoTipYet(Exception):
    """Nothing is published yet: there is no tip to welcome anyone with."""


def expectations(site_name: str, weekday: str) -> str:
    """The welcome's opening: what the reader signed up for, and how to leave."""
    return (f"Welcome to {site_name}, and thank you for confirming. You will get one tip a week, every "
            f"{weekday.capitalize()}. Here is the latest one to start with. To pause or leave, use the links "
            "at the bottom of any of our emails.")


def welcome_message(edition, subscriber: Subscriber, unsubscribe_url: str, manage_url: str,
                    now: dt.datetime) -> EmailMessage:
    """The welcome for ``subscriber``: the edition's latest published tip, as in the weekly email."""
    tip = edition.tip_of_the_week
    if tip is None:
        raise NoTipYet(f"no tip is published on {edition.today.isoformat()}")
    opening = expectations(edition.site.name, edition.options.weekday)
    msg = render_email(edition, tip, subscriber.email, subscriber.name or None, unsubscribe_url, now,
                       manage_url=manage_url, welcome=opening)
    msg.replace_header("Subject", one_line(f"Welcome to {edition.site.name}: {tip.title}"))
    # Its own Message-ID: the week's email to the same reader has the week's (and a mail
    # program shows only one of two messages with the same id).
    msg.replace_header("Message-ID", make_msgid("welcome", domain=ListOptions.of(edition).list_id))
    return msg


def welcome_sender(project, make_transport: Callable[[], object]):
    """A function (subscriber, unsubscribe URL, manage URL, now) that sends the welcome with a fresh
    transport; raises when the tips cannot be read or delivery fails (the caller logs it)."""
    envelope = parse_sender(project.options.email_from).addr_spec
    zone = ZoneInfo(project.options.timezone)
    one_at_a_time = threading.Lock()  # the edition's body renderer (MkDocs' pages) is not made for threads

    def send(subscriber: Subscriber, unsubscribe_url: str, manage_url: str, now: dt.datetime) -> None:
        with one_at_a_time:
            edition = project.edition(now.astimezone(zone).date())
            msg = welcome_message(edition, subscriber, unsubscribe_url, manage_url, now)
        transport = make_transport()
        try:
            transport.deliver(msg, envelope, subscriber.email)
        finally:
            transport.close()

    return send
