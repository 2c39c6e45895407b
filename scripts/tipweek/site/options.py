"""The tipweek plugin's options in mkdocs.yml, as a typed MkDocs config class.

Every option is checked when the configuration loads (as MkDocs' own options
are), so a bad value stops ``check``, ``build`` and every command at once
with one line naming the option, never later with a traceback.
"""

from __future__ import annotations

import difflib
import re
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from mkdocs.config import base
from mkdocs.config import config_options as c

from ..addresses import BadAddress, checked_address, checked_domain
from ..library.dates import WEEKDAYS

_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def _is_address(text: str) -> bool:
    try:
        checked_address(text)
    except BadAddress:
        return False
    return True


class TimeZone(c.Type):
    """An IANA time-zone name such as Europe/London."""

    def __init__(self, default: str = "UTC"):
        super().__init__(str, default=default)

    def run_validation(self, value: object) -> str:
        value = super().run_validation(value)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            close = difflib.get_close_matches(value, sorted(available_timezones()), n=1)
            hint = f"did you mean '{close[0]}'?" if close else "use a name like 'Europe/London' or 'UTC'"
            raise base.ValidationError(f"unknown time zone '{value}' ({hint})") from None
        return value


class Mailbox(c.Type):
    """An email address, with or without a display name: 'Tips <tips@example.org>'."""

    def __init__(self, default: str | None = None):
        super().__init__(str, default=default)

    def run_validation(self, value: object) -> str:
        value = super().run_validation(value)
        if re.search(r"[\r\n\x00-\x1f]", value):
            raise base.ValidationError("must be one line")
        found = getaddresses([value])
        if len(found) != 1 or not _is_address(found[0][1]):
            raise base.ValidationError(f"'{value}' is not an email address "
                                       "(write it as name@example.org or 'Name <name@example.org>')")
        return value


class Hostname(c.Type):
    """A domain name, such as the List-Id's tips.example.org."""

    def __init__(self, default: str):
        super().__init__(str, default=default)

    def run_validation(self, value: object) -> str:
        value = super().run_validation(value)
        if not _HOSTNAME.match(value):
            raise base.ValidationError(f"'{value}' is not a domain name like tips.example.org")
        return value


class LinkTemplate(c.Type):
    """An https: (or mailto:) URL that may hold {email} and {list}; empty for none."""

    def __init__(self, scheme: str):
        super().__init__(str, default="")
        self.scheme = scheme

    def run_validation(self, value: object) -> str:
        value = super().run_validation(value).strip()
        if value and (not value.startswith(self.scheme) or re.search(r"\s", value)
                      or len(value) <= len(self.scheme)):
            raise base.ValidationError(f"'{value}' must be a {self.scheme} address without spaces")
        return value


class Count(c.Type):
    """A whole number within bounds."""

    def __init__(self, default: int, low: int, high: int):
        super().__init__(int, default=default)
        self.low, self.high = low, high

    def run_validation(self, value: object) -> int:
        if isinstance(value, bool):
            raise base.ValidationError(f"expected a number from {self.low} to {self.high}")
        value = super().run_validation(value)
        if not self.low <= value <= self.high:
            raise base.ValidationError(f"{value} is out of range: use a number from {self.low} to {self.high}")
        return value


class ProjectPath(c.Type):
    """A path relative to mkdocs.yml; must not leave the project folder."""

    def __init__(self, default: str):
        super().__init__(str, default=default)

    def run_validation(self, value: object) -> str:
        value = super().run_validation(value).strip()
        if not value or Path(value).is_absolute() or ".." in Path(value).parts:
            raise base.ValidationError(f"'{value}' must be a path inside the project, relative to mkdocs.yml")
        return value


class ListURL(c.Type):
    """The list service's public base URL: https, except on this machine."""

    def __init__(self) -> None:
        super().__init__(str, default="")

    def run_validation(self, value: object) -> str:
        value = super().run_validation(value).strip().rstrip("/")
        if not value:
            return ""
        if any(ch.isspace() or ord(ch) < 32 or ch in "<>\"'" for ch in value):
            raise base.ValidationError(f"{value!r} must be a plain URL (no spaces, quotes or control characters)")
        parts = urlsplit(value)
        local = parts.hostname in ("localhost", "127.0.0.1")
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise base.ValidationError(f"'{value}' must start with https:// (plain http only for localhost "
                                       "or 127.0.0.1)")
        if not parts.hostname or parts.query or parts.fragment:
            raise base.ValidationError(f"'{value}' must be a base URL like https://list.example.org")
        return value


class Domains(c.Type):
    """Email domains, each bare (example.org: its subdomains count too); one
    alone may be written without the list; none (the default) for any."""

    def __init__(self) -> None:
        super().__init__((list, str), default=[])

    def run_validation(self, value: object) -> list[str]:
        if not isinstance(value, (list, str)):
            raise base.ValidationError("expected a list of domains, like [example.org, example.com]")
        domains: list[str] = []
        for item in [value] if isinstance(value, str) else value:
            if not isinstance(item, str):
                raise base.ValidationError(f"{item!r} is not a domain: write domains like [example.org, example.com]")
            try:
                domain = checked_domain(item)
            except BadAddress as exc:
                raise base.ValidationError(str(exc)) from None
            if domain not in domains:
                domains.append(domain)
        return domains


class TipweekConfig(base.Config):
    # Where the content is, relative to mkdocs.yml.
    tips = ProjectPath(default="tips")
    principles = ProjectPath(default="tips/principles.yml")
    # The calendar: "today" is the date in this zone; tips go out on this weekday.
    timezone = TimeZone(default="UTC")
    weekday = c.Choice(WEEKDAYS, default="tuesday")
    # Shown on a tip without its own author (else site_author, else the site's name).
    author = c.Type(str, default="")
    # How many tips the home page lists under this week's, and the feeds carry.
    recent = Count(default=5, low=0, high=100)
    feed_length = Count(default=20, low=1, high=1000)
    # Pages per part of the search index: a larger library is split into parts
    # that the reader's browser searches at once, one per core (at most 4).
    search_part_size = Count(default=3000, low=1, high=1_000_000)
    # The weekly email.
    email_from = Mailbox(default="Tip of the week <tips@example.org>")
    reply_to = c.Optional(Mailbox())
    list_id = Hostname(default="tips.example.org")
    # {email} and {list} are replaced per subscriber, URL-encoded.
    unsubscribe_url = LinkTemplate("https://")
    unsubscribe_mailto = LinkTemplate("mailto:")
    # The subscription service (tipweek list serve): the Subscribe page's form posts there.
    list_url = ListURL()
    # An internal list: only addresses at these domains (or under them) can join.
    allowed_domains = Domains()
