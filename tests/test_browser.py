"""The site in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from chromium import require_chromium, serving

require_chromium()


@pytest.fixture(scope="module")
def served(fixture_site):
    with serving(fixture_site) as url:
        yield url


@contextmanager
def browser_page(browser, served: str, **context_args):
    """A fresh page that fails the test on any JavaScript error and never
    reaches past our server."""
    context = browser.new_context(**context_args)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(served)
               else route.abort())
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def page(browser, served):
    with browser_page(browser, served, viewport={"width": 1280, "height": 900}) as page:
        yield page


def search(page, word: str) -> None:
    """Click into the header's search box and type, as a person does."""
    page.locator("#tw-search-input").click()
    page.keyboard.type(word, delay=30)


def results(page):
    return page.locator("#tw-search-results .tw-result")


def status(page):
    return page.locator("#tw-search-status")


def test_search_finds_a_word_in_one_tips_body_and_opens_it(page, served, tmp_path):
    page.goto(served, wait_until="networkidle")
    search(page, "marmalade")  # in the body of "Answer within the hour" only
    expect(status(page)).to_have_text("1 result.")
    hit = results(page).first
    expect(hit.locator(".tw-result__title")).to_have_text("Answer within the hour")
    expect(hit.locator(".tw-result__meta")).to_have_text("27 October 2026 \u00b7 Responsiveness")
    expect(hit.locator(".tw-result__excerpt mark")).to_contain_text("marmalade")
    page.screenshot(path=str(tmp_path / "search.png"))
    hit.click()
    page.wait_for_url("**/tips/answer-within-the-hour/")
    assert page.locator("h1").first.inner_text() == "Answer within the hour"
    assert (tmp_path / "search.png").stat().st_size > 10_000


def test_results_come_while_the_word_is_typed(page, served):
    """As with the old search: a person typing at 80 ms a key sees results before the
    word is finished, and the status line speaks only of the whole word."""
    page.goto(served, wait_until="networkidle")
    page.evaluate("""() => {
      window.__firstResultsFor = null;
      new MutationObserver(() => {
        if (window.__firstResultsFor === null && document.querySelector('#tw-search-results .tw-result'))
          window.__firstResultsFor = document.querySelector('#tw-search-input').value;
      }).observe(document.querySelector('#tw-search-results'), {childList: true});
    }""")
    page.locator("#tw-search-input").click()
    page.keyboard.type("marmalade", delay=80)
    expect(status(page)).to_have_text("1 result.")
    typed = page.evaluate("window.__firstResultsFor")
    assert typed and len(typed) < len("marmalade"), typed


def test_filter_by_principle_narrows_the_results(page, served):
    page.goto(served)
    search(page, "customer")
    expect(status(page)).to_contain_text("results.")
    everything = results(page).count()
    page.locator("#tw-search-principle").select_option("Sincerity")
    expect(status(page)).to_contain_text("in Sincerity.")
    metas = results(page).locator(".tw-result__meta").all_inner_texts()
    assert metas and len(metas) < everything
    assert all("Sincerity" in meta for meta in metas), metas
    # with no words, the filter lists every published tip of that principle (the draft is not one)
    page.locator("#tw-search-input").fill("")
    page.locator("#tw-search-principle").select_option("Sincerity")
    expect(status(page)).to_have_text("2 results in Sincerity.")
    titles = sorted(results(page).locator(".tw-result__title").all_inner_texts())
    assert titles == ["Own the mistake", "Say sorry like you mean it"]



def test_the_principle_filter_counts_the_results_for_the_words(page, served):
    """Beside each principle, how many of the results for the words in the box it
    holds (what choosing it leaves), not how many tips the library has; without
    words, no numbers."""
    page.goto(served)
    options = page.locator("#tw-search-principle option")
    expect(options).to_have_text(["All principles", "Follow-through", "Ownership", "Responsiveness", "Sincerity"])
    search(page, "sorry")  # one tip, in Sincerity (which has two), and the Sincerity page
    expect(status(page)).to_have_text("2 results.")
    expect(options).to_have_text(["All principles", "Follow-through (0)", "Ownership (0)", "Responsiveness (0)",
                                  "Sincerity (1)"])
    page.locator("#tw-search-principle").select_option("Sincerity")
    expect(status(page)).to_have_text("1 result in Sincerity.")
    page.locator("#tw-search-input").fill("customer")
    expect(status(page)).to_have_text("1 result in Sincerity.")
    expect(options).to_have_text(["All principles", "Follow-through (2)", "Ownership (2)", "Responsiveness (2)",
                                  "Sincerity (1)"])
    page.locator("#tw-search-input").fill("")
    expect(status(page)).to_have_text("2 results in Sincerity.")
    expect(options).to_have_text(["All principles", "Follow-through", "Ownership", "Responsiveness", "Sincerity"])


def test_search_finds_summaries_and_principles_but_never_scheduled_or_drafts(page, served):
    page.goto(served + "archive/")
    box = page.locator("#tw-search-input")
    search(page, "queue")  # "...feels like a queue" is in a summary only
    expect(results(page).locator(".tw-result__title")).to_have_text(["Reply before lunch"])
    box.fill("")
    search(page, "department")  # in the Ownership principle's description only
    expect(results(page).locator(".tw-result__title")).to_have_text(["Ownership"])
    expect(results(page).locator(".tw-result__meta")).to_have_text(["Principle"])
    box.fill("")
    search(page, "quartermaster")  # only in the body of the tip scheduled for next week
    expect(status(page)).to_have_text("No tip matches \u201cquartermaster\u201d.")
    assert results(page).count() == 0
    box.fill("")
    search(page, "xylophone")  # only in a draft
    expect(status(page)).to_have_text("No tip matches \u201cxylophone\u201d.")
    assert results(page).count() == 0


def test_keyboard_alone_slash_arrows_enter_escape(page, served):
    page.goto(served + "principles/", wait_until="networkidle")
    loaded = page.evaluate("""() => performance.getEntriesByType("resource")
        .map(e => e.name.split("/").slice(-2).join("/"))""")
    # Pagefind comes with the page, as the old search's index did: ready before the reader
    # reaches the box. A small index is searched on the page's thread: no worker to start.
    assert {"pagefind/pagefind.js", "pagefind/tipweek-parts.json", "pagefind/wasm.en.pagefind",
            "pagefind/pagefind-entry.json"} <= {name.split("?")[0] for name in loaded}, loaded
    assert "pagefind/pagefind-worker.js" not in loaded
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "tw-search-input"
    assert page.locator("#__search").is_checked()
    page.keyboard.type("marmalade", delay=30)
    expect(results(page)).to_have_count(1)
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.href").endswith("/tips/answer-within-the-hour/")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == "tw-search-input"
    page.keyboard.press("Escape")
    assert not page.locator("#__search").is_checked()
    expect(page.locator(".md-search__output")).to_be_hidden()
    page.keyboard.press("/")  # back, the words still there; Tab reaches the result too
    for _ in range(4):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('tw-result__link')"):
            break
    assert page.evaluate("document.activeElement.href").endswith("/tips/answer-within-the-hour/")
    page.keyboard.press("Enter")
    page.wait_for_url("**/tips/answer-within-the-hour/")



def test_enter_opens_the_result_walked_to_after_the_list_is_redrawn(page, served):
    """Results are drawn anew as an answer's texts arrive: the link the arrow keys
    reached may be replaced while it has the focus. The new link for the same
    result takes the focus, so Enter still opens it."""
    page.goto(served, wait_until="networkidle")
    search(page, "customer")
    expect(status(page)).to_have_text("6 results.")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    chosen = page.evaluate("document.activeElement.href")
    assert chosen == results(page).nth(1).locator("a").evaluate("a => a.href")
    # The same words answered again (a late answer, as while typing): every link is drawn anew.
    page.evaluate("""() => {
      document.querySelectorAll('#tw-search-results li').forEach(li => li.dataset.old = '');
      document.querySelector('#tw-search-input').dispatchEvent(new Event('input'));
    }""")
    expect(page.locator("#tw-search-results li[data-old]")).to_have_count(0)
    expect(results(page)).to_have_count(6)
    assert page.evaluate("document.activeElement.href") == chosen
    page.keyboard.press("ArrowDown")  # and the arrows go on from it
    assert page.evaluate("document.activeElement.href") == results(page).nth(2).locator("a").evaluate("a => a.href")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.wait_for_url(chosen)



def test_a_redraw_without_the_result_walked_to_gives_the_keys_back_to_the_box(page, served):
    """If a late answer no longer holds the result the reader walked to, the focus
    does not fall out of the search onto the page: it goes back to the input."""
    page.goto(served, wait_until="networkidle")
    search(page, "customer")
    expect(status(page)).to_have_text("6 results.")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.href").endswith("/tips/reply-before-lunch/")
    page.evaluate("""() => {
      const box = document.querySelector('#tw-search-input');
      box.value = 'sorry';
      box.dispatchEvent(new Event('input'));
    }""")
    expect(status(page)).to_have_text("2 results.")
    expect(page.locator("#tw-search-input")).to_be_focused()
    page.keyboard.press("ArrowDown")  # the keys still work the list
    assert page.evaluate("document.activeElement.href").endswith("/tips/say-sorry-like-you-mean-it/")


def _fragments(site) -> dict[str, str]:
    """Each page's search text file (pagefind/fragment/<hash>.pf_fragment) by the page's URL."""
    import gzip
    import json

    found = {}
    for path in (site / "pagefind" / "fragment").iterdir():
        data = gzip.decompress(path.read_bytes()).removeprefix(b"pagefind_dcd")
        found[json.loads(data)["url"]] = path.name
    return found


def test_enter_opens_the_result_walked_to_while_a_redraw_waits_for_texts(browser, served, fixture_site):
    """The texts of a new list come one by one from the server; while one is
    slow, the new list is drawn only down to it. Enter pressed then opens the
    result the reader walked to, not nothing."""
    fragments = _fragments(fixture_site)
    quick = {fragments["/tips/own-the-mistake/"], fragments["/tips/say-sorry-like-you-mean-it/"]}
    held = []

    def slow_texts(route):
        if route.request.url.rsplit("/", 1)[-1] in quick:
            route.continue_()
        else:
            held.append(route)

    with browser_page(browser, served, viewport={"width": 1280, "height": 900}) as page:
        page.route("**/pagefind/fragment/*", slow_texts)
        page.goto(served)
        page.locator("#tw-search-principle").select_option("Sincerity")
        search(page, "the")  # in Sincerity: the two tips whose texts come at once
        expect(status(page)).to_have_text("2 results in Sincerity.")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        chosen = page.evaluate("document.activeElement.href")
        assert chosen.endswith("/tips/say-sorry-like-you-mean-it/")
        # A late answer for the words without the principle: its first result's text is
        # there, its second's is held, its seventh is the reader's.
        page.evaluate("""() => {
          document.querySelectorAll('#tw-search-results li').forEach(li => li.dataset.old = '');
          const principle = document.querySelector('#tw-search-principle');
          principle.value = '';
          principle.dispatchEvent(new Event('change'));
        }""")
        expect(page.locator("#tw-search-results li:not([data-old])")).to_have_count(1)
        assert held, "no search text was held back: the list was not redrawn partway"
        page.keyboard.press("Enter")
        page.wait_for_url(chosen, timeout=5_000)
        assert page.locator("h1").first.inner_text() == "Say sorry like you mean it"


CONTRAST = """([fg, bg]) => {
  const rgba = (c) => c.match(/[\\d.]+/g).map(Number);
  const over = (f, b) => { const a = f.length > 3 ? f[3] : 1; return [0, 1, 2].map(i => f[i] * a + b[i] * (1 - a)); };
  const lum = (c) => { const l = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                       return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]; };
  const b = rgba(bg), f = over(rgba(fg), b);
  const [hi, lo] = [lum(f), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}"""


def test_results_read_well_in_light_and_dark_mode(page, served):
    page.goto(served)
    for scheme in ("default", "slate"):
        if page.locator("body").get_attribute("data-md-color-scheme") != scheme:
            page.keyboard.press("Escape")
            page.locator("label.md-header__button[for^='__palette']:visible").first.click()
        assert page.locator("body").get_attribute("data-md-color-scheme") == scheme
        page.locator("#tw-search-input").fill("")
        search(page, "marmalade")
        expect(results(page)).to_have_count(1)
        background = page.locator(".md-search__scrollwrap").evaluate("e => getComputedStyle(e).backgroundColor")
        for part in (".tw-result__title", ".tw-result__meta", ".tw-result__excerpt"):
            colour = results(page).first.locator(part).evaluate("e => getComputedStyle(e).color")
            ratio = page.evaluate(CONTRAST, [colour, background])
            assert ratio >= 4.5, f"{part} in {scheme}: {colour} on {background} is {ratio:.1f}:1"


def test_search_on_a_phone(browser, served):
    with browser_page(browser, served, viewport={"width": 375, "height": 740}, is_mobile=True,
                      has_touch=True) as page:
        search_on_a_phone(page, served)


def search_on_a_phone(page, served):
    page.goto(served + "tips/own-the-mistake/")
    page.locator("label.md-header__button[for='__search']").tap()  # the magnifier in the header
    expect(page.locator("#tw-search-input")).to_be_focused()
    expect(page.locator(".md-search__form")).to_be_in_viewport()
    expect(page.locator(".md-search__form")).to_be_visible()
    assert page.locator(".md-search__form").bounding_box()["width"] > 300  # the box fills the phone's width
    page.keyboard.type("marmalade", delay=30)
    hit = results(page).first
    expect(hit.locator(".tw-result__title")).to_have_text("Answer within the hour")
    expect(hit).to_be_in_viewport()  # the results slide in: measure once they are there
    box = hit.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    hit.tap()
    page.wait_for_url("**/tips/answer-within-the-hour/")


def test_a_small_index_is_fetched_whole_before_the_first_word(page, served, fixture_site):
    """The fixture's index is a few kilobytes: a moment after the page has
    loaded it is fetched whole, word chunks and page texts, so the reader's
    search answers without a download."""
    bundle = fixture_site / "pagefind"
    files = sorted(f"pagefind/{kind}/{f.name}" for kind in ("index", "fragment") for f in (bundle / kind).iterdir())
    assert len(files) > 9
    page.goto(served + "archive/", wait_until="networkidle")
    page.wait_for_function("""(files) => files.every(f => performance.getEntriesByType("resource")
        .some(e => e.name.endsWith(f)))""", arg=files)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    search(page, "marmalade")
    expect(status(page)).to_have_text("1 result.")
    expect(results(page).locator(".tw-result__excerpt mark")).to_contain_text("marmalade")
    assert [url for url in asked if "/pagefind/" in url] == []


def test_a_site_without_its_index_says_so_without_an_error(browser, fixture_site, tmp_path):
    """A site published without pagefind/ (an upload that missed a folder):
    the box says search is unavailable, the page has no script error, and
    the console says what failed (a swallowed failure is a hidden one)."""
    import shutil

    site = tmp_path / "site"
    shutil.copytree(fixture_site, site, ignore=shutil.ignore_patterns("pagefind"))
    with serving(site) as url, browser_page(browser, url) as page:
        warned = []
        page.on("console", lambda message: warned.append(message.text) if message.type == "warning" else None)
        page.goto(url)
        search(page, "marmalade")
        expect(status(page)).to_have_text("Search is not available: its index was not found.")
        assert results(page).count() == 0
        assert any(text.startswith("tipweek search: loading the index failed") for text in warned), warned


@pytest.fixture(scope="module")
def served_in_parts(parted_site):
    with serving(parted_site) as url:
        yield url


def test_an_index_in_parts_finds_what_one_index_finds(browser, served, served_in_parts):
    """A large library's index comes in parts, each searched by its own
    worker: the box finds the same tips, with the same principle counts, as
    in the index in one part."""
    seen = {}
    for url in (served, served_in_parts):
        requested: list[str] = []
        with browser_page(browser, url, viewport={"width": 1280, "height": 900}) as page:
            page.on("request", lambda request: requested.append(request.url))
            page.goto(url)
            search(page, "customer")
            expect(status(page)).to_contain_text("results.")
            titles = sorted(results(page).locator(".tw-result__title").all_inner_texts())
            principles = page.locator("#tw-search-principle option").all_inner_texts()
            found = status(page).inner_text()
            page.locator("#tw-search-principle").select_option("Sincerity")
            expect(status(page)).to_contain_text("in Sincerity.")
            within = sorted(results(page).locator(".tw-result__title").all_inner_texts())
            page.locator("#tw-search-input").fill("")
            search(page, "quartermaster")  # only in the tip scheduled for next week
            expect(status(page)).to_have_text("No tip matches \u201cquartermaster\u201d in Sincerity.")
        workers = sorted(u.removeprefix(url) for u in requested if u.endswith("pagefind-worker.js"))
        seen[url] = (found, titles, principles, within, workers)
    one, parts = seen[served], seen[served_in_parts]
    assert one[0] == parts[0] and one[0].endswith(" results.") and int(one[0].split()[0]) >= 5, (one, parts)
    assert one[1:4] == parts[1:4]
    # Beside each principle, its share of the results for "customer" (summed over the parts):
    # what choosing it leaves.
    assert "Sincerity (1)" in parts[2] and parts[3] == ["Own the mistake"]
    assert one[4] == []  # a small index in one part is searched on the page's thread
    assert parts[4] == ["pagefind/pagefind-worker.js", "pagefind/part-2/pagefind-worker.js",
                        "pagefind/part-3/pagefind-worker.js"]


def test_newcomer_finds_this_week_a_principle_and_search(page, served):
    page.goto(served)
    assert page.locator(".tw-week h2").inner_text() == "Own the mistake"
    page.get_by_role("link", name="Principles", exact=True).first.click()
    page.wait_for_url("**/principles/")
    page.locator(".tw-principle h2 a", has_text="Sincerity").click()
    page.wait_for_url("**/principles/sincerity/")
    assert "Say sorry like you mean it" in page.locator("article").inner_text()
    assert page.locator("#tw-search-input").count() == 1
