"""The sign-up form on the site's Subscribe page: when the plugin's
``list_url`` is set, it replaces the text between the page's
``<!-- tipweek:signup-form -->`` markers. A plain HTML form that posts to the
service, so it works without JavaScript. Its fields (forms/fields.html) are
the service's own form's too: the list's pages include them from here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from ..addresses import listed
from ..edition import urls

FORMS = Path(__file__).parent / "forms"

MARKED = re.compile(r"<!-- tipweek:signup-form\b.*?-->.*?<!-- /tipweek:signup-form -->", re.S)


@lru_cache(maxsize=1)
def _forms():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(FORMS), autoescape=True, keep_trailing_newline=True)


def signup_form(list_url: str, allowed_domains: Sequence[str] = ()) -> str:
    """The form; with ``allowed_domains`` (an internal list) it says who can join."""
    # One HTML block without blank lines, so Markdown passes it through untouched.
    html = _forms().get_template("site-form.html").render(action=urls.list_subscribe(list_url), email="", name="",
                                                          error=None, allowed=listed(allowed_domains))
    return "\n".join(line for line in html.splitlines() if line.strip())


def with_signup_form(markdown: str, list_url: str, allowed_domains: Sequence[str] = ()) -> str:
    return MARKED.sub(lambda _: signup_form(list_url, allowed_domains), markdown)
