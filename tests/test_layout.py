"""The real library's site in Debian's Chromium: the printed handbook, and the
layout at a phone's and a laptop's width, light and dark."""

from __future__ import annotations

import re
import shutil
import urllib.request
from pathlib import Path

import pytest

from chromium import require_chromium, serving
from conftest import FIXTURES, build_site

require_chromium()

ROOT = Path(__file__).parent.parent
TODAY = "2026-11-29"  # 53 tips published, 9 scheduled
PAGES = ["", "archive/", "principles/", "principles/ownership/", "tips/a-weekly-complaint-huddle/", "handbook/"]


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    """The project's own tips/ built as `make site` does."""
    root = tmp_path_factory.mktemp("real")
    project = root / "proj"
    project.mkdir()
    for name in ("mkdocs.yml", "tips", "docs"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copyfile)(ROOT / name, project / name)
    with serving(build_site(project, root / "site", today=TODAY)) as url:
        yield url


@pytest.fixture(scope="module")
def preview_site(tmp_path_factory):
    """The fixture library as `tipweek serve` shows it: a scheduled tip and a draft, marked."""
    root = tmp_path_factory.mktemp("preview")
    shutil.copytree(FIXTURES / "library", root / "proj")
    with serving(build_site(root / "proj", root / "site", preview=True)) as url:
        yield url


def _open(browser, url: str, width: int, scheme: str = "light"):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url.split("/", 3)[0] + "//"
                                                                                           + url.split("/", 3)[2])
               else route.abort())
    page.goto(url, wait_until="load")
    return context, page


# ------------------------------------------------------------------ the handbook on paper

TIPS_ON_PAPER = """() => ({
  tips: [...document.querySelectorAll('.tw-handbook-tip')].map(t => ({
    title: t.querySelector('h3').innerText.trim(),
    end: t.innerText.trim().split(/\\s+/).slice(-6).join(' ')})),
  intros: [...document.querySelectorAll('.tw-handbook-intro')].map(i => ({
    name: i.querySelector('h2').innerText.trim(),
    definition: i.querySelector('.tw-definition').innerText.trim().split(/\\s+/).slice(0, 8).join(' '),
    first: (i.parentElement.querySelector('.tw-handbook-tip h3') || {innerText: ''}).innerText.trim()})),
})"""


def _printed(page, pdf: Path) -> list[str]:
    """``page`` printed by Chromium to A4, as the text of each sheet."""
    import pypdf

    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    return [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(pdf).pages]


def _reads_as_a_handbook(texts: list[str], found: dict) -> None:
    tips, intros = found["tips"], found["intros"]
    assert len(tips) == 53 and len(intros) == 10
    assert len(texts) <= 40, f"{len(texts)} pages for 53 tips"
    first = texts[0]
    # Page 1: the title, the contents, and the first principle's tips right after: no page
    # holds 35 words, no principle introduction sits alone on its page.
    assert first.count("Tip of the week: the handbook") == 1  # the title; no running header over it
    assert all(intro["name"] in first for intro in intros)
    assert tips[0]["title"] in first and len(first.split()) > 250
    assert not any(re.search(r"\bSearch\b|Skip to content|print edition", text) for text in texts)  # screen only
    for number, text in enumerate(texts, start=1):
        assert re.search(rf"(^| ){number} / {len(texts)}( |$)", text), text  # numbered pages
        if number > 1:
            assert "Tip of the week: the handbook" in text  # the running header
    for intro in intros:  # a principle's introduction starts on the page of its first tip
        assert any(intro["definition"] in text and intro["first"] in text for text in texts), intro
    for tip in tips:  # each tip whole on one page
        pages = [n for n, text in enumerate(texts) if tip["title"] in text and tip["end"] in text]
        assert pages, f"{tip['title']!r} is split across pages"


def test_the_handbook_page_prints_as_a_handbook(browser, real_site, tmp_path):  # noqa: F811
    context, page = _open(browser, real_site + "handbook/", 1280)
    found = page.evaluate(TIPS_ON_PAPER)
    assert page.get_by_role("link", name="print edition").get_attribute("href") == "print/"
    texts = _printed(page, tmp_path / "handbook.pdf")
    context.close()
    _reads_as_a_handbook(texts, found)


def test_the_print_edition_gives_each_principle_its_page_in_the_contents(browser, real_site, tmp_path):  # noqa: F811
    context, page = _open(browser, real_site + "handbook/", 1280)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.get_by_role("link", name="print edition").click()
    page.wait_for_function("() => document.documentElement.dataset.paged", timeout=60_000)
    sheets = int(page.evaluate("document.documentElement.dataset.paged"))
    found = page.evaluate(TIPS_ON_PAPER)
    bar = page.get_by_role("region", name="Print edition")
    assert bar.get_by_role("button", name="Print or save as PDF").is_visible()
    assert bar.get_by_text(f"{sheets} A4 pages").is_visible()
    page.screenshot(path=str(tmp_path / "print-edition.png"))
    texts = _printed(page, tmp_path / "print-edition.pdf")
    context.close()

    assert errors == []
    assert len(texts) == sheets  # what the screen shows is what prints
    _reads_as_a_handbook(texts, found)
    # The contents: each principle, its tips, and the page its introduction starts on.
    starts = []
    for intro in found["intros"]:
        entry = re.search(rf"{re.escape(intro['name'])} (\d+) tips? (\d+)\b", texts[0])
        assert entry, f"no page number for {intro['name']!r} in: {texts[0][:600]}"
        start = int(entry.group(2))
        assert intro["definition"] in texts[start - 1] and intro["first"] in texts[start - 1], (intro, start)
        assert not any(intro["definition"] in text for text in texts[:start - 1])
        starts.append(start)
    assert starts == sorted(starts) and starts[0] == 1 and starts[-1] < len(texts)


def test_links_in_the_print_edition_lead_where_the_handbooks_do(browser, preview_site):  # noqa: F811
    context, page = _open(browser, preview_site + "handbook/print/", 1280)
    page.wait_for_function("() => document.documentElement.dataset.paged", timeout=60_000)
    links = {href for href in page.eval_on_selector_all(".pagedjs_pages a[href]", "as => as.map(a => a.href)")
             if "#" not in href}
    context.close()
    assert preview_site + "tips/call-back-when-promised/" in links  # a tip's link to another tip
    for href in links:
        assert urllib.request.urlopen(href).status == 200, href


SHEETS = """() => ({
  width: document.documentElement.clientWidth, scrollWidth: document.documentElement.scrollWidth,
  sheets: [...document.querySelectorAll('.pagedjs_page')].map(s => {
    const box = s.getBoundingClientRect();
    return {left: box.left, right: box.right};
  }),
})"""


def test_the_print_edition_on_a_phone_shows_every_sheet_whole(browser, real_site, tmp_path):  # noqa: F811
    """At 375 px an A4 sheet (794 px) used to sit centred, its left part off the
    screen where no scrolling reaches: each sheet is now scaled to the phone's width."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(real_site)
               else route.abort())
    page.goto(real_site + "handbook/print/")
    page.wait_for_function("() => document.documentElement.dataset.paged", timeout=60_000)
    screen = page.evaluate(SHEETS)
    page.screenshot(path=str(tmp_path / "print-edition-375.png"))
    sheets = screen["sheets"]
    assert len(sheets) == int(page.evaluate("document.documentElement.dataset.paged")) > 1
    for number, sheet in enumerate(sheets, start=1):
        assert 0 <= sheet["left"] and sheet["right"] <= screen["width"], (number, sheet, screen["width"])
        assert sheet["right"] - sheet["left"] > 0.9 * screen["width"], (number, sheet)  # scaled to fit, not shrunk away
    assert screen["scrollWidth"] <= screen["width"]  # nothing hides to either side
    assert page.get_by_role("button", name="Print or save as PDF").is_visible()
    page.emulate_media(media="print")  # on paper each sheet is A4 again
    printed = page.evaluate(SHEETS)["sheets"]
    context.close()
    assert all(abs(s["right"] - s["left"] - 793.7) < 1 for s in printed), printed[:2]
    assert (tmp_path / "print-edition-375.png").stat().st_size > 10_000


# ------------------------------------------------------------------ layout

WRAPS_AND_OVERFLOWS = """() => {
  const found = {wrapped: [], overflowing: [], indented: [], lineStarts: 0, sidebar: null,
                 scheme: document.body.dataset.mdColorScheme};
  // A date or count on one line is one line box high; two lines make it about twice that.
  for (const el of document.querySelectorAll('.md-content time, .md-content .tw-count, .md-content .tw-status')) {
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
    if (box.height > line * 1.5) found.wrapped.push(el.textContent.trim());
  }
  // A date that starts a line (after a title that filled the one above) starts at the text's left edge.
  for (const el of document.querySelectorAll('.md-content time')) {
    let block = el.parentElement;
    while (getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
    const before = document.createRange();
    before.setStart(block, 0);
    before.setEndBefore(el);
    const above = [...before.getClientRects()].filter(r => r.width > 0).pop();
    const box = el.getClientRects()[0];
    if (!above || above.bottom > box.top + 1) continue;  // the line's first words are not the date
    found.lineStarts++;
    const style = getComputedStyle(block);
    const edge = block.getBoundingClientRect().left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft);
    if (Math.abs(box.left - edge) > 0.5) found.indented.push(`${el.textContent.trim()} (${(box.left - edge).toFixed(1)}px)`);
  }
  const column = document.querySelector('.md-content__inner');
  const right = column.getBoundingClientRect().right;
  for (const el of [column, ...column.querySelectorAll('[class^="tw-"], [class*=" tw-"]')]) {
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).display !== 'inline'
        || el.getBoundingClientRect().right > right + 1) found.overflowing.push(el.className);
  }
  if (document.documentElement.scrollWidth > document.documentElement.clientWidth) found.overflowing.push('page');
  const side = document.querySelector('.md-sidebar--primary');
  if (side && !side.hidden && getComputedStyle(side).display !== 'none' && side.getBoundingClientRect().left >= 0) {
    found.sidebar = [...side.querySelectorAll('.md-nav__link')].filter(a => a.getClientRects().length)
      .map(a => a.textContent.trim());
  }
  return found;
}"""


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_date_wraps_and_nothing_overflows(browser, real_site, tmp_path, width, scheme):  # noqa: F811
    context, page = _open(browser, real_site, width, scheme)
    problems = {}
    line_starts = 0
    for path in PAGES:
        page.goto(real_site + path, wait_until="load")
        page.screenshot(path=str(tmp_path / f"{path.strip('/').replace('/', '-') or 'home'}.png"))
        found = page.evaluate(WRAPS_AND_OVERFLOWS)
        assert found["scheme"] == ("slate" if scheme == "dark" else "default")
        line_starts += found["lineStarts"]
        if found["wrapped"] or found["overflowing"] or found["indented"]:
            problems[path] = found
        # A left sidebar that holds only the page's own name is clutter: there is none.
        assert found["sidebar"] is None or len(found["sidebar"]) > 1, (path, found["sidebar"])
    context.close()
    assert not problems, problems
    assert len(list(tmp_path.glob("*.png"))) == len(PAGES)
    if width == 375:  # long titles push their dates onto a line of their own: that was looked at
        assert line_starts > 10, line_starts



def test_the_guides_are_out_of_the_readers_menu_and_linked_from_about(browser, real_site):  # noqa: F811
    """The editors' guide and the list operators' guide are built (strictly: the
    fixture's build fails on any MkDocs warning) and linked from About, but not in
    the menu every reader sees: the tabs, or the drawer on a phone."""
    readers = ["Home", "Principles", "Archive", "Handbook", "About", "Subscribe"]
    menus = """() => ({
      tabs: [...document.querySelectorAll('.md-tabs__link')].map(a => a.textContent.trim()),
      drawer: [...document.querySelectorAll('.md-nav--primary > .md-nav__list > .md-nav__item')]
        .map(item => item.querySelector('.md-nav__link').textContent.trim()),
    })"""
    for width in (1280, 375):
        context, page = _open(browser, real_site + "about/", width)
        found = page.evaluate(menus)
        if width == 1280:
            assert found["tabs"] == readers, found
        assert found["drawer"] == readers, found
        context.close()
    context, page = _open(browser, real_site + "about/", 1280)
    for link, title in (("editors' guide", "Editors' guide"), ("Running the list", "Running the mailing list")):
        page.get_by_role("article").get_by_role("link", name=link, exact=True).click()
        page.wait_for_load_state()
        assert page.locator("article h1").inner_text().rstrip("\u00b6") == title  # less its permalink
        assert page.evaluate(menus)["tabs"] == readers  # and not added back on its own page
        # Its table of contents' title is a label: the control it names is on the page (HTML's rule).
        orphans = page.evaluate("""() => [...document.querySelectorAll('label[for]')]
          .filter(label => !document.getElementById(label.htmlFor)).map(label => label.htmlFor)""")
        assert orphans == [], orphans
        page.go_back()
    context.close()


def _contrast_js() -> str:
    return """els => els.map(el => {
      const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
      const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const s = getComputedStyle(el), a = lum(s.color), b = lum(s.backgroundColor);
      return {text: el.textContent.trim(), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
    })"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_preview_badges_are_readable(browser, preview_site, tmp_path, scheme):  # noqa: F811
    context, page = _open(browser, preview_site + "archive/", 375, scheme)
    if scheme == "dark":  # the fixture's palette has no media query: switch as a reader does
        page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    assert page.locator("body").get_attribute("data-md-color-scheme") == ("slate" if scheme == "dark" else "default")
    badges = page.eval_on_selector_all(".tw-status", _contrast_js())
    page.screenshot(path=str(tmp_path / "preview-archive.png"))
    context.close()
    assert sorted(b["text"].split(":")[0] for b in badges) == ["Draft", "Scheduled for 24 November 2026"]
    assert min(b["ratio"] for b in badges) >= 4.5, badges


def test_the_print_edition_numbers_a_principle_whose_slug_starts_with_a_digit(browser, tmp_path):  # noqa: F811
    project = tmp_path / "proj"
    shutil.copytree(FIXTURES / "library", project)
    with open(project / "tips/principles.yml", "a", encoding="utf-8") as vocabulary:
        vocabulary.write("24-7-support:\n  name: Round-the-clock support\n  definition: Someone answers at any hour.\n"
                         "  description: Customers keep their own hours, so help should too.\n")
    tip = project / "tips/2026/2026-10-27-answer-within-the-hour.md"
    tip.write_text(tip.read_text().replace("tags: [responsiveness]", "tags: [24-7-support, responsiveness]"))
    with serving(build_site(project, tmp_path / "site")) as url:
        context, page = _open(browser, url + "handbook/print/", 1280)
        page.wait_for_function("() => document.documentElement.dataset.paged", timeout=60_000)
        assert page.evaluate("document.documentElement.dataset.paged") != "failed"
        texts = _printed(page, tmp_path / "print.pdf")
        context.close()
    entry = re.search(r"Round-the-clock support (\d+) tips? (\d+)\b", texts[0])
    assert entry, texts[0][:600]
    assert "Someone answers at any hour." in texts[int(entry.group(2)) - 1]


SIZES = """(pairs) => pairs.map(([outer, inner]) => {
  const size = (selector) => {
    const el = document.querySelector(selector);
    return el ? parseFloat(getComputedStyle(el).fontSize) : null;
  };
  return [outer, size(outer), inner, size(inner)];
})"""


def test_a_tips_headings_are_smaller_than_its_title_on_screen_and_on_paper(browser, tmp_path):  # noqa: F811
    """An imported post's '##' and '###' read below the tip's title wherever the tip
    is shown, and below the principle's heading in the handbook: on screen, printed,
    and in the print edition."""
    project = tmp_path / "proj"
    shutil.copytree(FIXTURES / "library", project)
    week = project / "tips/2026/2026-11-17-own-the-mistake.md"
    week.write_text(week.read_text().replace(
        "See also [Call", "## What to say\n\nWe lost it.\n\n### If the courier lost it\n\nStill ours.\n\nSee also [Call"))
    handbook = [(".tw-handbook-principle h2", "#tip-own-the-mistake > h3"),
                ("#tip-own-the-mistake > h3", "#tip-own-the-mistake #what-to-say"),
                ("#tip-own-the-mistake #what-to-say", "#tip-own-the-mistake #if-the-courier-lost-it")]
    pages = {"tips/own-the-mistake/": [("article h1", "#what-to-say"), ("#what-to-say", "#if-the-courier-lost-it")],
             "": [(".tw-week h2", "#what-to-say"), ("#what-to-say", "#if-the-courier-lost-it")],
             "handbook/": handbook}
    found = []
    with serving(build_site(project, tmp_path / "site")) as url:
        context, page = _open(browser, url, 1280)
        for path, pairs in pages.items():
            page.goto(url + path)
            found += [(path, *sizes) for sizes in page.evaluate(SIZES, pairs)]
        page.emulate_media(media="print")  # the handbook page printed
        found += [("handbook/ printed", *sizes) for sizes in page.evaluate(SIZES, handbook)]
        page.emulate_media(media="screen")
        page.goto(url + "handbook/print/")
        page.wait_for_function("() => document.documentElement.dataset.paged", timeout=60_000)
        found += [("handbook/print/", *sizes) for sizes in page.evaluate(SIZES, handbook)]
        page.screenshot(path=str(tmp_path / "print-edition.png"))
        context.close()
    assert len(found) == 13
    wrong = [f for f in found if f[2] is None or f[4] is None or not f[2] > f[4]]
    assert not wrong, wrong

