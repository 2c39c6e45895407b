"""The tipweek plugin's options in mkdocs.yml, as a typed MkDocs config class,
so a wrong option is a clear error at start-up."""

from __future__ import annotations

from urllib.parse import urlsplit

from mkdocs.config import base
from mkdocs.config import config_options as c

from .schedule import WEEKDAYS


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


class TipweekConfig(base.Config):
    # Where the content is, relative to mkdocs.yml.
    tips = c.Type(str, default="tips")
    principles = c.Type(str, default="tips/principles.yml")
    # The calendar: "today" is the date in this zone; tips go out on this weekday.
    timezone = c.Type(str, default="UTC")
    weekday = c.Choice(WEEKDAYS, default="tuesday")
    # Shown on a tip without its own author.
    author = c.Type(str, default="")
    # How many tips the home page lists under this week's, and the feeds carry.
    recent = c.Type(int, default=5)
    feed_length = c.Type(int, default=20)
    # The weekly email.
    email_from = c.Type(str, default="Tip of the week <tips@example.org>")
    reply_to = c.Optional(c.Type(str))
    list_id = c.Type(str, default="tips.example.org")
    # {email} and {list} are replaced per subscriber, URL-encoded.
    unsubscribe_url = c.Type(str, default="")
    unsubscribe_mailto = c.Type(str, default="")
    # The subscription service (tipweek list serve): the Subscribe page's form posts there.
    list_url = ListURL()
    # Show scheduled tips and drafts, marked as such (set by `tipweek serve`).
    preview = c.Type(bool, default=False)
