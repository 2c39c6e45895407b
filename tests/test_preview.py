"""`tipweek serve` rebuilds only what an edit changed, and still updates every
page that shows a changed tip; a broken edit keeps the last good site.

One real `tipweek serve` on a copy of the fixture library, driven over HTTP
the way a browser sees it; the tests run in order, each editing the library
as an editor would.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import FIXTURES
from test_build_commands import free_port, serve, stop

WAIT = 90  # seconds; a loaded 2-core machine is slow, a working preview is not
OWN = "tips/2026/2026-11-17-own-the-mistake.md"
CALL_BACK = "tips/2026/2026-11-10-call-back-when-promised.md"
NEW = "tips/2026/2026-11-12-name-the-next-step.md"
NEW_TIP = """\
---
title: Name the next step
date: 2026-11-12
tags: [ownership]
summary: End every reply with what happens next and when.
---
Tell the customer what you will do next, and by when.
"""


class Preview:
    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.child = serve(folder, "-a", f"127.0.0.1:{self.port}")
        self.stderr: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for line in self.child.stderr:
            self.stderr.append(line)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/{path}", timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def wait_until(self, path: str, shows, what: str) -> str:
        """Poll ``path`` until ``shows(status, html)``; fail after WAIT seconds."""
        deadline = time.monotonic() + WAIT
        while True:
            try:
                status, html = self.get(path)
                if shows(status, html):
                    return html
            except OSError:
                pass  # not serving yet
            if time.monotonic() > deadline or self.child.poll() is not None:
                pytest.fail(f"/{path} never {what}; serve said:\n{''.join(self.stderr[-30:])}")
            time.sleep(0.1)

    def edit(self, rel: str, text: str) -> None:
        (self.folder / rel).write_text(text)


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    folder = tmp_path_factory.mktemp("preview") / "proj"
    shutil.copytree(FIXTURES / "library", folder)
    running = Preview(folder)
    running.wait_until("tips/own-the-mistake/", lambda s, h: s == 200, "came up")
    yield running
    stop(running.child)


def test_an_edited_body_shows_and_other_tip_pages_stay(preview):
    old = (preview.folder / OWN).read_text()
    preview.edit(OWN, old.replace("A courier lost a parcel", "A van driver lost a parcel")
                 + "\nAnd [reply before lunch](reply-before-lunch.md).\n")
    page = preview.wait_until("tips/own-the-mistake/", lambda s, h: "A van driver lost a parcel" in h,
                              "showed the edit")
    assert "A courier lost a parcel" not in page
    # A link to a tip whose page was kept as it was still resolves to that page.
    assert 'href="../reply-before-lunch/">reply before lunch</a>' in page
    # The search index is built after the pages, in the background.
    preview.wait_until("pagefind/pagefind.js", lambda s, h: s == 200, "had a search index")
    handbook = preview.wait_until("handbook/", lambda s, h: "A van driver" in h, "showed the edit in the handbook")
    assert "A courier lost a parcel" not in handbook
    status, other = preview.get("tips/reply-before-lunch/")
    assert status == 200 and "Reply before lunch" in other
    # Only the edited tip's page was rendered again; the others were kept as they were.
    assert any(re.search(r"tipweek: 1 tip page\(s\) rendered, [5-9] unchanged", line) for line in preview.stderr), \
        "".join(preview.stderr[-30:])


def test_a_deleted_tip_404s_and_leaves_the_archive(preview):
    assert "call-back-when-promised" in preview.get("archive/")[1]
    (preview.folder / CALL_BACK).unlink()
    preview.wait_until("tips/call-back-when-promised/", lambda s, h: s == 404, "went away")
    archive = preview.wait_until("archive/", lambda s, h: "call-back-when-promised" not in h, "dropped it")
    assert "own-the-mistake" in archive


def test_a_new_tip_shows_on_the_home_page_archive_and_its_neighbours(preview):
    preview.edit(NEW, NEW_TIP)
    page = preview.wait_until("tips/name-the-next-step/", lambda s, h: s == 200, "appeared")
    assert "Tell the customer what you will do next" in page
    home = preview.wait_until("", lambda s, h: "Name the next step" in h, "listed it on the home page")
    assert "name-the-next-step" in home
    assert "Name the next step" in preview.get("archive/")[1]
    assert "Name the next step" in preview.get("principles/ownership/")[1]
    # The tip after it in time now points back to it.
    assert "Name the next step" in preview.get("tips/own-the-mistake/")[1]


def test_a_changed_tag_and_title_move_it_everywhere(preview):
    preview.edit(NEW, NEW_TIP.replace("tags: [ownership]", "tags: [responsiveness]")
                 .replace("title: Name the next step", "title: Say what happens next"))
    preview.wait_until("principles/responsiveness/", lambda s, h: "Say what happens next" in h,
                       "listed it under its new principle")
    assert "name-the-next-step" not in preview.get("principles/ownership/")[1]
    neighbour = preview.wait_until("tips/own-the-mistake/", lambda s, h: "Say what happens next" in h,
                                   "showed the new title in its pager")
    assert "Name the next step" not in neighbour
    assert "Say what happens next" in preview.get("archive/")[1]


def test_a_broken_edit_says_where_and_keeps_the_last_good_site(preview):
    good = (preview.folder / OWN).read_text()
    preview.edit(OWN, good.replace("tags: [ownership, sincerity]", "tags: [ownershiq, sincerity]")
                 .replace("A van driver", "A broken edit"))
    deadline = time.monotonic() + WAIT
    while not any(f"{OWN}:4:" in line for line in preview.stderr):
        assert time.monotonic() < deadline and preview.child.poll() is None, "".join(preview.stderr[-30:])
        time.sleep(0.1)
    assert any("ownershiq" in line for line in preview.stderr)
    assert not any("Traceback" in line for line in preview.stderr)
    status, page = preview.get("tips/own-the-mistake/")
    assert status == 200 and "A van driver lost a parcel" in page and "A broken edit" not in page

    preview.edit(OWN, good.replace("A van driver", "A fixed edit"))
    preview.wait_until("tips/own-the-mistake/", lambda s, h: "A fixed edit" in h, "recovered")


def test_a_refused_save_shows_on_every_page_in_the_browser_until_fixed(preview, browser):
    """The editor's open page reloads on a refused save and says why (file:line and the
    checker's message, escaped: it quotes what was typed); every other page says it too;
    the next good save takes it away."""
    from playwright.sync_api import expect

    served = f"http://127.0.0.1:{preview.port}/"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(served) else route.abort())
    banner = page.locator("#tipweek-problems")
    try:
        page.goto(served + "tips/own-the-mistake/", wait_until="load")
        expect(page.locator("h1")).to_have_text("Own the mistake")
        expect(banner).to_have_count(0)
        page.wait_for_function("() => document.readyState === 'complete'")  # live reload is listening

        good = (preview.folder / OWN).read_text()
        preview.edit(OWN, good.replace("tags: [ownership, sincerity]", 'tags: [ownership, "<b>sincerety</b>"]'))
        # The open page reloads by itself and shows the problem at its foot, in view.
        expect(banner).to_be_visible(timeout=WAIT * 1000)
        expect(banner).to_contain_text("tipweek check refused the last save (1 problem)")
        expect(banner).to_contain_text(f"{OWN}:4: unknown tag '<b>sincerety</b>'")
        expect(banner).to_contain_text("did you mean 'sincerity'?")
        expect(banner.locator("b")).to_have_count(0)  # the typed markup is text, not a tag
        expect(banner).to_be_in_viewport()
        expect(page.locator("h1")).to_have_text("Own the mistake")  # the last good page, under it
        for other in ("no-such-page/", "", "principles/ownership/", "archive/"):
            page.goto(served + other)
            expect(banner).to_contain_text(f"{OWN}:4:")
        page.wait_for_function("() => document.readyState === 'complete'")

        preview.edit(OWN, good)
        expect(banner).to_have_count(0, timeout=WAIT * 1000)  # the open page reloads without it
        for other in ("tips/own-the-mistake/", "no-such-page/"):
            page.goto(served + other)
            expect(banner).to_have_count(0)
    finally:
        context.close()


def test_a_huddle_card_follows_its_question_and_takeaway_and_goes_with_its_tip(preview):
    card = "tips/own-the-mistake/huddle/"
    assert "the mistake is yours to fix" in preview.wait_until(card, lambda s, h: s == 200, "came up")
    preview.edit(OWN, (preview.folder / OWN).read_text().replace("summary:", 'discuss: "Who tells them?"\nsummary:', 1))
    preview.wait_until(card, lambda s, h: "Who tells them?" in h, "showed the new question")
    preview.edit(OWN, (preview.folder / OWN).read_text().replace("is yours to fix", "is ours to fix"))
    preview.wait_until(card, lambda s, h: "the mistake is ours to fix" in h, "showed the new takeaway")
    assert preview.get("tips/name-the-next-step/huddle/")[0] == 200
    (preview.folder / NEW).unlink()
    preview.wait_until("tips/name-the-next-step/huddle/", lambda s, h: s == 404, "went away with its tip")
