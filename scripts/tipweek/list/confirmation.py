"""The confirmation email: a text part and an HTML part in the weekly email's
look (its stylesheet, its layout), delivered with ``tipweek send``'s
transports (a Maildir outbox, or SMTP)."""

from __future__ import annotations

import datetime as dt
import re
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Callable

import jinja2
from markupsafe import escape

from ..outputs.email import inline_css, one_line, parse_sender
from .look import Look
from .records import Subscriber

WEEKLY = Path(__file__).parent.parent / "outputs" / "email_templates" / "weekly.html"
PAGES = Path(__file__).parent / "pages"


@lru_cache(maxsize=1)
def _weekly_style() -> str:
    """The weekly email's <style> block, so both emails share one look."""
    match = re.search(r"<style>.*?</style>", WEEKLY.read_text("utf-8"), re.S)
    return match.group(0) if match else ""


@lru_cache(maxsize=1)
def _env(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(PAGES), autoescape=autoescape,
                              keep_trailing_newline=True)


def confirmation_message(look: Look, sender: str, subscriber: Subscriber, confirm_url: str,
                         now: dt.datetime) -> EmailMessage:
    # The name someone typed into the form stays out of this email, greeting and
    # To header alike: anyone can type any address with any text, and the list's
    # own address must not carry it ("your account is locked: visit ...").
    subject = one_line(f"Confirm your subscription to {look.site_name}")
    context = {"look": look, "email": subscriber.email, "confirm_url": confirm_url,
               "subject": subject, "style": jinja2.utils.markupsafe.Markup(_weekly_style())}
    sender_address = parse_sender(sender)
    # An address with non-ASCII letters before the @ (accepted only when the
    # relay offers SMTPUTF8) goes in the header as UTF-8, as RFC 6532 has it.
    msg = EmailMessage() if subscriber.email.isascii() else EmailMessage(policy=policy.default.clone(utf8=True))
    msg["Subject"] = subject
    msg["From"] = sender_address
    msg["To"] = subscriber.email
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=sender_address.domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(_env(False).get_template("confirmation-email.txt").render(context), charset="utf-8",
                    cte="quoted-printable")
    html = _inlined_html(look, subject).replace(_URL_MARK, str(escape(confirm_url))).replace(
        _EMAIL_MARK, str(escape(subscriber.email)))
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg


_URL_MARK, _EMAIL_MARK = "https://confirm-url.invalid/tipweek-mark", "tipweek-mark@email.invalid"


@lru_cache(maxsize=4)
def _inlined_html(look: Look, subject: str) -> str:
    """The HTML part with its CSS inlined once, marks where the address and the
    link go: inlining took half the CPU time of a sign-up."""
    context = {"look": look, "email": _EMAIL_MARK, "confirm_url": _URL_MARK, "subject": subject,
               "style": jinja2.utils.markupsafe.Markup(_weekly_style())}
    return inline_css(_env(True).get_template("confirmation-email.html").render(context))


def confirmation_sender(look: Look, sender: str, make_transport: Callable[[], object],
                        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)):
    """A function (subscriber, confirm URL) that sends the confirmation with a
    fresh transport each time (a service idles for hours between sign-ups;
    an SMTP session would not survive that). Raises when delivery fails."""
    envelope = parse_sender(sender).addr_spec

    def send(subscriber: Subscriber, confirm_url: str) -> None:
        transport = make_transport()
        try:
            transport.deliver(confirmation_message(look, sender, subscriber, confirm_url, clock()), envelope,
                              subscriber.email)
        finally:
            transport.close()

    return send


def relay_offers_smtputf8(make_transport: Callable[[], object]) -> bool:
    """Asked once at start-up: can the relay take an address with non-ASCII
    letters before the @ (RFC 6531)? Without it every confirmation to such an
    address fails, so the form refuses them instead. A Maildir outbox says no:
    whatever carries its messages on is unknown."""
    transport = make_transport()
    try:
        offers = getattr(transport, "offers", None)
        return bool(offers and offers("smtputf8"))
    finally:
        transport.close()


def transport_factory(root: Path, outbox: str | None, smtp: str | None, starttls: bool,
                      user: str | None) -> Callable[[], object]:
    """``tipweek send``'s transports (``transports.transport_factory``), its refusals as the
    command-line errors of ``tipweek list serve``."""
    import click

    from ..sending.errors import SendError
    from ..sending.transports import BadSetting, transport_factory as the_factory

    try:
        return the_factory(root, outbox, smtp, starttls, user)
    except BadSetting as exc:
        raise click.BadParameter(str(exc), param_hint=exc.option) from None
    except SendError as exc:
        raise click.ClickException(str(exc)) from None
