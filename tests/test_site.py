"""The built site, read as a visitor would: pages at their URLs, links that
resolve, nothing scheduled or drafted anywhere."""

from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse

import pytest

from conftest import build_site

PAGES = ["index.html", "tips/own-the-mistake/index.html", "principles/index.html",
         "principles/ownership/index.html", "archive/index.html", "handbook/index.html", "404.html",
         "sitemap.xml", "feed.xml", "atom.xml", "feed.json", "principles/ownership/feed.xml",
         "email/latest.html", "email/2026-W47.html", "pagefind/pagefind.js", "pagefind/pagefind-entry.json",
         "assets/search.js", "assets/search.css"]


def read(site: Path, path: str) -> str:
    return (site / path).read_text("utf-8")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key) and tag in ("a", "link", "img", "script"):
                self.links.append(attrs[key])


@pytest.mark.parametrize("path", PAGES)
def test_every_url_exists(fixture_site, path):
    assert (fixture_site / path).is_file()
    assert (fixture_site / path).stat().st_size > 0


def test_internal_links_resolve(fixture_site):
    checked = 0
    for page in fixture_site.rglob("*.html"):
        if page.parent.name == "email":
            continue
        parser = Links()
        parser.feed(page.read_text("utf-8"))
        url = "http://site/" + page.relative_to(fixture_site).as_posix()
        for link in parser.links:
            target, fragment = urldefrag(urljoin(url, link))
            parts = urlparse(target)
            if parts.netloc != "site":
                continue
            path = fixture_site / unquote(parts.path.lstrip("/"))
            if path.is_dir():
                path = path / "index.html"
            assert path.exists(), f"{page.relative_to(fixture_site)} links to missing {link}"
            checked += 1
    assert checked > 200


def test_home_shows_this_weeks_tip_in_full_then_recent_then_principles(fixture_site):
    home = read(fixture_site, "index.html")
    week = home.index('class="tw-week"')
    assert "Own the mistake" in home[week:week + 600]
    assert "The customer chose you; the mistake is yours to fix." in home  # the body, not just the title
    recent = home.index('id="recent"')
    assert week < recent < home.index('id="principles"')
    # recent = 2 (the option) tips before this week's, newest first
    earlier = home[recent:home.index('id="principles"')]
    assert earlier.index("Call back when you promised") < earlier.index("Say sorry like you mean it")
    assert "Answer within the hour" not in earlier
    assert re.search(r"Ownership</a>\s*<span class=\"tw-count\">2 tips</span>", home)


def test_tip_page(fixture_site):
    page = read(fixture_site, "tips/call-back-when-promised/index.html")
    assert "<h1>Call back when you promised</h1>" in page
    assert '<time datetime="2026-11-10">10 November 2026</time>' in page
    assert "Guest Writer" in page  # its own author wins over the default
    assert 'class="md-tag" href="../../principles/follow-through/">Follow-through</a>' in page
    assert '<meta name="description" content="The call back you promised is the recovery; missing it undoes the apology.">' in page
    assert '<meta property="og:type" content="article">' in page
    assert '<meta property="og:url" content="https://tips.example.org/tips/call-back-when-promised/">' in page
    for feed in ("feed.xml", "atom.xml", "feed.json"):
        assert 'rel="alternate" type="application/' in page and f'href="../../{feed}"' in page
    related = page[page.index('id="tw-related-title"'):page.index('class="tw-pager"')]
    titles = re.findall(r'class="tw-tips__title" href="[^"]+">([^<]+)<', related)
    # one principle shared each, so newest first; a tip sharing none is not "related"
    assert titles == ["Own the mistake", "Reply before lunch"]
    pager = page[page.index('class="tw-pager"'):]
    assert 'rel="prev" href="../say-sorry-like-you-mean-it/"' in pager
    assert 'rel="next" href="../own-the-mistake/"' in pager



def _headings(html: str) -> list[tuple[int, str]]:
    """The headings of ``html`` in order, as (level, text) without the permalink mark."""
    from html import unescape

    return [(int(level), unescape(re.sub(r"<[^>]+>", "", text)).replace("\u00b6", "").strip())
            for level, text in re.findall(r"<h([1-6])\b[^>]*>(.*?)</h\1>", html, re.S)]


def test_a_tips_headings_sit_below_its_title_wherever_it_is_shown(project, tmp_path):
    """An imported post's <h2> becomes '##' in the tip: on each page it sits one level
    below the tip's title there (h1 on its page, h2 on the home page, h3 in the
    handbook, whose principles are h2), as in the email and the feed. A '#' (which
    check warns about) never becomes a second h1 that would push the title out."""
    week = project / "tips/2026/2026-11-17-own-the-mistake.md"
    week.write_text(week.read_text().replace(
        "See also [Call", "## What to say\n\nWe lost it.\n\n### If the courier lost it\n\nStill ours.\n\nSee also [Call"))
    older = project / "tips/2026/2026-11-10-call-back-when-promised.md"
    older.write_text(older.read_text().replace("1. Write", "# Keep the promise\n\n1. Write"))
    site = build_site(project, tmp_path / "site")
    body = [("What to say", 1), ("If the courier lost it", 2)]

    def below(title: int) -> list[tuple[int, str]]:
        return [(title + step, text) for text, step in body]

    page = read(site, "tips/own-the-mistake/index.html")
    assert _headings(page[page.index("<article"):page.index('id="tw-related-title"')]) == [
        (1, "Own the mistake"), *below(1)]
    home = read(site, "index.html")
    assert _headings(home[home.index('class="tw-week'):home.index('id="recent"')]) == [(2, "Own the mistake"), *below(2)]
    handbook = read(site, "handbook/index.html")
    section = handbook[handbook.index('id="ownership"'):handbook.index('id="responsiveness"')]
    assert _headings(section)[:4] == [(2, "Ownership"), (3, "Own the mistake"), *below(3)]
    email = read(site, "email/latest.html")
    assert _headings(email[email.index('class="content"'):email.index('class="button-cell"')]) == [
        (1, "Own the mistake"), *below(1)]
    import feedparser

    entry = feedparser.parse((site / "feed.xml").read_bytes()).entries[0]
    assert entry.title == "Own the mistake" and _headings(entry.content[0].value) == below(1)
    # A '#' heading: the tip keeps its title as its one h1; the heading comes below it.
    page = read(site, "tips/call-back-when-promised/index.html")
    assert _headings(page[page.index("<article"):page.index('id="tw-related-title"')]) == [
        (1, "Call back when you promised"), (2, "Keep the promise")]
    handbook_tip = handbook[handbook.index('id="tip-call-back-when-promised"'):]
    assert _headings(handbook_tip[:handbook_tip.index("</article>")]) == [
        (3, "Call back when you promised"), (4, "Keep the promise")]


def test_default_author_and_relative_body_links(fixture_site):
    page = read(fixture_site, "tips/own-the-mistake/index.html")
    assert "Fixture Editor" in page
    # a body link written for the tip page still works when the body is shown on the home page
    home = read(fixture_site, "index.html")
    assert 'href="tips/call-back-when-promised/"' in home


def test_principles_index_has_definitions_counts_and_bars(fixture_site):
    page = read(fixture_site, "principles/index.html")
    for name, definition, count in [("Ownership", "The business owns the whole problem, whoever caused it.", 2),
                                    ("Responsiveness", "Be easy to reach and quick to answer.", 2),
                                    ("Sincerity", "Say sorry as if you mean it, because you do.", 2),
                                    ("Follow-through", "An apology is followed by action and a closed loop.", 2)]:
        section = page[page.index(f">{name}</a></h2>"):]
        section = section[:section.index("</section>")]
        assert definition in section
        assert f"{count} tips" in section
        assert 'class="tw-bar" style="width: 100.0%"' in section
    assert "<script" not in page[page.index('class="tw-principle"'):page.index("</article>")]


def test_principle_page_lists_its_tips_newest_first_with_summaries(fixture_site):
    page = read(fixture_site, "principles/responsiveness/index.html")
    assert "A slow answer tells the customer they do not matter." in page
    assert page.index("Answer within the hour") < page.index("Reply before lunch")
    assert "An hour is long enough to find an answer" in page
    assert 'href="feed.xml">its RSS feed</a>' in page


def test_archive_by_year_and_month(fixture_site):
    page = read(fixture_site, "archive/index.html")
    assert page.index('id="y2026"') < page.index('id="y2025"')
    assert page.index(">November 2026</h3>") < page.index(">October 2026</h3>") < page.index(">December 2025</h3>")
    assert len(re.findall(r'class="tw-tips__title"', page)) == 5


def test_handbook_prints_each_tip_once_grouped_by_principle(fixture_site):
    page = read(fixture_site, "handbook/index.html")
    for slug in ("own-the-mistake", "call-back-when-promised", "say-sorry-like-you-mean-it",
                 "answer-within-the-hour", "reply-before-lunch"):
        assert page.count(f'id="tip-{slug}"') == 1
    assert page.index('id="ownership"') < page.index('id="tip-own-the-mistake"') < page.index('id="responsiveness"')
    css = read(fixture_site, "assets/tipweek.css")
    # No forced page break per principle: paper is not wasted (the printed handbook is in test_layout.py).
    assert "@media print" in css and "break-before: page" not in css
    assert "tipweek.css" in page


def test_scheduled_and_draft_tips_appear_nowhere(fixture_site):
    secrets = ["scheduled-secret-tip", "A scheduled tip", "quartermaster",
               "draft-unfinished-idea", "An unfinished idea", "xylophone"]
    for path in fixture_site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".json", ".eml", ".gz", ".txt"):
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            text = data.decode("utf-8", "replace")
            for secret in secrets:
                assert secret not in text, f"{secret!r} leaked into {path.relative_to(fixture_site)}"
    for path, text in pagefind_texts(fixture_site).items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked into the search index ({path})"
    assert not (fixture_site / "tips/scheduled-secret-tip").exists()


def test_sitemap_lists_only_published_pages(fixture_site):
    sitemap = read(fixture_site, "sitemap.xml")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert "https://tips.example.org/tips/own-the-mistake/" in locs
    assert "https://tips.example.org/principles/ownership/" in locs
    assert not [loc for loc in locs if "secret" in loc or "unfinished" in loc]


def pagefind_texts(site: Path) -> dict[str, str]:
    """Every file of the Pagefind bundle as text: its chunks are gzip, and
    start with "pagefind_dcd" once decompressed."""
    texts = {}
    for path in (site / "pagefind").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data).removeprefix(b"pagefind_dcd")
            texts[path.relative_to(site).as_posix()] = data.decode("utf-8", "replace")
    return texts


def indexed_pages(site: Path) -> dict[str, dict]:
    """What the search knows of each page (a fragment per page), by URL."""
    fragments = [json.loads(text) for path, text in pagefind_texts(site).items() if path.endswith(".pf_fragment")]
    return {f["url"]: f for f in fragments}


def test_search_indexes_published_tips_and_principle_pages_only(fixture_site):
    pages = indexed_pages(fixture_site)
    tips = {"own-the-mistake", "call-back-when-promised", "say-sorry-like-you-mean-it",
            "answer-within-the-hour", "reply-before-lunch"}
    principles = {"ownership", "responsiveness", "sincerity", "follow-through"}
    # not the home page, the archive or the handbook, which repeat the tips
    assert set(pages) == {f"/tips/{t}/" for t in tips} | {f"/principles/{p}/" for p in principles}
    tip = pages["/tips/reply-before-lunch/"]
    assert tip["meta"]["title"] == "Reply before lunch"
    assert tip["meta"]["date"] == "30 December 2025"
    assert sorted(tip["filters"]["principle"]) == ["Follow-through", "Responsiveness"]
    assert "feels like care" in tip["content"]  # the summary
    assert "Related tips" not in tip["content"] and "Previous tip" not in tip["content"]
    assert "feels like care" not in pages["/principles/responsiveness/"]["content"]  # its tip list is not indexed
    assert pages["/principles/responsiveness/"]["meta"]["kind"] == "Principle"


def test_material_search_is_gone_and_pagefind_comes_with_our_script(fixture_site):
    assert not (fixture_site / "search").exists()
    assert not (fixture_site / "assets/javascripts/lunr").exists()
    assert not (fixture_site / "assets/javascripts/workers").exists()
    assert not list(fixture_site.rglob("search_index.json"))
    home = read(fixture_site, "index.html")
    assert 'name="search"' not in home  # Material would fetch its own index for such a form
    assert "assets/search.js" in home and 'id="tw-search-input"' in home
    assert "pagefind.js" not in home  # fetched by assets/search.js, with the parts it lists
    assert not list((fixture_site / "pagefind").glob("pagefind-*ui*"))
    parts = json.loads(read(fixture_site, "pagefind/tipweek-parts.json"))
    weight = {kind: sum(f.stat().st_size for f in (fixture_site / "pagefind" / kind).iterdir())
              for kind in ("index", "fragment")}
    assert parts == {"pages": 9, "parts": [], "index_bytes": weight["index"], "fragment_bytes": weight["fragment"]}


def test_a_large_index_comes_in_parts_each_page_in_one(fixture_site, parted_site):
    """``search_part_size: 3`` splits the 9 pages into three bundles of 3,
    each complete (its own pagefind.js and worker), with the same pages and
    the same words between them as the index in one part."""
    parts = json.loads(read(parted_site, "pagefind/tipweek-parts.json"))
    assert parts["pages"] == 9 and parts["parts"] == ["part-2/", "part-3/"]
    assert parts["index_bytes"] == sum(f.stat().st_size for f in parted_site.glob("pagefind/**/index/*"))
    bundles = [parted_site / "pagefind", parted_site / "pagefind/part-2", parted_site / "pagefind/part-3"]
    held = []
    for bundle in bundles:
        assert (bundle / "pagefind.js").is_file() and (bundle / "pagefind-worker.js").is_file()
        entry = json.loads((bundle / "pagefind-entry.json").read_text("utf-8"))
        assert entry["languages"]["en"]["page_count"] == 3
        held.append({json.loads(gzip.decompress(f.read_bytes()).removeprefix(b"pagefind_dcd"))["url"]
                     for f in (bundle / "fragment").iterdir()})
    assert sum(len(pages) for pages in held) == 9
    assert set().union(*held) == set(indexed_pages(fixture_site))
    # nothing of the work left beside the site
    assert [p.name for p in parted_site.iterdir() if p.name.startswith(".")] == []


def test_a_failed_index_run_keeps_the_index_there_was(project, tmp_path, monkeypatch):
    from types import SimpleNamespace

    from mkdocs.exceptions import PluginError

    from tipweek.outputs import search

    site = build_site(project, tmp_path / "site")
    before = sorted(p.relative_to(site) for p in (site / "pagefind").rglob("*"))
    assert len(before) > 20
    monkeypatch.setattr(search.pagefind_bin, "get_executable", lambda: "/bin/false")
    with pytest.raises(PluginError, match="pagefind failed to index"):
        search.write_search_index(SimpleNamespace(site_dir=str(site), plugins={}), 3)
    assert sorted(p.relative_to(site) for p in (site / "pagefind").rglob("*")) == before
    assert not (site / ".pagefind.partial").exists()


def test_an_index_in_parts_never_holds_a_scheduled_tip_or_a_draft(project, tmp_path):
    config = project / "mkdocs.yml"
    config.write_text(config.read_text("utf-8").replace("  - tipweek:\n", "  - tipweek:\n      search_part_size: 2\n", 1),
                      "utf-8")
    site = build_site(project, tmp_path / "site", preview=True)  # the preview shows them, search does not
    # 9 pages of 2 would be 5 parts: at most 4
    assert json.loads(read(site, "pagefind/tipweek-parts.json"))["parts"] == ["part-2/", "part-3/", "part-4/"]
    assert len(indexed_pages(site)) == 9
    for path, text in pagefind_texts(site).items():
        for secret in ("scheduled-secret-tip", "quartermaster", "draft-unfinished-idea", "xylophone"):
            assert secret not in text, f"{secret!r} is in the preview's search index ({path})"


def test_a_scheduled_tip_appears_on_its_date(project, tmp_path):
    site = build_site(project, tmp_path / "site", today="2026-11-24")
    assert (site / "tips/scheduled-secret-tip/index.html").is_file()
    assert "A scheduled tip" in read(site, "index.html")


def test_preview_shows_scheduled_and_drafts_marked(project, tmp_path):
    site = build_site(project, tmp_path / "site", preview=True)
    page = read(site, "tips/scheduled-secret-tip/index.html")
    assert "Scheduled for 24 November 2026" in page
    assert "Draft: never published" in read(site, "tips/draft-unfinished-idea/index.html")
    # feeds and search never carry them, even in preview
    assert "scheduled-secret-tip" not in read(site, "feed.xml")
    assert "/tips/own-the-mistake/" in indexed_pages(site)
    for path, text in pagefind_texts(site).items():
        for secret in ("scheduled-secret-tip", "quartermaster", "draft-unfinished-idea", "xylophone"):
            assert secret not in text, f"{secret!r} is in the preview's search index ({path})"


def _shown_text(html_: str) -> str:
    """What a reader sees of a page's main content, as one line of text."""
    article = html_.split('<article class="md-content__inner', 1)[1].split(">", 1)[1].split("</article>", 1)[0]
    article = re.sub(r"<(script|style)\b.*?</\1>", " ", article, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", article))


def test_preview_shows_a_scheduled_tips_date_once(project, tmp_path):
    site = build_site(project, tmp_path / "site", preview=True)
    page = _shown_text(read(site, "tips/scheduled-secret-tip/index.html"))
    assert "Scheduled for 24 November 2026" in page and page.count("24 November 2026") == 1, page
    archive = read(site, "archive/index.html")
    item = _shown_text(archive).split("A scheduled tip", 1)[1].split("</li>", 1)[0]
    assert item.count("24 November 2026") == 1, item
    # A published tip keeps its plain date.
    assert _shown_text(read(site, "tips/own-the-mistake/index.html")).count("17 November 2026") == 1


def test_broken_tip_stops_the_build_with_its_place(project, tmp_path, caplog):
    from mkdocs.exceptions import Abort

    bad = project / "tips/2026/2026-12-01-broken.md"
    bad.write_text("---\ntitle: Broken\ndate: 2026-12-01\ntags: [ownershp]\nsummary: x\n---\nBody\n")
    with pytest.raises(Abort):
        build_site(project, tmp_path / "site")
    assert "tips/2026/2026-12-01-broken.md:4: unknown tag 'ownershp' (did you mean 'ownership'?)" in caplog.text
    assert not (tmp_path / "site" / "index.html").exists()


def test_docs_override_wins_over_package_template(project, tmp_path):
    overrides = project / "docs/overrides/tipweek"
    overrides.mkdir(parents=True)
    (overrides / "archive.html").write_text('{% extends "main.html" %}{% block content %}CUSTOM ARCHIVE{% endblock %}')
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("  name: material\n", "  name: material\n  custom_dir: docs/overrides\n"))
    site = build_site(project, tmp_path / "site")
    assert "CUSTOM ARCHIVE" in read(site, "archive/index.html")


def test_serve_reloads_when_a_tip_or_the_principles_change(project):
    """`mkdocs serve` watches docs/ itself; the plugin adds tips/ and principles.yml."""
    from mkdocs.config import load_config

    config = load_config(str(project / "mkdocs.yml"))
    plugin = config.plugins["tipweek"]
    config = plugin.on_config(config)
    watched = []

    class Server:
        def watch(self, path, *args, **kwargs):
            watched.append(path)

    plugin.on_serve(Server(), config=config, builder=None)
    assert str(project / "tips") in watched
    assert str(project / "tips/principles.yml") in watched


def test_404_page_helps_the_reader_on(fixture_site):
    page = read(fixture_site, "404.html")
    assert "<h1>Page not found</h1>" in page
    assert 'href="https://tips.example.org/archive/"' in page
