"""The huddle cards: each tip the site shows as one page for a team's ten
minutes before a shift (the title, the one point, the takeaway, a question
to talk about, something to try this week), at ``tips/<slug>/huddle/``.

A card is written after the pages, like the email's web versions, from the
template ``tipweek/huddle.html`` (overridable in ``docs/overrides/`` like
every tipweek template). It is a page of its own, without the site's
navigation or search: it prints on one sheet and opens fast on a phone, and
MkDocs' page machinery would cost a large library more than a second build
of its tip pages for it. Search leaves it out: the tip's own page holds all
it says but the question and the action.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.utils import get_relative_url

from ..edition import urls
from ..edition.render import rebase_urls
from .views import SiteView

TEMPLATE = "tipweek/huddle.html"
STYLESHEET = "assets/huddle.css"


def render_card(template, view: SiteView, site_name: str, tip) -> str:
    """The card of ``tip`` (a Jinja template from the site's environment)."""
    here = urls.huddle(tip.slug)
    takeaway = view.edition.bodies.takeaway(tip)

    def link(path: str) -> str:
        return get_relative_url(path, here) if path else get_relative_url(".", here) + "/"

    return template.render(
        tip=tip, tw=view, site_name=site_name, link=link,
        takeaway=takeaway and rebase_urls(takeaway, urls.tip(tip.slug), here),
        tip_address=view.edition.site.absolute(urls.tip(tip.slug)))


def write_cards(env, view: SiteView, site_name: str, site_dir: Path, kept=None) -> list[Path]:
    """Write the card of every tip the site shows; return their paths.
    ``kept(key, signature, path)`` (the preview's) says whether a card is in
    the site folder as it would be written now, so it is not written again."""
    from ..outputs.atomic import write_atomic

    template = env.get_template(TEMPLATE)
    written = []
    for tip in view.visible:
        path = Path(site_dir) / urls.huddle(tip.slug) / "index.html"
        written.append(path)
        # What a card shows: its tip (the body for the takeaway), its status, the site's name.
        if kept and kept(f"huddle:{tip.slug}", hash((tip, view.status(tip), site_name)), str(path)):
            continue
        # No fsync per card (seconds at 1,000 tips): the site folder is swapped in whole after the build.
        write_atomic(path, render_card(template, view, site_name, tip), sync=False)
    return written
