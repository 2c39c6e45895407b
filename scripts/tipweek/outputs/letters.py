"""The week's message made once and filled in for each reader, for a send to a whole list
(:class:`WeeklyEmail`): the templates, the Markdown body and the CSS inlining run once per kind
of message, and a reader's parts go into the rendered text, or into the bytes on the wire
(:class:`Letter`), exactly as ``email.render_email`` would make them for that reader."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from email import policy, quoprimime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache


from ..edition.edition import Edition
from ..library.model import Tip
from .email import (SAMPLE_READER, ListOptions, as_bytes, assemble_message, message_id_of, one_line, render_email,
                    render_html, render_text, unsubscribe_links)


# Stand-ins for a reader's parts, rendered once a week and replaced per reader: letters and digits
# only, so that escaping, CSS inlining and quoted-printable leave them as they are.
_NAME = "TipweekReaderNameZq7"
# (kind "own" is the list service's own link, whose footer promises a page with one button.)
_LINKS = {"https": "https://tipweek.invalid/TipweekReaderLinkZq7",
          "own": "https://tipweek.invalid/TipweekReaderLinkZq7",
          "mailto": "mailto:TipweekReaderLinkZq7@tipweek.invalid"}
_MANAGE = "https://tipweek.invalid/TipweekReaderPageZq7"  # the reader's own page on the list service
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
        self._parts: dict[tuple[bool, str | None, bool], tuple[str, str]] = {}
        self._skeletons: dict[tuple, _Skeleton | None] = {}

    def _rendered(self, named: bool, kind: str | None, managed: bool = False) -> tuple[str, str]:
        key = (named, kind, managed)
        if key not in self._parts:
            link, name = _LINKS.get(kind), _NAME if named else None
            own, manage = kind == "own", _MANAGE if managed else None
            self._parts[key] = (render_text(self.edition, self.tip, link, name, self.rerun_on, own, manage),
                                render_html(self.edition, self.tip, link, name, self.rerun_on, own, manage))
        return self._parts[key]

    def _reader(self, recipient: str, name: str | None, unsubscribe_url: str | None, manage_url: str | None = None):
        """(to, https, mailto, shown name, link, kind), kind False when the reader's parts cannot
        simply be filled in (they are rendered the long way)."""
        to_addr = recipient or SAMPLE_READER
        https, mailto = unsubscribe_links(self.options, to_addr)
        https = unsubscribe_url or https
        link = https or mailto
        shown = one_line(name) if name else ""
        plain = (_PLAIN_NAME.fullmatch(shown) and (not link or _PLAIN_LINK.fullmatch(link))
                 and (not manage_url or _PLAIN_LINK.fullmatch(manage_url)))
        web = "own" if unsubscribe_url else "https"
        kind = (None if not link else "mailto" if link.startswith("mailto:") else web) if plain else False
        return to_addr, https, mailto, shown, link, kind

    @staticmethod
    def _fill(template: str, shown: str, link: str | None, kind: str | None, manage_url: str | None = None) -> str:
        if shown:
            template = template.replace(_NAME, shown)
        if manage_url:
            template = template.replace(_MANAGE, manage_url)
        return template.replace(_LINKS[kind], link) if link else template

    def render(self, recipient: str, name: str | None = None, unsubscribe_url: str | None = None,
               sent_at: dt.datetime | None = None, manage_url: str | None = None) -> EmailMessage:
        """``render_email(edition, tip, recipient, name, unsubscribe_url, sent_at, rerun_on, manage_url)``."""
        to_addr, https, mailto, shown, link, kind = self._reader(recipient, name, unsubscribe_url, manage_url)
        if kind is False:
            return render_email(self.edition, self.tip, recipient, name, unsubscribe_url, sent_at, self.rerun_on,
                                manage_url)
        text, html = self._rendered(bool(shown), kind, bool(manage_url))
        return assemble_message(self.edition, self.options, self.tip, to_addr, name, https, mailto, sent_at, self.rerun_on,
                         self._fill(text, shown, link, kind, manage_url), self._fill(html, shown, link, kind, manage_url))

    def letter(self, recipient: str, name: str | None, unsubscribe_url: str | None, sent_at: dt.datetime,
               message_id: str | None = None, manage_url: str | None = None) -> "Letter":
        """The reader's message for a send: its bytes on the wire made from the week's
        skeleton (``as_bytes(render(...))``, exactly), with the message itself made only if a
        transport asks for it (the Maildir outbox). ``message_id``: keep a first attempt's."""
        def message() -> EmailMessage:
            msg = self.render(recipient, name, unsubscribe_url, sent_at, manage_url)
            if message_id and msg["Message-ID"] != message_id:
                msg.replace_header("Message-ID", message_id)
            return msg

        to_addr, https, mailto, shown, link, kind = self._reader(recipient, name, unsubscribe_url, manage_url)
        own_id = message_id or message_id_of(self.options, self.tip, to_addr, self.rerun_on)
        if kind is False or not to_addr.isascii():  # (an address beyond ASCII goes out with SMTPUTF8)
            return Letter(own_id, None, message)
        managed = bool(manage_url)
        skeleton = self._skeleton(bool(shown), kind, https is not None, mailto is not None, managed)
        if skeleton is None:
            return Letter(own_id, None, message)
        text, html = self._rendered(bool(shown), kind, managed)
        text, html = self._fill(text, shown, link, kind, manage_url), self._fill(html, shown, link, kind, manage_url)
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

    def _skeleton(self, named: bool, kind: str | None, https: bool, mailto: bool,
                  managed: bool = False) -> "_Skeleton | None":
        key = (named, kind, https, mailto, managed)
        if key not in self._skeletons:
            self._skeletons[key] = _Skeleton.of(self, named, kind, https, mailto, managed)
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


class _Skeleton:
    """The week's message on the wire, cut where a reader's parts go: the bytes
    ``as_bytes`` gives for a stand-in reader, split at the folded To, Date, Message-ID and
    List-Unsubscribe lines and at the two quoted-printable bodies. Each piece is found
    exactly once, or there is no skeleton (and every message is made the long way)."""

    def __init__(self, pieces: list, lines: dict[str, str]):
        self.pieces = pieces  # bytes (boundary stand-ins inside) and names of a reader's parts
        self.lines = lines  # a body's lines with no reader part in them -> quoted-printable

    @classmethod
    def of(cls, week: "WeeklyEmail", named: bool, kind: str | None, https: bool, mailto: bool, managed: bool):
        to_addr = "tipweekreaderzq7@tipweek.invalid"
        name = _NAME if named else None
        link = _LINKS.get(kind)
        https_url = (link if kind in ("https", "own") else "https://tipweek.invalid/TipweekHttpsZq7") if https else None
        mailto_url = (link if kind == "mailto" else "mailto:TipweekMailtoZq7@tipweek.invalid") if mailto else None
        if (https_url or mailto_url) != link:
            return None
        sent_at = dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc)
        text, html = week._rendered(named, kind, managed)
        msg = assemble_message(week.edition, week.options, week.tip, to_addr, name, https_url, mailto_url, sent_at,
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
                if keep and _NAME not in line and not any(link in line for link in (*_LINKS.values(), _MANAGE)):
                    self.lines[line] = encoded
            out.append(encoded)
        return ("\r\n".join(out) + "\r\n").encode("ascii")
