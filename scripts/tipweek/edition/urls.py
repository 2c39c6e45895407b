"""The one URL scheme: where every page, feed and email of the site lives,
relative to the site root. Pages, feeds, the email and the sender all ask
here; nothing else writes a URL by hand. Published URLs never change
(feed readers and mail archives key on them)."""

from __future__ import annotations

import datetime as dt

from ..library.dates import week_label

HOME = ""
ARCHIVE = "archive/"
PRINCIPLES = "principles/"
HANDBOOK = "handbook/"
HANDBOOK_PRINT = "handbook/print/"  # the print edition: pages numbered in its contents
SUBSCRIBE = "subscribe/"
RSS = "feed.xml"
ATOM = "atom.xml"
JSON_FEED = "feed.json"
EMAIL_LATEST = "email/latest.html"


def tip(slug: str) -> str:
    return f"tips/{slug}/"


def tip_source(slug: str) -> str:
    """The generated Markdown page MkDocs renders at :func:`tip`."""
    return f"tips/{slug}.md"


def huddle(slug: str) -> str:
    """The tip's one-page huddle card."""
    return f"tips/{slug}/huddle/"


def principle_source(slug: str) -> str:
    """The generated Markdown page MkDocs renders at :func:`principle`."""
    return f"principles/{slug}.md"


def principle(slug: str) -> str:
    return f"principles/{slug}/"


def principle_feed(slug: str) -> str:
    return f"principles/{slug}/feed.xml"



def email(day: dt.date) -> str:
    """The web version of the email of the week of ``day``."""
    return f"email/{week_label(day)}.html"


def feeds(principles) -> list[str]:
    """Every feed the site has, relative to the site folder."""
    return [RSS, ATOM, JSON_FEED, *(principle_feed(slug) for slug in principles)]


# The list service's own addresses, under the plugin's ``list_url`` (the service's routes are these).
def list_subscribe(list_url: str) -> str:
    return f"{list_url.rstrip('/')}/subscribe"


def list_confirm(list_url: str, token: str) -> str:
    return f"{list_url.rstrip('/')}/confirm/{token}"


def list_unsubscribe(list_url: str, token: str) -> str:
    return f"{list_url.rstrip('/')}/unsubscribe/{token}"


def list_manage(list_url: str, token: str) -> str:
    """The reader's own page: pause, download or erase their data."""
    return f"{list_url.rstrip('/')}/manage/{token}"
