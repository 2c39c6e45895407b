"""`tipweek check --site DIR`: a built site is whole (every page, feed, email
web version and the search index the edition calls for) and holds no
scheduled or draft tip in any page, feed, sitemap or search fragment."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from conftest import build_site

SCHEDULED, DRAFT = "scheduled-secret-tip", "draft-unfinished-idea"
HINT_SCHEDULED = "tips/2026/2026-11-24-scheduled-secret-tip.md: it is out on 2026-11-24; the build must leave it out"


@pytest.fixture
def site(fixture_site, tmp_path) -> Path:
    """A writable copy of the fixture library's site, built for TODAY."""
    return Path(shutil.copytree(fixture_site, tmp_path / "site"))


def problems(result) -> list[str]:
    """The problem lines `tipweek check` printed (the count line left out)."""
    return [line for line in result.output.splitlines() if not line.startswith(("ok:",)) and " problem" not in line]


def fragments(site: Path) -> dict[str, Path]:
    """Pagefind's fragment of each indexed page, by URL."""
    found = {}
    for path in (site / "pagefind").rglob("*.pf_fragment"):
        found[json.loads(gzip.decompress(path.read_bytes()).removeprefix(b"pagefind_dcd"))["url"]] = path
    return found


def test_a_whole_site_passes(tipweek, site):
    result = tipweek("check", "--site", str(site))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "ok: 7 tips, 4 principles",
        f"ok: {site} has 5 published tips, 4 principles, 7 feeds, 4 email web versions and 9 pages in its "
        "search index; none of the 2 scheduled or draft tips is in it"]


def test_each_missing_output_is_named(tipweek, site):
    (site / "tips/own-the-mistake/index.html").unlink()
    shutil.rmtree(site / "principles/sincerity")
    (site / "handbook/index.html").unlink()
    (site / "atom.xml").unlink()
    (site / "email/latest.html").unlink()
    fragments(site)["/tips/reply-before-lunch/"].unlink()
    result = tipweek("check", "--site", str(site))
    assert result.exit_code == 1
    hint = " (build the site again with tipweek build, for the day this check is for)"
    assert sorted(problems(result)) == sorted([
        f"{site}/tips/own-the-mistake/index.html: missing: the page of the tip 'Own the mistake' (2026-11-17){hint}",
        f"{site}/principles/sincerity/index.html: missing: the page of the principle 'Sincerity'{hint}",
        f"{site}/principles/sincerity/feed.xml: missing: a feed{hint}",
        f"{site}/handbook/index.html: missing: the handbook{hint}",
        f"{site}/atom.xml: missing: a feed{hint}",
        f"{site}/email/latest.html: missing: the email's web version ('Own the mistake'){hint}",
        f"{site}/pagefind/: the search index lacks tips/reply-before-lunch/{hint}",
    ]), result.output
    assert result.output.splitlines()[-1] == "7 problems in 7 files"


def test_a_feed_left_empty_or_short_is_named(tipweek, site):
    # The plugin puts empty placeholders for the feeds and the email before
    # the pages, and fills them after: a build tool that skips that last step
    # leaves them empty.
    (site / "feed.json").write_bytes(b"")
    feed = site / "feed.xml"
    feed.write_text(feed.read_text("utf-8").replace("https://tips.example.org/tips/call-back-when-promised/",
                                                    "https://tips.example.org/"), "utf-8")
    result = tipweek("check", "--site", str(site))
    assert result.exit_code == 1
    hint = " (build the site again with tipweek build, for the day this check is for)"
    assert sorted(problems(result)) == [
        f"{site}/feed.json: empty: a feed{hint}",
        f"{site}/feed.xml: does not carry the tip 'Call back when you promised' "
        f"(tips/call-back-when-promised/){hint}",
    ], result.output


def test_the_whole_search_bundle_missing_is_one_line(tipweek, site):
    shutil.rmtree(site / "pagefind")
    result = tipweek("check", "--site", str(site))
    assert result.exit_code == 1
    assert problems(result) == [f"{site}/pagefind/: the search index is missing (the build did not run Pagefind; "
                                "build with tipweek build)"]


def inject(path: Path, before: str, text: str) -> int:
    """Put ``text`` into the file just before the first ``before``; the line it lands on."""
    content = path.read_text("utf-8")
    at = content.index(before)
    path.write_text(content[:at] + text + content[at:], "utf-8")
    return content.count("\n", 0, at) + 1


def test_a_scheduled_or_draft_tip_is_named_wherever_it_leaked(tipweek, site):
    url = f"https://tips.example.org/tips/{SCHEDULED}/"
    page = inject(site / "archive/index.html", "</article>", f'<a href="../tips/{SCHEDULED}/">Next week</a>')
    sibling = inject(site / "tips/own-the-mistake/index.html", "</article>", f'<a href="../{SCHEDULED}/">More</a>')
    feed = inject(site / "feed.xml", "<item>", f"<item><title>A scheduled tip</title><link>{url}</link></item>\n")
    principle_feed = inject(site / "principles/sincerity/feed.xml", "<item>",
                            "<item><title>An unfinished idea</title></item>\n")
    json_feed = inject(site / "feed.json", '"items": [', '"next": {"title": "A scheduled tip"},\n')
    sitemap = inject(site / "sitemap.xml", "</urlset>", f"<url><loc>{url}</loc></url>\n")
    # A fragment Pagefind would have written had it indexed the scheduled tip's page.
    source = fragments(site)["/tips/own-the-mistake/"]
    record = json.loads(gzip.decompress(source.read_bytes()).removeprefix(b"pagefind_dcd"))
    record.update(url=f"/tips/{SCHEDULED}/", meta={**record["meta"], "title": "A scheduled tip"})
    leaked = source.with_name("en_0000000.pf_fragment")
    leaked.write_bytes(gzip.compress(b"pagefind_dcd" + json.dumps(record).encode()))

    result = tipweek("check", "--site", str(site))
    assert result.exit_code == 1
    draft_hint = ("tips/2026/2026-10-20-draft-unfinished-idea.md: a draft is never published; "
                  "the build must leave it out")
    assert sorted(problems(result)) == sorted([
        f"{site}/archive/index.html:{page}: scheduled tip 'A scheduled tip' is in it "
        f"(its URL tips/{SCHEDULED}/) ({HINT_SCHEDULED})",
        f"{site}/tips/own-the-mistake/index.html:{sibling}: scheduled tip 'A scheduled tip' is in it "
        f"(its URL tips/{SCHEDULED}/) ({HINT_SCHEDULED})",
        f"{site}/feed.xml:{feed}: scheduled tip 'A scheduled tip' is in it (its URL tips/{SCHEDULED}/) "
        f"({HINT_SCHEDULED})",
        f"{site}/principles/sincerity/feed.xml:{principle_feed}: draft tip 'An unfinished idea' is in it "
        f"(its title) ({draft_hint})",
        f"{site}/feed.json:{json_feed}: scheduled tip 'A scheduled tip' is in it (its title) ({HINT_SCHEDULED})",
        f"{site}/sitemap.xml:{sitemap}: scheduled tip 'A scheduled tip' is in it "
        f"(its URL tips/{SCHEDULED}/) ({HINT_SCHEDULED})",
        f"{site}/pagefind/fragment/en_0000000.pf_fragment: scheduled tip 'A scheduled tip' is in the search index "
        f"(its URL tips/{SCHEDULED}/) ({HINT_SCHEDULED})",
    ]), result.output


def test_a_title_inside_a_sentence_is_not_a_leak(tipweek, site):
    # "A scheduled tip" as words of a sentence is not the tip's title shown as a title or a value.
    inject(site / "index.html", "</article>", "<p>Keep A scheduled tip in mind.</p>")
    result = tipweek("check", "--site", str(site))
    assert result.exit_code == 0, result.output


def test_a_docs_page_may_quote_a_scheduled_tips_title_but_not_link_to_it(tipweek, site):
    # The editors' guide shows `tipweek new "..."` with a title that may be scheduled: a hand-written page.
    guide = site / "editors-guide" / "index.html"
    guide.parent.mkdir()
    guide.write_text('<html><body><pre><code>tipweek new "A scheduled tip"</code></pre>\n'
                     "<p><code>A scheduled tip</code></p>\n</body></html>\n", "utf-8")
    result = tipweek("check", "--site", str(site))
    assert result.exit_code == 0, result.output
    # The same title in a page tipweek writes is still a leak, and so is the tip's URL in the docs page.
    archive = inject(site / "archive/index.html", "</article>", "<p><strong>A scheduled tip</strong></p>")
    link = inject(guide, "</body>", f'<a href="../tips/{SCHEDULED}/">next week</a>')
    result = tipweek("check", "--site", str(site))
    assert result.exit_code == 1
    assert problems(result) == [
        f"{site}/archive/index.html:{archive}: scheduled tip 'A scheduled tip' is in it (its title) "
        f"({HINT_SCHEDULED})",
        f"{site}/editors-guide/index.html:{link}: scheduled tip 'A scheduled tip' is in it "
        f"(its URL tips/{SCHEDULED}/) ({HINT_SCHEDULED})"]


def test_json_and_github_formats(tipweek, site):
    (site / "atom.xml").unlink()
    result = tipweek("check", "--site", str(site), "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.output) == {"ok": False, "errors": [
        {"path": f"{site}/atom.xml", "line": None, "message": "missing: a feed",
         "hint": "build the site again with tipweek build, for the day this check is for"}], "warnings": []}
    result = tipweek("check", "--site", str(site), "--format", "github")
    assert result.output.strip() == (f"::error file={site}/atom.xml,title=tipweek check::missing: a feed "
                                     "(build the site again with tipweek build, for the day this check is for)")


def test_a_site_built_for_another_day_is_refused(tipweek, project, tmp_path):
    """The check and the build agree on what is out only for the same day:
    a site built a week ahead leaks next week's tip; one built last week lacks this week's."""
    ahead = build_site(project, tmp_path / "ahead", today="2026-11-24")
    result = tipweek("check", "--site", str(ahead))
    assert result.exit_code == 1
    assert f"{ahead}/tips/{SCHEDULED}/index.html: scheduled tip 'A scheduled tip' has a page ({HINT_SCHEDULED})" \
        in problems(result)
    assert f"{ahead}/feed.xml:" in result.output and f"{ahead}/pagefind/fragment/" in result.output
    assert tipweek("check", "--site", str(ahead), "--today", "2026-11-24").exit_code == 0

    behind = build_site(project, tmp_path / "behind", today="2026-11-16")
    result = tipweek("check", "--site", str(behind))
    assert result.exit_code == 1
    assert (f"{behind}/tips/own-the-mistake/index.html: missing: the page of the tip 'Own the mistake' (2026-11-17)"
            in result.output)


def test_the_preview_with_its_drafts_is_refused(tipweek, project, tmp_path):
    """`tipweek serve` shows scheduled tips and drafts: such a site must never be published."""
    preview = build_site(project, tmp_path / "preview", preview=True)
    result = tipweek("check", "--site", str(preview))
    assert result.exit_code == 1
    lines = problems(result)
    assert f"{preview}/tips/{SCHEDULED}/index.html: scheduled tip 'A scheduled tip' has a page ({HINT_SCHEDULED})" \
        in lines
    assert any(line.startswith(f"{preview}/tips/{DRAFT}/index.html: draft tip 'An unfinished idea' has a page")
               for line in lines)
    for listing in ("archive/index.html", "principles/index.html", "sitemap.xml"):
        assert any(line.startswith(f"{preview}/{listing}:") and f"(its URL tips/{SCHEDULED}/)" in line
                   for line in lines), listing


def test_tip_problems_come_first_and_alone(tipweek, project, site):
    (project / "tips/2026/2026-12-01-x.md").write_text("Just a body.\n", "utf-8")
    result = tipweek("check", "--site", str(site))
    assert result.exit_code == 1
    assert problems(result) == ["tips/2026/2026-12-01-x.md:1: no front matter (start the file with a '---' line, "
                                "then title, date, tags and summary, then another '---' line)"]


def test_a_site_folder_that_is_not_there(tipweek, tmp_path):
    result = tipweek("check", "--site", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "does not exist" in result.output



def test_the_check_looks_where_the_build_writes_the_search():
    from tipweek.site import built_site
    from tipweek.outputs import search

    assert (built_site.SEARCH_BUNDLE, built_site.SEARCH_MANIFEST, built_site.SEARCH_BOX) == \
        (search.BUNDLE, search.MANIFEST, (search.SCRIPT, search.STYLESHEET))


def test_a_search_index_in_parts(tipweek, parted_site, tmp_path):
    site = Path(shutil.copytree(parted_site, tmp_path / "site"))
    config = parted_site.parent / "proj" / "mkdocs.yml"  # search_part_size: 3, so three parts
    result = tipweek("check", "--site", str(site), config=config)
    assert result.exit_code == 0, result.output
    assert "9 pages in its search index" in result.output
    in_part_2 = sorted(url.lstrip("/") for url, path in fragments(site).items() if "/part-2/" in path.as_posix())
    assert in_part_2
    shutil.rmtree(site / "pagefind/part-2")
    result = tipweek("check", "--site", str(site), config=config)
    assert result.exit_code == 1
    hint = " (build the site again with tipweek build, for the day this check is for)"
    assert sorted(problems(result)) == sorted([
        f"{site}/pagefind/part-2/pagefind.js: missing: a part of the search index{hint}",
        f"{site}/pagefind/part-2/pagefind-entry.json: missing: a part of the search index{hint}",
        *(f"{site}/pagefind/: the search index lacks {url}{hint}" for url in in_part_2)]), result.output
