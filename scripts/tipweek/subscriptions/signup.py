"""The sign-up form on the site's Subscribe page: when the plugin's
``list_url`` is set, it replaces the text between the page's
``<!-- tipweek:signup-form -->`` markers. A plain HTML form that posts to the
service, so it works without JavaScript."""

from __future__ import annotations

import re

from .look import render

MARKED = re.compile(r"<!-- tipweek:signup-form\b.*?-->.*?<!-- /tipweek:signup-form -->", re.S)


def signup_form(list_url: str) -> str:
    # One HTML block without blank lines, so Markdown passes it through untouched.
    html = render("site-form.html", action=f"{list_url}/subscribe", email="", name="", error=None)
    return "\n".join(line for line in html.splitlines() if line.strip())


def with_signup_form(markdown: str, list_url: str) -> str:
    return MARKED.sub(lambda _: signup_form(list_url), markdown)
