"""One edition of the publication: what every output reads.

Built once per run, in the MkDocs build and in every command alike: the
site's identity (name, URL, the one author rule, time zone), the library,
the tips that are out on ``today`` (newest first) and the tip of the week,
and each tip's body from one Markdown-to-HTML path, cached per tip. The
site, the feeds, the email and the sender all read it, so they cannot
disagree about a link, an author or whether a tip is out.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Callable
from zoneinfo import ZoneInfo

import nh3

from ..calendar import reruns, schedule
from . import urls
from ..library.model import Library, Tip
from .related import Related, related_to
from .render import absolute_urls, text_from_html

BodyRenderer = Callable[[Tip], None]


@dataclass(frozen=True, slots=True)
class Site:
    """Who publishes, and where."""

    name: str
    url: str  # absolute, ends with "/"
    description: str
    author: str  # for a tip without its own: the plugin's `author`, else `site_author`, else the site's name
    language: str = "en"
    timezone: str = "UTC"

    def absolute(self, path: str) -> str:
        """The absolute URL of a site-relative path from :mod:`urls`."""
        return self.url + path

    def author_of(self, tip: Tip) -> str:
        return tip.author or self.author

    def published_at(self, tip: Tip) -> dt.datetime:
        """A tip goes out at the start of its date, in the site's time zone."""
        return dt.datetime.combine(tip.date, dt.time(0, 0), ZoneInfo(self.timezone))


_ATTRIBUTES = {**{k: set(v) for k, v in nh3.ALLOWED_ATTRIBUTES.items()}, "*": {"id", "title"}}


def safe_html(html: str, base_url: str) -> str:
    """HTML fit for a feed reader or a mail client, read away from the site:
    links made absolute against ``base_url`` and only harmless markup kept."""
    return nh3.clean(absolute_urls(html, base_url), attributes=_ATTRIBUTES)


# The body's one "**Takeaway:** ..." line, as Markdown renders it: a paragraph that opens
# with the bold label (the label's colon inside or just after the bold).
_TAKEAWAY = re.compile(r"<p[^>]*>\s*<strong>\s*Takeaway\s*:?\s*</strong>\s*:?\s*(.*?)\s*</p>", re.S | re.I)


class Bodies:
    """Each tip's body as MkDocs renders it on the tip's own page (relative
    links already resolved for ``tips/<slug>/``), once per tip, and the forms
    read away from the site: absolute and sanitised HTML, and plain text
    derived from that HTML.

    In the build, MkDocs renders every tip page and the plugin stores each
    body; in a command, ``renderer`` renders just the tips asked for, through
    the same MkDocs page machinery.
    """

    def __init__(self, site: Site, renderer: BodyRenderer | None = None):
        self.site = site
        self.renderer = renderer
        self.text_of: Callable[[str], str] = text_from_html  # a command sets a cached one (bodycache)
        self._html: dict[str, str] = {}
        self._away: dict[str, str] = {}
        self._text: dict[str, str] = {}
        self._takeaway: dict[str, str | None] = {}

    def store(self, tip: Tip, html: str) -> None:
        self._html[tip.slug] = html
        self._takeaway.pop(tip.slug, None)

    def html(self, tip: Tip) -> str:
        """The body as it is on the tip's page."""
        if tip.slug not in self._html:
            if self.renderer is None:
                raise LookupError(f"the body of {tip.path} was not rendered")
            self.renderer(tip)
        return self._html[tip.slug]

    def away(self, tip: Tip) -> str:
        """The body for a feed or an email: absolute links, sanitised."""
        if tip.slug not in self._away:
            self._away[tip.slug] = safe_html(self.html(tip), self.site.absolute(urls.tip(tip.slug)))
        return self._away[tip.slug]

    def takeaway(self, tip: Tip) -> str | None:
        """The takeaway line's HTML without its label, as on the tip's page
        (relative links as there), or None for a body without one."""
        if tip.slug not in self._takeaway:
            found = _TAKEAWAY.search(self.html(tip))
            self._takeaway[tip.slug] = found.group(1) if found and found.group(1) else None
        return self._takeaway[tip.slug]

    def text(self, tip: Tip) -> str:
        """The body as plain text (the email's text part), derived from :meth:`away`."""
        if tip.slug not in self._text:
            self._text[tip.slug] = self.text_of(self.away(tip))
        return self._text[tip.slug]


class Edition:
    """The publication on ``today``. With ``preview`` (``tipweek serve``) the
    site also shows scheduled tips and drafts; what is *published* never
    changes with it, so feeds and email are the same in a preview."""

    def __init__(self, site: Site, library: Library, today: dt.date, options, *, preview: bool = False,
                 renderer: BodyRenderer | None = None):
        self.site = site
        self.library = library
        self.today = today
        self.options = options  # the plugin's typed options (tipweek.config.TipweekConfig)
        self.preview = preview
        self.published = tuple(reversed(schedule.published_on(library, today)))  # newest first
        self.tip_of_the_week = self.published[0] if self.published else None
        self.bodies = Bodies(site, renderer)
        self._related: Related | None = None
        self._related_to: dict[tuple, tuple[Tip, ...]] = {}

    @cached_property
    def reruns(self) -> dict[dt.date, Tip]:
        """Every week's re-run up to ``today`` (see :mod:`reruns`)."""
        return reruns.plan(self.library, self.today)

    @cached_property
    def featured(self) -> reruns.Featured | None:
        """What the home page and the email feature: the week's tip, or a re-run in a week without one."""
        return reruns.featured(self.library, self.today, self.options.weekday, self.tip_of_the_week, self.reruns)

    def with_bodies_of_its_own(self) -> "Edition":
        """The same edition (tips, day, re-runs) with an empty body store, for
        MkDocs' page machinery to render into beside a cache of bodies."""
        twin = copy.copy(self)
        twin.bodies = Bodies(self.site)
        return twin

    @property
    def principles(self):
        return self.library.principles

    def status(self, tip: Tip) -> str | None:
        """'draft', 'scheduled' or None for a published tip."""
        return schedule.status(tip, self.today)

    def related(self, tip: Tip) -> tuple[Tip, ...]:
        """Published tips related to ``tip`` (the site's rule, see :mod:`related`)."""
        key = (tip.slug, tip.tags)  # (a preview's twin edition shares these answers: the same published tips)
        found = self._related_to.get(key)
        if found is None:
            if self._related is None and len(self._related_to) < 2:  # the email: one pass each
                found = related_to(self.published, tip)
            else:  # the site: the index, once, for a lookup per page
                if self._related is None:
                    self._related = Related(self.published)
                found = self._related.to(tip)
            self._related_to[key] = found
        return found

    def feed_tips(self) -> tuple[Tip, ...]:
        """The newest published tips, as many as a feed carries."""
        return self.published[:self.options.feed_length]
