"""The site in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium (.ci/run does)", pytrace=False)
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(fixture_site):
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(fixture_site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, served):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Nothing leaves this machine: block any request that is not to our server.
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(served)
               else route.abort())
    yield page
    context.close()
    assert not errors, errors


def search(page, word: str) -> None:
    """Type into Material's search box as a person does."""
    page.locator("input.md-search__input").first.click()
    page.keyboard.type(word, delay=30)


def test_search_finds_a_word_in_one_tips_body_and_opens_it(page, served, tmp_path):
    page.goto(served, wait_until="networkidle")
    search(page, "marmalade")  # in the body of "Answer within the hour" only
    results = page.locator(".md-search-result__item a.md-search-result__link")
    results.first.wait_for(timeout=15_000)
    titles = [t.strip() for t in page.locator(".md-search-result__article h1").all_inner_texts()]
    assert "Answer within the hour" in titles
    page.screenshot(path=str(tmp_path / "search.png"))
    page.locator(".md-search-result__item a.md-search-result__link", has_text="Answer within the hour").first.click()
    page.wait_for_url("**/tips/answer-within-the-hour/**")
    assert page.locator("h1").first.inner_text() == "Answer within the hour"
    page.screenshot(path=str(tmp_path / "tip.png"), full_page=True)
    assert (tmp_path / "search.png").stat().st_size > 10_000


def test_search_finds_a_tip_by_its_summary(page, served):
    page.goto(served + "archive/", wait_until="networkidle")
    search(page, "queue")  # "...feels like a queue" is in a summary only
    page.locator(".md-search-result__item").first.wait_for(timeout=15_000)
    assert "Reply before lunch" in page.locator(".md-search-result").inner_text()


def test_newcomer_finds_this_week_a_principle_and_search(page, served):
    page.goto(served)
    assert page.locator(".tw-week h2").inner_text() == "Own the mistake"
    page.get_by_role("link", name="Principles", exact=True).first.click()
    page.wait_for_url("**/principles/")
    page.locator(".tw-principle h2 a", has_text="Sincerity").click()
    page.wait_for_url("**/principles/sincerity/")
    assert "Say sorry like you mean it" in page.locator("article").inner_text()
    assert page.locator("input.md-search__input").count() == 1


def test_dark_mode_toggle(page, served):
    page.goto(served)
    before = page.locator("body").get_attribute("data-md-color-scheme")
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    assert page.locator("body").get_attribute("data-md-color-scheme") != before
