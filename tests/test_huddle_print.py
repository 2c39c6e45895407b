"""The huddle card in Debian's Chromium: every real tip's card prints on one
A4 page (the page count read from Chromium's PDF), so does the longest card
the checker allows, and a card reads well at a phone's width."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from chromium import require_chromium, serving
from conftest import FIXTURES, build_site

require_chromium()

ROOT = Path(__file__).parent.parent
ALL_OUT = "2027-01-26"  # the day the last starter tip is published: every tip has its card


def _printed(page) -> list[str]:
    """The page printed by Chromium on A4, as the text of each sheet."""
    import pypdf

    pdf = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4")))
    return [" ".join(sheet.extract_text().split()) for sheet in pdf.pages]


def _open(browser, width: int):
    context = browser.new_context(viewport={"width": width, "height": 800})
    return context, context.new_page()


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    """The project's own tips, built on a day when all of them are out."""
    root = tmp_path_factory.mktemp("real-huddle")
    project = root / "proj"
    project.mkdir()
    for name in ("mkdocs.yml", "tips", "docs"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copyfile)(ROOT / name, project / name)
    site = build_site(project, root / "site", today=ALL_OUT)
    with serving(site) as url:
        yield url, site


def test_every_tips_card_prints_on_one_a4_page(browser, real_site):
    from tipweek.library.loader import load_library

    url, site = real_site
    tips = load_library(ROOT / "tips", ROOT / "tips/principles.yml", ROOT).tips
    assert len(tips) == 62
    context, page = _open(browser, 1280)
    sheets = {}
    for tip in tips:
        page.goto(f"{url}tips/{tip.slug}/huddle/", wait_until="load")
        texts = _printed(page)
        sheets[tip.slug] = len(texts)
        if len(texts) == 1:
            text = texts[0]
            # The card and only the card: its parts, the address of the whole tip, no screen furniture.
            for part in ("The point", "Takeaway", "Talk about it", "Try this week", tip.title.split()[0],
                         f"/tips/{tip.slug}/"):
                assert part.lower() in text.lower(), (tip.slug, part, text)
            assert " ".join(tip.discuss.split()[-3:]) in text, (tip.slug, text)
            assert "Skip to content" not in text and "Material for MkDocs" not in text, text
    context.close()
    assert {slug: n for slug, n in sheets.items() if n != 1} == {}


def test_the_longest_card_the_checker_allows_prints_on_one_page(browser, tmp_path):
    project = tmp_path / "proj"
    shutil.copytree(FIXTURES / "library", project, ignore=shutil.ignore_patterns(".tipweek"))
    words = "Putting things right for a customer is everybody's job and the first word counts the most"
    takeaway = " ".join([words] * 4)  # a long takeaway: 64 words
    (project / "tips/2026/2026-11-17-own-the-mistake.md").write_text(
        "---\n"
        f"title: {('Own the mistake ' * 7)[:100].strip()}\n"
        "date: 2026-11-17\n"
        "tags: [ownership]\n"
        f"summary: {(words + ' ') * 3}{'x' * (300 - 3 * len(words + ' '))}\n"
        f"discuss: {(words + ' ') * 2}{'y' * (199 - 2 * len(words + ' '))}?\n"
        f"try: {(words + ' ') * 2}{'z' * (200 - 2 * len(words + ' '))}\n"
        "---\n"
        f"A body.\n\n**Takeaway:** {takeaway}.\n")
    with serving(build_site(project, tmp_path / "site")) as url:
        context, page = _open(browser, 1280)
        page.goto(url + "tips/own-the-mistake/huddle/", wait_until="load")
        texts = _printed(page)
        context.close()
    assert len(texts) == 1, texts
    assert "try this week" in texts[0].lower() and "zzzz" in texts[0]


def test_a_card_reads_well_on_a_phone(browser, real_site, tmp_path):
    url, _ = real_site
    context, page = _open(browser, 375)
    page.goto(url + "tips/a-weekly-complaint-huddle/huddle/", wait_until="load")
    page.screenshot(path=str(tmp_path / "huddle-card-375.png"), full_page=True)
    found = page.evaluate("""() => ({
      overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth,
      sizes: [...document.querySelectorAll('.tw-huddle__part p')].map(p => parseFloat(getComputedStyle(p).fontSize)),
      headings: [...document.querySelectorAll('.tw-huddle h2')].map(h => h.textContent.trim()),
    })""")
    context.close()
    assert not found["overflow"]
    assert found["headings"] == ["The point", "Takeaway", "Talk about it", "Try this week"]
    assert min(found["sizes"]) >= 16, found  # no smaller than the body text of a phone's own apps
    assert (tmp_path / "huddle-card-375.png").stat().st_size > 0
