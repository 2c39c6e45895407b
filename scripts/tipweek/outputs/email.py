"""The weekly email: the tip of the week as a multipart/alternative message
(a text part, then HTML with its CSS inlined), with list headers for
one-click unsubscribe (RFC 2369, RFC 8058).

Deterministic: the same tip, options and recipient give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

import css_inline
import jinja2
from markupsafe import Markup

from ..edition import urls
from ..edition.edition import Edition
from ..library.model import Tip
from ..library.dates import long_date, week_label

GMAIL_CLIP_BYTES = 102 * 1024
SAMPLE_READER = "reader@example.org"  # the sample's recipient: plainly an example, never the sender
SEND_HOUR = 7  # the editor's copy's Date: publish day, 07:00 in the site's time zone


@dataclass(frozen=True, slots=True)
class ListOptions:
    """The plugin's email options."""
    sender: str
    reply_to: str | None
    list_id: str
    unsubscribe_url: str  # may hold {email} and {list}
    unsubscribe_mailto: str

    @classmethod
    def of(cls, edition: Edition) -> "ListOptions":
        o = edition.options
        return cls(sender=o.email_from, reply_to=o.reply_to, list_id=o.list_id,
                   unsubscribe_url=o.unsubscribe_url, unsubscribe_mailto=o.unsubscribe_mailto)


@lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    # The bytecode cache (in the temporary folder, keyed by each template's source) spares
    # every weekly run compiling the templates again.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "email_templates"),
        autoescape=jinja2.select_autoescape(["html"]), keep_trailing_newline=True, trim_blocks=False,
        bytecode_cache=jinja2.FileSystemBytecodeCache())


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    # Mail clients drop <style>; keep only @media rules for small screens.
    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    """A mail's HTML with its stylesheet moved into style attributes."""
    return _inliner().inline(html)


def one_line(text: str) -> str:
    """Header-safe: a line break in a title never becomes a second header."""
    return re.sub(r"[\r\n\t\v\f\x00-\x1f]+", " ", text).strip()


def unsubscribe_links(options: ListOptions, recipient: str | None) -> tuple[str | None, str | None]:
    """(https URL, mailto URL) for ``recipient``; None where not configured."""
    def fill(template: str) -> str | None:
        if not template:
            return None
        return template.replace("{email}", quote(recipient or "", safe="")).replace(
            "{list}", quote(options.list_id, safe=""))
    return fill(options.unsubscribe_url), fill(options.unsubscribe_mailto)


def _context(edition: Edition, tip: Tip, body, unsubscribe_url: str | None, name: str | None = None,
             rerun_on: dt.date | None = None, one_button: bool = False, manage_url: str | None = None,
             welcome: str | None = None) -> dict:
    site = edition.site
    return {
        "site": site,
        "tip": tip,
        "subject": subject(tip, rerun_on),
        "long_date": long_date(rerun_on or tip.date),
        "rerun": rerun_on is not None,  # "From the archive", with the tip's own date
        "original_date": long_date(tip.date),
        "tip_url": site.absolute(urls.tip(tip.slug)),
        "huddle_url": site.absolute(urls.huddle(tip.slug)),
        "web_url": site.absolute(urls.email(rerun_on or tip.date)),
        "archive_url": site.absolute(urls.ARCHIVE),
        "feed_url": site.absolute(urls.RSS),
        "subscribe_url": site.absolute(urls.SUBSCRIBE),
        "principles": [{"name": edition.principles[s].name, "url": site.absolute(urls.principle(s))}
                       for s in tip.tags],
        "related": [{"title": r.title, "url": site.absolute(urls.tip(r.slug)), "date": long_date(r.date)}
                    for r in edition.related(tip)],
        "unsubscribe_url": unsubscribe_url,
        "unsubscribe_by_mail": bool(unsubscribe_url and unsubscribe_url.startswith("mailto:")),
        # Only the list service's own link is known to open a page with one button to press;
        # a site's unsubscribe_url template may lead anywhere, so its footer says no more than "Unsubscribe".
        "unsubscribe_one_button": one_button,
        "manage_url": manage_url,  # the reader's own page on the list service (None: a CSV list's send)
        "welcome": welcome,  # the welcome email's "what to expect" (None: the weekly email)
        "body": body,
        "name": one_line(name) if name else None,
    }


def subject(tip: Tip, rerun_on: dt.date | None = None) -> str:
    return one_line(f"{'From the archive' if rerun_on else 'Tip of the week'}: {tip.title}")


def render_html(edition: Edition, tip: Tip, unsubscribe_url: str | None = None, name: str | None = None,
                rerun_on: dt.date | None = None, one_button: bool = False, manage_url: str | None = None,
                welcome: str | None = None) -> str:
    """The HTML part (also the web version, when ``unsubscribe_url`` is None);
    ``one_button``: the link is the list service's own (a page with one button);
    ``manage_url``: the reader's own page there; ``welcome``: the welcome email's
    opening paragraph (what to expect), above the tip."""
    body = Markup(edition.bodies.away(tip))
    context = _context(edition, tip, body, unsubscribe_url, name, rerun_on, one_button, manage_url, welcome)
    return inline_css(_templates().get_template("weekly.html").render(context))


def render_text(edition: Edition, tip: Tip, unsubscribe_url: str | None = None, name: str | None = None,
                rerun_on: dt.date | None = None, one_button: bool = False, manage_url: str | None = None,
                welcome: str | None = None) -> str:
    context = _context(edition, tip, edition.bodies.text(tip), unsubscribe_url, name, rerun_on, one_button,
                       manage_url, welcome)
    return _templates().get_template("weekly.txt").render(context)


def render_email(edition: Edition, tip: Tip, recipient: str | None = None, name: str | None = None,
                 unsubscribe_url: str | None = None, sent_at: dt.datetime | None = None,
                 rerun_on: dt.date | None = None, manage_url: str | None = None,
                 welcome: str | None = None) -> EmailMessage:
    """The week's message to ``recipient`` (default: ``SAMPLE_READER``, for a
    sample whose links unsubscribe nobody real), with the recipient's own unsubscribe links: from the
    plugin's templates, or ``unsubscribe_url`` (the list service's) when given.

    ``sent_at`` is the Date header: the moment the sender hands the message
    over (a Date hours off the time it arrives counts against it with spam
    filters). Without it (the editor's copy) the Date is 07:00 on the tip's
    day, so rebuilds stay byte-identical.

    With ``rerun_on`` (``edition.featured.rerun_on``) it is that week's
    re-run of ``tip``: labelled, identified and (without ``sent_at``) dated
    by that week. ``manage_url``: the reader's own page on the list service (pause, their data, erase),
    linked from the footer; ``welcome``: the welcome email's opening paragraph, above the tip."""
    options = ListOptions.of(edition)
    to_addr = recipient or SAMPLE_READER
    https, mailto = unsubscribe_links(options, to_addr)
    https = unsubscribe_url or https
    one_button = bool(unsubscribe_url)  # the list service's own signed link, not the site's template
    return assemble_message(edition, options, tip, to_addr, name, https, mailto, sent_at, rerun_on,
                     render_text(edition, tip, https or mailto, name, rerun_on, one_button, manage_url, welcome),
                     render_html(edition, tip, https or mailto, name, rerun_on, one_button, manage_url, welcome))


def assemble_message(edition: Edition, options: ListOptions, tip: Tip, to_addr: str, name: str | None, https: str | None,
              mailto: str | None, sent_at: dt.datetime | None, rerun_on: dt.date | None, text: str,
              html: str) -> EmailMessage:
    """The message around its rendered text and HTML parts."""
    sender = parse_sender(options.sender)
    msg = EmailMessage()
    msg["Subject"] = subject(tip, rerun_on)
    msg["From"] = sender
    msg["To"] = Address(display_name=one_line(name or ""), addr_spec=to_addr)
    if options.reply_to:
        msg["Reply-To"] = options.reply_to
    zone = edition.site.published_at(tip).tzinfo
    msg["Date"] = format_datetime(sent_at.astimezone(zone) if sent_at else
                                  dt.datetime.combine(rerun_on or tip.date, dt.time(SEND_HOUR), zone))
    msg["Message-ID"] = message_id_of(options, tip, to_addr, rerun_on)
    msg["List-Id"] = f"{one_line(edition.site.name)} <{options.list_id}>"
    links = [f"<{u}>" for u in (https, mailto) if u]
    if links:
        msg["List-Unsubscribe"] = ", ".join(links)
    if https:
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Precedence"] = "bulk"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # A boundary from the content, not from random(): the same week gives the same bytes.
    msg.set_boundary("==tipweek-" + hashlib.sha256(html.encode()).hexdigest()[:32])
    return msg


def message_id_of(options: ListOptions, tip: Tip, to_addr: str, rerun_on: dt.date | None) -> str:
    digest = hashlib.sha256(to_addr.lower().encode()).hexdigest()[:16]
    return f"<{week_label(rerun_on or tip.date)}.{tip.slug}.{digest}@{options.list_id}>"


def parse_sender(text: str) -> Address:
    from ..addresses import BadAddress, checked_address

    (name, addr), = getaddresses([one_line(text)]) or [("", text)]
    try:
        checked_address(addr)
    except BadAddress:
        raise ValueError(f"email_from {text!r} is not an email address") from None
    return Address(display_name=name, addr_spec=addr)


def as_bytes(msg: EmailMessage) -> bytes:
    """The message as it goes on the wire (CRLF line ends, lines under 998 octets)."""
    from email.policy import SMTP
    return msg.as_bytes(policy=SMTP)


def web_versions(edition: Edition) -> dict[str, tuple[Tip, dt.date | None]]:
    """Which web versions of the email the site has: path -> (tip, the day
    it re-ran or None). The email of each of the newest weeks a feed
    carries, re-run weeks among them (so links in recent emails keep
    working), and email/latest.html: this week's. ``tipweek check --site``
    asks here too, so it expects what the build writes."""
    from ..calendar.reruns import since

    tips = edition.feed_tips()
    pages: dict[str, tuple[Tip, dt.date | None]] = {urls.email(tip.date): (tip, None) for tip in tips}
    if tips:
        for rerun in since(edition.reruns, tips[-1].date, edition.today, edition.options.weekday):
            pages[urls.email(rerun.day)] = (rerun.tip, rerun.day)
    if edition.featured:
        week = edition.featured
        pages[urls.EMAIL_LATEST] = pages.get(urls.email(week.day)) or (week.tip, week.rerun_on)
    return pages


def write_web_versions(edition: Edition, out_dir: Path) -> list[Path]:
    """Write the web versions of the email (see :func:`web_versions`)."""
    from .atomic import write_atomic

    pages = web_versions(edition)
    rendered: dict[tuple[str, dt.date | None], str] = {}  # latest.html is also its week's page
    for rel, (tip, rerun_on) in pages.items():
        key = (tip.slug, rerun_on)
        if key not in rendered:
            rendered[key] = render_html(edition, tip, rerun_on=rerun_on)
        write_atomic(Path(out_dir) / rel, rendered[key])
    return [Path(out_dir) / rel for rel in pages]


__all__ = ["ListOptions", "render_email", "render_html", "render_text", "as_bytes", "web_versions",
           "write_web_versions", "GMAIL_CLIP_BYTES"]
