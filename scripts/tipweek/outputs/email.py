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
from email import policy, quoprimime
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
             rerun_on: dt.date | None = None, one_button: bool = False) -> dict:
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
        "body": body,
        "name": one_line(name) if name else None,
    }


def subject(tip: Tip, rerun_on: dt.date | None = None) -> str:
    return one_line(f"{'From the archive' if rerun_on else 'Tip of the week'}: {tip.title}")


def render_html(edition: Edition, tip: Tip, unsubscribe_url: str | None = None, name: str | None = None,
                rerun_on: dt.date | None = None, one_button: bool = False) -> str:
    """The HTML part (also the web version, when ``unsubscribe_url`` is None);
    ``one_button``: the link is the list service's own (a page with one button)."""
    body = Markup(edition.bodies.away(tip))
    context = _context(edition, tip, body, unsubscribe_url, name, rerun_on, one_button)
    return inline_css(_templates().get_template("weekly.html").render(context))


def render_text(edition: Edition, tip: Tip, unsubscribe_url: str | None = None, name: str | None = None,
                rerun_on: dt.date | None = None, one_button: bool = False) -> str:
    context = _context(edition, tip, edition.bodies.text(tip), unsubscribe_url, name, rerun_on, one_button)
    return _templates().get_template("weekly.txt").render(context)


def render_email(edition: Edition, tip: Tip, recipient: str | None = None, name: str | None = None,
                 unsubscribe_url: str | None = None, sent_at: dt.datetime | None = None,
                 rerun_on: dt.date | None = None) -> EmailMessage:
    """The week's message to ``recipient`` (default: ``SAMPLE_READER``, for a
    sample whose links unsubscribe nobody real), with the recipient's own unsubscribe links: from the
    plugin's templates, or ``unsubscribe_url`` (the list service's) when given.

    ``sent_at`` is the Date header: the moment the sender hands the message
    over (a Date hours off the time it arrives counts against it with spam
    filters). Without it (the editor's copy) the Date is 07:00 on the tip's
    day, so rebuilds stay byte-identical.

    With ``rerun_on`` (``edition.featured.rerun_on``) it is that week's
    re-run of ``tip``: labelled, identified and (without ``sent_at``) dated
    by that week."""
    options = ListOptions.of(edition)
    to_addr = recipient or SAMPLE_READER
    https, mailto = unsubscribe_links(options, to_addr)
    https = unsubscribe_url or https
    one_button = bool(unsubscribe_url)  # the list service's own signed link, not the site's template
    return _assemble(edition, options, tip, to_addr, name, https, mailto, sent_at, rerun_on,
                     render_text(edition, tip, https or mailto, name, rerun_on, one_button),
                     render_html(edition, tip, https or mailto, name, rerun_on, one_button))


def _assemble(edition: Edition, options: ListOptions, tip: Tip, to_addr: str, name: str | None, https: str | None,
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
    msg["Message-ID"] = _message_id(options, tip, to_addr, rerun_on)
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


# Stand-ins for a reader's parts, rendered once a week and replaced per reader: letters and digits
# only, so that escaping, CSS inlining and quoted-printable leave them as they are.
_NAME = "TipweekReaderNameZq7"
# (kind "own" is the list service's own link, whose footer promises a page with one button.)
_LINKS = {"https": "https://tipweek.invalid/TipweekReaderLinkZq7",
          "own": "https://tipweek.invalid/TipweekReaderLinkZq7",
          "mailto": "mailto:TipweekReaderLinkZq7@tipweek.invalid"}
# A part that the templates and the CSS inliner would give back unchanged: no character that HTML
# escapes, no control character, no no-break space (anything else is rendered the long way).
_PLAIN_NAME = re.compile(r"[^&<>\"'\x00-\x1f\x7f-\x9f\xa0]*")
_PLAIN_LINK = re.compile(r"[!#-%(-;=?-~]*")  # printable ASCII but for space, quotes, & < >


class WeeklyEmail:
    """The week's message made once and filled in for each reader, for a send to a whole list:
    the templates, the Markdown body and the CSS inlining run once per kind of message (with
    or without a name; an https or a mailto unsubscribe link) instead of once per reader, and
    each reader's name and link go into the rendered parts. The result is the message
    ``render_email`` makes for that reader, byte for byte (tests/test_email.py checks it)."""

    def __init__(self, edition: Edition, tip: Tip, rerun_on: dt.date | None = None):
        self.edition, self.tip, self.rerun_on = edition, tip, rerun_on
        self.options = ListOptions.of(edition)
        self._parts: dict[tuple[bool, str | None], tuple[str, str]] = {}
        self._skeletons: dict[tuple, _Skeleton | None] = {}

    def _rendered(self, named: bool, kind: str | None) -> tuple[str, str]:
        key = (named, kind)
        if key not in self._parts:
            link, name = _LINKS.get(kind), _NAME if named else None
            own = kind == "own"
            self._parts[key] = (render_text(self.edition, self.tip, link, name, self.rerun_on, own),
                                render_html(self.edition, self.tip, link, name, self.rerun_on, own))
        return self._parts[key]

    def _reader(self, recipient: str, name: str | None, unsubscribe_url: str | None):
        """(to, https, mailto, shown name, link, kind), kind None when the reader's parts cannot
        simply be filled in (they are rendered the long way)."""
        to_addr = recipient or SAMPLE_READER
        https, mailto = unsubscribe_links(self.options, to_addr)
        https = unsubscribe_url or https
        link = https or mailto
        shown = one_line(name) if name else ""
        plain = _PLAIN_NAME.fullmatch(shown) and (not link or _PLAIN_LINK.fullmatch(link))
        web = "own" if unsubscribe_url else "https"
        kind = (None if not link else "mailto" if link.startswith("mailto:") else web) if plain else False
        return to_addr, https, mailto, shown, link, kind

    @staticmethod
    def _fill(template: str, shown: str, link: str | None, kind: str | None) -> str:
        if shown:
            template = template.replace(_NAME, shown)
        return template.replace(_LINKS[kind], link) if link else template

    def render(self, recipient: str, name: str | None = None, unsubscribe_url: str | None = None,
               sent_at: dt.datetime | None = None) -> EmailMessage:
        """``render_email(edition, tip, recipient, name, unsubscribe_url, sent_at, rerun_on)``."""
        to_addr, https, mailto, shown, link, kind = self._reader(recipient, name, unsubscribe_url)
        if kind is False:
            return render_email(self.edition, self.tip, recipient, name, unsubscribe_url, sent_at, self.rerun_on)
        text, html = self._rendered(bool(shown), kind)
        return _assemble(self.edition, self.options, self.tip, to_addr, name, https, mailto, sent_at, self.rerun_on,
                         self._fill(text, shown, link, kind), self._fill(html, shown, link, kind))

    def letter(self, recipient: str, name: str | None, unsubscribe_url: str | None, sent_at: dt.datetime,
               message_id: str | None = None) -> "Letter":
        """The reader's message for a send: its bytes on the wire made from the week's
        skeleton (``as_bytes(render(...))``, exactly), with the message itself made only if a
        transport asks for it (the Maildir outbox). ``message_id``: keep a first attempt's."""
        def message() -> EmailMessage:
            msg = self.render(recipient, name, unsubscribe_url, sent_at)
            if message_id and msg["Message-ID"] != message_id:
                msg.replace_header("Message-ID", message_id)
            return msg

        to_addr, https, mailto, shown, link, kind = self._reader(recipient, name, unsubscribe_url)
        own_id = message_id or _message_id(self.options, self.tip, to_addr, self.rerun_on)
        if kind is False or not to_addr.isascii():  # (an address beyond ASCII goes out with SMTPUTF8)
            return Letter(own_id, None, message)
        skeleton = self._skeleton(bool(shown), kind, https is not None, mailto is not None)
        if skeleton is None:
            return Letter(own_id, None, message)
        text, html = self._rendered(bool(shown), kind)
        text, html = self._fill(text, shown, link, kind), self._fill(html, shown, link, kind)
        boundary = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
        links = ", ".join(f"<{u}>" for u in (https, mailto) if u)
        zone = self.edition.site.published_at(self.tip).tzinfo
        parts = {
            "To": _fold("To", Address(display_name=one_line(name or ""), addr_spec=to_addr)),
            "Date": _fold("Date", format_datetime(sent_at.astimezone(zone))),
            "Message-ID": _fold("Message-ID", own_id),
            "List-Unsubscribe": _fold("List-Unsubscribe", links) if links else b"",
            "text": skeleton.body(text), "html": skeleton.body(html),
        }
        wire = b"".join(parts[piece] if isinstance(piece, str) else piece.replace(_BOUNDARY, boundary)
                        for piece in skeleton.pieces)
        return Letter(own_id, wire, message)

    def _skeleton(self, named: bool, kind: str | None, https: bool, mailto: bool) -> "_Skeleton | None":
        key = (named, kind, https, mailto)
        if key not in self._skeletons:
            self._skeletons[key] = _Skeleton.of(self, named, kind, https, mailto)
        return self._skeletons[key]


@dataclass(frozen=True)
class Letter:
    """One reader's message as a send hands it over: ``wire``, the bytes for SMTP (None: use
    ``message()``), and ``message()``, the EmailMessage (for the Maildir outbox)."""
    message_id: str
    wire: bytes | None
    message: "object"  # () -> EmailMessage


_BOUNDARY = b"Q" * 32  # a stand-in boundary of the real one's length and kind of characters

def _fold(name: str, value) -> bytes:
    """One header as the generator writes it (``as_bytes``: the SMTP policy)."""
    return policy.SMTP.fold_binary(name, _header_class(name)(name, value))


@lru_cache(maxsize=None)
def _header_class(name: str):
    # The policy's registry makes a new class at every look-up: once is enough.
    return policy.SMTP.header_factory[name]


def _message_id(options: ListOptions, tip: Tip, to_addr: str, rerun_on: dt.date | None) -> str:
    digest = hashlib.sha256(to_addr.lower().encode()).hexdigest()[:16]
    return f"<{week_label(rerun_on or tip.date)}.{tip.slug}.{digest}@{options.list_id}>"


class _Skeleton:
    """The week's message on the wire, cut where a reader's parts go: the bytes
    ``as_bytes`` gives for a stand-in reader, split at the folded To, Date, Message-ID and
    List-Unsubscribe lines and at the two quoted-printable bodies. Each piece is found
    exactly once, or there is no skeleton (and every message is made the long way)."""

    def __init__(self, pieces: list, lines: dict[str, str]):
        self.pieces = pieces  # bytes (boundary stand-ins inside) and names of a reader's parts
        self.lines = lines  # a body's lines with no reader part in them -> quoted-printable

    @classmethod
    def of(cls, week: "WeeklyEmail", named: bool, kind: str | None, https: bool, mailto: bool):
        to_addr = "tipweekreaderzq7@tipweek.invalid"
        name = _NAME if named else None
        link = _LINKS.get(kind)
        https_url = (link if kind in ("https", "own") else "https://tipweek.invalid/TipweekHttpsZq7") if https else None
        mailto_url = (link if kind == "mailto" else "mailto:TipweekMailtoZq7@tipweek.invalid") if mailto else None
        if (https_url or mailto_url) != link:
            return None
        sent_at = dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc)
        text, html = week._rendered(named, kind)
        msg = _assemble(week.edition, week.options, week.tip, to_addr, name, https_url, mailto_url, sent_at,
                        week.rerun_on, text, html)
        real = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
        wire = as_bytes(msg).replace(real, _BOUNDARY)
        found = cls([], {})
        zone = week.edition.site.published_at(week.tip).tzinfo
        links = ", ".join(f"<{u}>" for u in (https_url, mailto_url) if u)
        cuts = [("To", _fold("To", msg["To"])), ("Date", _fold("Date", format_datetime(sent_at.astimezone(zone)))),
                ("Message-ID", _fold("Message-ID", msg["Message-ID"]))]
        if links:
            cuts.append(("List-Unsubscribe", _fold("List-Unsubscribe", links)))
        cuts += [("text", found.body(text, keep=True)), ("html", found.body(html, keep=True))]
        rest = wire
        for label, piece in cuts:
            if rest.count(piece) != 1:
                return None
            before, rest = rest.split(piece)
            found.pieces += [before, label]
        found.pieces.append(rest)
        return found

    def body(self, text: str, keep: bool = False) -> bytes:
        """``text`` as the quoted-printable payload on the wire (what set_content and the
        generator make of it), line by line: the week's own lines are encoded once."""
        out = []
        for line in text.encode("utf-8").splitlines():
            line = line.decode("latin-1")
            encoded = self.lines.get(line)
            if encoded is None:
                # (set_content's own call: the line length of the message's policy; soft breaks as CRLF.)
                encoded = quoprimime.body_encode(line + "\n", policy.default.max_line_length)[:-1]
                encoded = encoded.replace("\n", "\r\n")
                if keep and _NAME not in line and not any(link in line for link in _LINKS.values()):
                    self.lines[line] = encoded
            out.append(encoded)
        return ("\r\n".join(out) + "\r\n").encode("ascii")


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


__all__ = ["ListOptions", "render_email", "WeeklyEmail", "render_html", "render_text", "as_bytes", "web_versions",
           "write_web_versions", "GMAIL_CLIP_BYTES"]
