"""tipweek import: WordPress, Blogger, RSS and Atom archives (the Atom one
fetched from a real HTTP server on 127.0.0.1) brought into a copy of the
fixture library, checked, built, imported again, and refused when broken."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from pathlib import Path

import frontmatter
import pytest
from click.testing import CliRunner

from conftest import FIXTURES, build_site
from tipweek.cli.main import main

ARCHIVES = FIXTURES / "import"
WORDPRESS_MAPS = ("--map", "Customer Recovery=ownership", "--map", "Speed=responsiveness", "--map", "apology=sincerity")


def run(project: Path, *args: str):
    return CliRunner().invoke(main, [*args, "-f", str(project / "mkdocs.yml")], catch_exceptions=False)


def tip(project: Path, name: str) -> frontmatter.Post:
    return frontmatter.load(project / "tips" / name[:4] / name)


def snapshot(project: Path) -> dict[str, bytes]:
    return {p.relative_to(project).as_posix(): p.read_bytes() for p in sorted((project / "tips").rglob("*"))
            if p.is_file()}


class _Handler(http.server.BaseHTTPRequestHandler):
    """The old blog: its Atom feed, a web page that is not a feed, and 404s."""

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        if self.path == "/atom.xml":
            self._send(200, "application/atom+xml", (ARCHIVES / "atom.xml").read_bytes())
        elif self.path == "/blog/":
            self._send(200, "text/html", b"<!DOCTYPE html><html><body><h1>Service Desk Digest</h1></body></html>")
        else:
            self._send(404, "text/plain", b"not here")

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def blog_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def imported(tmp_path_factory, blog_server):
    """The fixture library after importing all four archives, and the built site."""
    root = tmp_path_factory.mktemp("imported")
    project = root / "proj"
    shutil.copytree(FIXTURES / "library", project)
    mapping = root / "map.yml"
    mapping.write_text("Sincere apologies: sincerity\ncomplaints: [ownership]\n", encoding="utf-8")
    outputs = {
        "wordpress": run(project, "import", str(ARCHIVES / "wordpress.xml"), *WORDPRESS_MAPS),
        "blogger": run(project, "import", str(ARCHIVES / "blogger.xml"), "--map-file", str(mapping)),
        "rss": run(project, "import", str(ARCHIVES / "rss.xml"), "--map", "speed=responsiveness"),
        "atom": run(project, "import", f"{blog_server}/atom.xml"),
    }
    site = build_site(project, root / "site")
    return project, outputs, site


def test_wordpress_posts_come_in_as_tips(imported):
    project, outputs, _ = imported
    result = outputs["wordpress"]
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{ARCHIVES / 'wordpress.xml'}: WordPress export, 8 posts\n")
    assert "wrote tips/2021/2021-03-02-own-the-delay.md\n" in result.output
    own = tip(project, "2021-03-02-own-the-delay.md")
    assert own["title"] == "Own the delay, not the excuse"
    assert str(own["date"]) == "2021-03-02"  # the post's own date, a Tuesday as it was
    assert own["tags"] == ["ownership", "sincerity"]  # "Customer Recovery" and the tag "apology", mapped
    assert own["summary"] == ("A long queue is not the moment to explain whose fault it is: "
                              "show people you have seen them and are acting.")  # the post's excerpt
    assert own["author"] == "Maya Hollis"  # the display name, not the login
    assert own["source"] == "https://frontdesk.example.com/2021/03/02/own-the-delay/"
    assert "draft" not in own.metadata
    # Paragraphs, a list, emphasis; links and images made absolute on the old site; the [caption] gone.
    assert own.content.startswith("When the queue backs up, nobody waiting wants to hear")
    assert "that *you* have noticed" in own.content
    assert "- Look up, make eye contact" in own.content and "\n- Call a colleague" in own.content
    assert "[calling back on time](https://frontdesk.example.com/2021/02/23/call-back-when-you-said/)" in own.content
    assert "![A queue at the counter](https://frontdesk.example.com/wp-content/uploads/2021/03/queue.png)" \
        in own.content
    assert "[caption" not in own.content and "**Takeaway:** the wait is yours to own" in own.content


def test_wordpress_summary_is_the_first_sentence_without_an_excerpt(imported):
    project, _, _ = imported
    ring = tip(project, "2021-03-09-third-ring.md")
    assert ring["summary"] == "A phone that rings on and on tells the caller nobody is minding the shop."
    closing = tip(project, "2021-11-09-close-the-loop-after-a-complaint.md")  # RSS: the description, minus [...]
    assert closing["summary"] == "A week after a complaint is settled, ring once to ask whether the fix held."


def test_hostile_html_is_removed_and_reported(imported):
    project, outputs, site = imported
    assert ('"Pick up by the third ring": had HTML that could run script: removed <script>, '
            "the onmouseover= handler, a javascript: link; read the tip and check nothing it needs went with it"
            in outputs["wordpress"].output)
    body = tip(project, "2021-03-09-third-ring.md").content
    for bad in ("<script", "tracker.example.net", "onmouseover", "javascript:", "alert("):
        assert bad not in body
    assert "Our switchboard shows missed calls in red: see this week's numbers." in body  # the text stays
    page = (site / "tips" / "third-ring" / "index.html").read_text("utf-8")
    assert "tracker.example.net" not in page and "openStats" not in page and "onmouseover" not in page
    assert '"Apologise for the right thing": had HTML that could run script: removed <iframe>' \
        in outputs["blogger"].output
    assert '"Don’t put them on hold twice": had HTML that could run script: removed the onclick= handler' \
        in outputs["rss"].output


def test_drafts_and_private_posts_come_in_as_drafts(imported):
    project, outputs, site = imported
    assert tip(project, "2021-03-20-refunds-without-a-receipt.md")["draft"] is True  # a WordPress draft
    assert tip(project, "2021-03-23-sorry-said-once.md")["draft"] is True  # a private post
    blogger_draft = tip(project, "2019-06-18-when-the-apology-is-not-enough.md")
    assert blogger_draft["draft"] is True and "source" not in blogger_draft.metadata  # a draft has no address
    assert "wrote tips/2021/2021-03-20-refunds-without-a-receipt.md  (draft; summary taken from the body)" \
        in outputs["wordpress"].output
    assert not (site / "tips" / "refunds-without-a-receipt").exists()
    assert not (site / "tips" / "sorry-said-once").exists()
    # Pages, attachments, trashed posts, comments and Blogger's settings and template are not posts.
    titles = {tip(project, p.name)["title"] for p in (project / "tips").rglob("*.md")}
    assert not titles & {"About this blog", "queue", "Old post we deleted", "Spot on.", "Template: Counter Culture"}


def test_two_posts_in_one_week_the_later_becomes_a_draft(imported):
    project, outputs, site = imported
    assert ('"Say what happens next": falls in week 2021-W10, which already has '
            "tips/2021/2021-03-09-third-ring.md; imported as a draft; "
            "move it to a free week (tipweek schedule shows them) or leave it a draft") in outputs["wordpress"].output
    assert tip(project, "2021-03-11-say-what-happens-next.md")["draft"] is True
    assert "draft" not in tip(project, "2021-03-09-third-ring.md").metadata
    assert '"Keep the receipt roll stocked": falls in week 2019-W20' in outputs["blogger"].output
    assert not (site / "tips" / "say-what-happens-next").exists()


def test_posts_that_cannot_come_in_are_named_with_what_to_do(imported):
    project, outputs, _ = imported
    wordpress = outputs["wordpress"].output
    assert ('"What the night shift taught us": has no date; not imported; give it a date on the old blog '
            "and import again, or write it with tipweek new") in wordpress
    assert '"Photos from the training day": has an empty body; not imported' in wordpress
    assert ('"Welcome, Priya!": maps to no principle ("Team news"); not imported; '
            'map one of its categories with --map "NAME=PRINCIPLE" and import again') in wordpress
    assert '"Our new phone hours": has no date; not imported' in outputs["rss"].output
    assert "imported 5 of 8 posts (3 as drafts); 0 already in the library; 5 need attention\n" in wordpress
    assert not list((project / "tips").rglob("*welcome-priya*"))


def test_unmapped_categories_are_listed_once_with_a_guess(imported):
    _, outputs, _ = imported
    wordpress, atom = outputs["wordpress"].output, outputs["atom"].output
    assert wordpress.count('unmapped category or tag "Team news"') == 1
    assert ('unmapped category or tag "Team news" (2 posts: "Say what happens next", "Welcome, Priya!"): '
            'add --map "Team news=PRINCIPLE", or --map "Team news=" to ignore it') in wordpress
    assert ('unmapped category or tag "ticket-ownership" (1 post: "Own the ticket end to end"): '
            "did you mean 'ownership'? add --map \"ticket-ownership=ownership\"") in atom
    # The post had no other category, so it waits for the mapping.
    assert '"Own the ticket end to end": maps to no principle ("ticket-ownership"); not imported' in atom


def test_blogger_export_comes_in(imported):
    project, outputs, _ = imported
    assert outputs["blogger"].exit_code == 0, outputs["blogger"].output
    assert outputs["blogger"].output.startswith(f"{ARCHIVES / 'blogger.xml'}: Blogger export, 4 posts\n")
    till = tip(project, "2019-05-07-the-customer-at-the-till-is-yours.md")
    assert till["tags"] == ["ownership"]  # the label "Ownership" needs no mapping; "complaints" came from the map file
    assert str(till["date"]) == "2019-05-07" and till["author"] == "Jonas Berg"
    assert till["source"] == "https://counterculture-tips.blogspot.com/2019/05/the-customer-at-till-is-yours.html"
    # Blogger's <br /><br /> is a paragraph break.
    assert till.content.startswith("Whoever rang the sale up, the person in front of you now is your customer.\n\n"
                                   "If a refund is stuck")
    assert "[Last month](https://counterculture-tips.blogspot.com/2019/04/walk-it-over.html)" in till.content
    assert tip(project, "2019-05-14-apologise-for-the-right-thing.md")["tags"] == ["sincerity"]


def test_atom_feed_over_http_comes_in(imported, blog_server):
    project, outputs, _ = imported
    result = outputs["atom"]
    assert result.output.startswith(f"{blog_server}/atom.xml: Atom feed, 3 posts\n")
    first = tip(project, "2022-02-01-tell-them-before-they-have-to-ask.md")
    assert first["summary"] == "Post the outage notice before the first ticket about it arrives."
    assert first["author"] == "Ines Navarro"  # the feed's author, for entries without their own
    assert "[on the status page](https://desk.example.net/status/)" in first.content  # ../../status/ resolved
    thanks = tip(project, "2022-02-15-thank-people-for-reporting-bugs.md")
    assert thanks["tags"] == ["sincerity"] and thanks["source"] == "https://desk.example.net/posts/thank-reporters/"


def test_the_result_passes_the_checker_and_builds(imported):
    project, outputs, site = imported
    for result in outputs.values():
        assert result.output.rstrip().endswith("check: ok")
    check = run(project, "check")
    assert check.exit_code == 0 and check.output.startswith("ok: ")
    for slug in ("own-the-delay", "third-ring", "the-customer-at-the-till-is-yours",
                 "dont-put-them-on-hold-twice", "tell-them-before-they-have-to-ask"):
        page = site / "tips" / slug / "index.html"
        assert page.is_file(), slug
    page = (site / "tips" / "own-the-delay" / "index.html").read_text("utf-8")
    assert "Own the delay, not the excuse" in page
    assert 'src="https://frontdesk.example.com/wp-content/uploads/2021/03/queue.png"' in page
    archive = (site / "archive" / "index.html").read_text("utf-8")
    assert "Pick up by the third ring" in archive and "Helpline" not in archive


def test_importing_again_writes_nothing(imported, blog_server):
    project, _, _ = imported
    before = snapshot(project)
    again = run(project, "import", str(ARCHIVES / "wordpress.xml"), *WORDPRESS_MAPS)
    assert "imported 0 of 8 posts (0 as drafts); 5 already in the library; 3 need attention" in again.output
    assert "wrote" not in again.output
    atom = run(project, "import", f"{blog_server}/atom.xml", "--map", "ticket-ownership=ownership")
    assert "wrote tips/2022/2022-02-08-own-the-ticket-end-to-end.md" in atom.output  # only the newly mapped one
    assert "2 already in the library" in atom.output
    after = snapshot(project)
    assert set(after) - set(before) == {"tips/2022/2022-02-08-own-the-ticket-end-to-end.md"}
    assert all(after[path] == data for path, data in before.items())


def test_dry_run_writes_nothing(project):
    before = snapshot(project)
    result = run(project, "import", str(ARCHIVES / "wordpress.xml"), "--dry-run", *WORDPRESS_MAPS)
    assert result.exit_code == 0
    assert "would write tips/2021/2021-03-02-own-the-delay.md\n" in result.output
    assert "would write tips/2021/2021-03-11-say-what-happens-next.md  (draft; summary taken from the body)\n" \
        in result.output
    assert result.output.rstrip().endswith("would import 5 of 8 posts (3 as drafts); 0 already in the library; "
                                           "5 need attention\ndry run: nothing written")
    assert snapshot(project) == before


def test_json_report(project):
    result = run(project, "import", str(ARCHIVES / "rss.xml"), "--map", "speed=responsiveness",
                 "--map", "listening=", "--map", "phone=follow-through", "--json")
    report = json.loads(result.output)
    assert report["format"] == "RSS feed" and report["posts"] == 4 and report["check"]["ok"] is True
    assert [t["path"] for t in report["tips"]] == ["tips/2021/2021-11-02-repeat-the-problem-back-before-you-fix-it.md",
                                                   "tips/2021/2021-11-04-dont-put-them-on-hold-twice.md",
                                                   "tips/2021/2021-11-09-close-the-loop-after-a-complaint.md"]
    assert report["tips"][1]["draft"] is True  # the same ISO week as the 2nd
    assert report["unmapped"] == []
    repeat = tip(project, "2021-11-02-repeat-the-problem-back-before-you-fix-it.md")
    assert "![Headset on a desk](https://helpline.example.org/wp-content/uploads/2021/11/headset.jpg)" \
        in repeat.content


def test_a_week_already_in_the_library_makes_the_import_a_draft(project, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<rss version="2.0"><channel><title>T</title><link>https://old.example.org/</link><item>'
        "<title>Listen to the whole complaint</title><link>https://old.example.org/listen/</link>"
        "<pubDate>Thu, 12 Nov 2026 09:00:00 +0000</pubDate><category>Sincerity</category>"
        "<description>&lt;p&gt;Let the customer finish. Then answer.&lt;/p&gt;</description>"
        "</item></channel></rss>", encoding="utf-8")
    result = run(project, "import", str(feed))
    assert ('"Listen to the whole complaint": falls in week 2026-W46, which already has '
            "tips/2026/2026-11-10-call-back-when-promised.md; imported as a draft") in result.output
    assert tip(project, "2026-11-12-listen-to-the-whole-complaint.md")["draft"] is True
    assert result.exit_code == 0 and "check: ok" in result.output


@pytest.mark.parametrize("content, message", [
    ('<?xml version="1.0"?>\n<rss version="2.0"><channel><item><title>Cut off',
     "{path}:2: not well-formed XML (column 49); export it again or open it in an XML editor"),
    ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
     "{path}: not an RSS, Atom, WordPress or Blogger document "
     "(its root element is <svg> in the namespace http://www.w3.org/2000/svg)"),
    ('<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old</title></feed>',
     "{path}: not an RSS, Atom, WordPress or Blogger document "
     "(its root element is <feed> in the namespace http://purl.org/atom/ns#)"),
    ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
     "<rss><channel><title>&lol2;</title></channel></rss>",
     "{path}: the document declares XML entities; refusing to expand them"),
    ("<!DOCTYPE html><html><body>Our blog</body></html>",
     "{path}: is a web page, not a feed or an export (give the feed's address, or the file from the blog's export)"),
])
def test_a_broken_source_is_one_line_and_exit_1(project, tmp_path, content, message):
    path = tmp_path / "export.xml"
    path.write_text(content, encoding="utf-8")
    before = snapshot(project)
    result = run(project, "import", str(path))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message.format(path=path)}\n"
    assert result.stdout == "" and snapshot(project) == before


@pytest.mark.parametrize("path, message", [
    ("/gone.xml", "the server answered HTTP 404 Not Found"),
    ("/blog/", "is a web page, not a feed or an export"),
])
def test_a_url_that_is_not_a_feed_is_one_line_and_exit_1(project, blog_server, path, message):
    result = run(project, "import", blog_server + path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {blog_server}{path}: {message}") and result.stderr.count("\n") == 1


@pytest.mark.parametrize("args, message", [
    (("--map", "Speed=responsivness"),
     "--map 'Speed=responsivness': 'responsivness' is not a principle (did you mean 'responsiveness'?)"),
    (("--map", "Speed"), "--map 'Speed': expected CATEGORY=PRINCIPLE"),
    (("--map-file", "missing.yml"), "missing.yml: no such file"),
])
def test_a_bad_mapping_is_one_line_and_exit_1(project, args, message):
    result = run(project, "import", str(ARCHIVES / "rss.xml"), *args)
    assert result.exit_code == 1 and result.stderr.startswith(f"Error: {message}")


@pytest.mark.parametrize("source, message", [
    ("no-such-export.xml", "no such file"),
    ("ftp://old.example.org/export.xml", "only http:// and https:// addresses are fetched; "
                                         "download it and give the file instead"),
    ("http://[::1/feed", "not a valid address (Invalid IPv6 URL)"),
])
def test_a_source_that_cannot_be_read_is_one_line(project, source, message):
    result = run(project, "import", source)
    assert result.exit_code == 1 and result.stderr == f"Error: {source}: {message}\n"


def test_the_checker_wants_source_to_be_a_web_address(project):
    path = project / "tips" / "2026" / "2026-11-17-own-the-mistake.md"
    path.write_text(path.read_text("utf-8").replace("---\n", "source: ftp://old.example.org/own\n---\n", 2)
                    .replace("source: ftp://old.example.org/own\n", "", 1), encoding="utf-8")
    result = run(project, "check")
    assert result.exit_code == 1
    assert "tips/2026/2026-11-17-own-the-mistake.md:6: source must be the http(s) address the tip came from" \
        in result.stderr


def test_the_demo_archive_comes_into_the_real_library(tmp_path):
    """The 34-post WordPress export in tests/fixtures/import, with its category
    map, into a copy of this repository's own library."""
    repo = Path(__file__).parent.parent
    project = tmp_path / "proj"
    for part in ("docs", "tips"):
        shutil.copytree(repo / part, project / part)
    shutil.copy(repo / "mkdocs.yml", project / "mkdocs.yml")
    args = ("import", str(ARCHIVES / "demo-wordpress-archive.xml"), "--map-file",
            str(ARCHIVES / "demo-categories.yml"))
    result = run(project, *args)
    assert result.exit_code == 0, result.output
    assert "imported 30 of 34 posts (4 as drafts); 0 already in the library; 7 need attention\ncheck: ok\n" \
        in result.output
    for problem in ('"Listening on a noisy shop floor": has no date',
                    '"Team photos from the spring training day": has an empty body',
                    '"Watch this short talk on service recovery": had HTML that could run script: '
                    "removed <iframe>, <script>, the onclick= handler",
                    '"Write like you talk": maps to no principle ("Uncategorized")',
                    '"Empty your inbox before the weekend": falls in week 2018-W32',
                    "title was 154 characters; shortened to at most 100"):
        assert problem in result.output
    # The slug of a tip already in the library is not reused: the URL stays the other tip's.
    assert (project / "tips" / "2018" / "2018-05-15-offer-a-choice-of-remedy-2.md").is_file()
    assert "imported 0 of 34 posts (0 as drafts); 30 already in the library" in run(project, *args).output


def test_a_shortcode_only_wordpress_can_show_is_named(project, tmp_path):
    export = (ARCHIVES / "wordpress.xml").read_text("utf-8").replace(
        "People can wait calmly", '[embed]https://video.example.com/next-steps[/embed]\n\nPeople can wait calmly')
    path = tmp_path / "export.xml"
    path.write_text(export, encoding="utf-8")
    result = run(project, "import", str(path), *WORDPRESS_MAPS)
    assert ('"Say what happens next": removed the WordPress [embed] shortcode (only WordPress can show it); '
            "add what it showed by hand") in result.output
    body = tip(project, "2021-03-11-say-what-happens-next.md").content
    assert "[embed]" not in body and "https://video.example.com/next-steps" in body  # the address stays, as text


def test_a_library_without_principles_is_refused(project):
    (project / "tips" / "principles.yml").write_text("", encoding="utf-8")
    result = run(project, "import", str(ARCHIVES / "rss.xml"))
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {project / 'tips' / 'principles.yml'}: no usable principles to map "
                             "categories to; run tipweek check\n")


def test_front_matter_reads_back_exactly(project, tmp_path):
    """Titles, summaries and authors that YAML would misread unquoted."""
    from xml.sax.saxutils import escape

    from tipweek.library.loader import scan_library

    tricky = [("Refunds: say \"yes\" — #1 & 'no'", "No", "@frontdesk"), ("null", "2021-03-02", "Zoë O'Brien"),
              ("- [ownership] {not a list}: *really* 🙂", "yes: it's true; 100%", "true")]
    items = "".join(
        f"<item><title>{escape(title)}</title><link>https://old.example.org/{n}/</link>"
        f"<pubDate>Tue, {n + 2:02d} Mar 2021 09:00:00 +0000</pubDate><category>Ownership</category>"
        f"<dc:creator>{escape(author)}</dc:creator><description>{escape(escape(summary))}</description>"
        f"<content:encoded>{escape('<p>The body.</p>')}</content:encoded></item>"
        for n, (title, summary, author) in enumerate(tricky))
    feed = tmp_path / "feed.xml"
    feed.write_text('<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                    f'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>{items}</channel></rss>',
                    encoding="utf-8")
    result = run(project, "import", str(feed))
    assert result.exit_code == 0, result.output
    library, errors = scan_library(project / "tips", project / "tips" / "principles.yml", project)
    assert errors == []
    imported = {t.title: t for t in library.tips if t.date.year == 2021}
    assert sorted(imported) == sorted(title for title, _, _ in tricky)
    for title, summary, author in tricky:
        assert (imported[title].summary, imported[title].author) == (summary, author)


def test_a_blogger_export_in_the_newer_format(project, tmp_path):
    """Blogger's newer export marks posts with blogger:type and blogger:status."""
    def entry(n: int, kind: str, status: str, title: str, label: str = "Ownership") -> str:
        return (f"<entry><id>tag:blogger.com,1999:blog-55.post-{n}</id><blogger:type>{kind}</blogger:type>"
                f"<blogger:status>{status}</blogger:status><author><name>Ada Quill</name></author>"
                f"<title>{title}</title><content type='html'>&lt;p&gt;{title}, in a few words.&lt;/p&gt;</content>"
                f"<published>2020-06-{n:02d}T09:00:00Z</published><category term='{label}'/>"
                f"<blogger:filename>/2020/06/post-{n}.html</blogger:filename></entry>")
    export = tmp_path / "feed.atom"
    export.write_text(
        "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom' "
        "xmlns:blogger='http://schemas.google.com/blogger/2018'><id>tag:blogger.com,1999:blog-55</id>"
        "<title>Shop talk</title><link rel='alternate' type='text/html' href='https://shoptalk.example.com/'/>"
        + entry(2, "POST", "LIVE", "Own the queue") + entry(3, "COMMENT", "LIVE", "Nice one")
        + entry(9, "POST", "DRAFT", "Fix the sign") + entry(16, "POST", "SOFT_TRASHED", "Gone")
        + entry(17, "PAGE", "LIVE", "About us") + "</feed>", encoding="utf-8")
    result = run(project, "import", str(export))
    assert result.output.startswith(f"{export}: Blogger export, 2 posts\n")
    assert "imported 2 of 2 posts (1 as drafts)" in result.output and result.exit_code == 0
    live = tip(project, "2020-06-02-own-the-queue.md")
    assert live["source"] == "https://shoptalk.example.com/2020/06/post-2.html" and live["author"] == "Ada Quill"
    assert tip(project, "2020-06-09-fix-the-sign.md")["draft"] is True


def test_text_that_mentions_script_is_kept_harmless(project, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<rss version="2.0"><channel><title>T</title><link>https://old.example.org/</link><item>'
        "<title>Links in replies</title><link>https://old.example.org/links/</link>"
        "<pubDate>Tue, 06 Apr 2021 09:00:00 +0000</pubDate><category>Ownership</category>"
        "<description>&lt;p&gt;Never paste a javascript: link or a &amp;lt;script&amp;gt; tag into a reply."
        "&lt;/p&gt;</description></item></channel></rss>", encoding="utf-8")
    result = run(project, "import", str(feed))
    assert result.exit_code == 0 and "check: ok" in result.output
    site = build_site(project, tmp_path / "site")
    page = (site / "tips" / "links-in-replies" / "index.html").read_text("utf-8")
    assert "Never paste a javascript: link or a &lt;script&gt; tag into a reply." in page


def test_wordpress_file_names_are_the_blogs_own_slugs(project, tmp_path):
    """The slug WordPress gave a post (wp:post_name, stored percent-encoded) names
    its tip in full; a post without one (a draft) is named from its title."""
    export = (ARCHIVES / "wordpress.xml").read_text("utf-8")
    export = export.replace("<![CDATA[Own the delay, not the excuse]]>",
                            "<![CDATA[Own the delay at the counter, not the excuse you were about to give]]>")
    slug = "own-the-delay-at-the-counter-not-the-excuse-you-were-about-to-give"
    export = export.replace("<wp:post_name><![CDATA[own-the-delay]]>", f"<wp:post_name><![CDATA[{slug}]]>")
    export = export.replace("<wp:post_name><![CDATA[third-ring]]>", "<wp:post_name><![CDATA[caf%c3%a9-phone-manners]]>")
    path = tmp_path / "export.xml"
    path.write_text(export, encoding="utf-8")
    result = run(project, "import", str(path), *WORDPRESS_MAPS)
    assert result.exit_code == 0, result.output
    assert "wrote tips/2021/2021-03-02-own-the-delay-at-the-counter-not-the-excuse-you-were-about-to-give.md\n" \
        in result.output
    assert "wrote tips/2021/2021-03-09-cafe-phone-manners.md  (summary taken from the body)\n" in result.output
    assert "wrote tips/2021/2021-03-20-refunds-without-a-receipt.md  (draft;" in result.output  # no post_name
    assert tip(project, "2021-03-09-cafe-phone-manners.md")["title"] == "Pick up by the third ring"


def test_links_between_imported_posts_point_at_the_new_tips(imported):
    project, outputs, site = imported
    wordpress = outputs["wordpress"].output
    body = tip(project, "2021-03-09-third-ring.md").content
    # http:// and no trailing slash for the permalink, the guid (?p=40) as a relative link: both are that post.
    assert "[own the delay](own-the-delay.md) there too ([last week's post](own-the-delay.md))" in body
    # A link to a post that comes in as a draft stays on the old blog (the site never shows a draft), and says so.
    assert "[say what happens next](https://frontdesk.example.com/?p=47)" in body
    assert ('"Pick up by the third ring": links to "Say what happens next", which comes in as a draft; the link '
            "still goes to the old blog; point it at say-what-happens-next.md once that tip is published") in wordpress
    assert "\npointed 2 links between the archive's posts at their new tips\n" in wordpress
    # A link to a post that is not in the archive stays where it was.
    own = tip(project, "2021-03-02-own-the-delay.md").content
    assert "(https://frontdesk.example.com/2021/02/23/call-back-when-you-said/)" in own
    page = (site / "tips" / "third-ring" / "index.html").read_text("utf-8")
    assert '<a href="../own-the-delay/">own the delay</a>' in page


def test_a_summary_taken_from_the_body_is_named_in_the_report(imported, project):
    _, outputs, _ = imported
    wordpress = outputs["wordpress"].output
    assert "wrote tips/2021/2021-03-02-own-the-delay.md\n" in wordpress  # its own excerpt: nothing to say
    assert "wrote tips/2021/2021-03-09-third-ring.md  (summary taken from the body)\n" in wordpress
    report = json.loads(run(project, "import", str(ARCHIVES / "wordpress.xml"), *WORDPRESS_MAPS, "--json").output)
    assert [(t["path"], t["summary_from"]) for t in report["tips"][:2]] == [
        ("tips/2021/2021-03-02-own-the-delay.md", "excerpt"), ("tips/2021/2021-03-09-third-ring.md", "body")]
    assert report["links_to_new_tips"] == 2 and report["tips"][1]["links_to_new_tips"] == 2


def _feed(items: list[tuple[str, str, str, str]]) -> str:
    """An RSS feed of (title, link, pubDate, body HTML) items, all about sincerity."""
    from xml.sax.saxutils import escape

    return ('<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>'
            "<link>https://old.example.org/</link>"
            + "".join(f"<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate>"
                      f"<category>Sincerity</category><content:encoded>{escape(body)}</content:encoded></item>"
                      for title, link, date, body in items)
            + "</channel></rss>")


def test_links_find_a_post_by_any_form_of_its_address(project, tmp_path):
    """http or https, with or without the trailing slash, with a #fragment kept; a post an
    earlier import brought in is linked to its tip too."""
    listen = ("Listen first", "https://old.example.org/listen-first/", "Tue, 06 Apr 2021 09:00:00 +0000",
              "<p>Let them finish.</p><h2>What to say</h2><p>Say it back in your own words.</p>")
    first = tmp_path / "first.xml"
    first.write_text(_feed([listen]), encoding="utf-8")
    assert run(project, "import", str(first)).exit_code == 0
    second = tmp_path / "second.xml"
    second.write_text(_feed([
        listen,
        ("Name the mistake", "https://old.example.org/name-it", "Tue, 13 Apr 2021 09:00:00 +0000",
         '<p>Say what went wrong, then <a href="http://OLD.example.org/listen-first#what-to-say">say it back</a>.</p>'),
        ("Mean the sorry", "https://old.example.org/mean-it/", "Tue, 20 Apr 2021 09:00:00 +0000",
         '<p>Start by <a href="https://old.example.org/name-it/">naming it</a>; see '
         '<a href="https://old.example.org/about/">about us</a>.</p>'),
    ]), encoding="utf-8")
    result = run(project, "import", str(second))
    assert result.exit_code == 0 and "check: ok" in result.output, result.output
    assert "pointed 2 links between the archive's posts at their new tips" in result.output
    assert "[say it back](listen-first.md#what-to-say)" in tip(project, "2021-04-13-name-the-mistake.md").content
    mean = tip(project, "2021-04-20-mean-the-sorry.md").content
    assert "[naming it](name-the-mistake.md)" in mean and "[about us](https://old.example.org/about/)" in mean
    page = (build_site(project, tmp_path / "site") / "tips" / "name-the-mistake" / "index.html").read_text("utf-8")
    assert '<a href="../listen-first/#what-to-say">say it back</a>' in page


def test_a_blogger_export_that_lost_a_namespace_declaration_comes_in_with_a_warning(project):
    """Blogger's old exports mark a draft with app:control; a copy that lost the
    declaration of app: is read with it declared, and the report says so."""
    source = ARCHIVES / "blogger-undeclared-prefix.xml"
    result = run(project, "import", str(source))
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"warning: {source}: the namespace prefix 'app:' is used but never declared (the export "
                             "lost the declaration); read it as http://purl.org/atom/app#\n")
    assert result.stdout.startswith(f"{source}: Blogger export, 3 posts\n")
    assert tip(project, "2017-10-24-keep-a-spare-bag-behind-the-counter.md")["draft"] is True  # app:draft was read
    taken = tip(project, "2017-10-10-take-the-return-then-ask-the-questions.md")
    assert taken["source"] == "https://returnsdesk-notes.blogspot.com/2017/10/take-return-then-ask.html"
    assert "check: ok" in result.stdout
    report = json.loads(run(project, "import", str(source), "--dry-run", "--json").stdout)
    assert report["warnings"] == [result.stderr.removeprefix("warning: ").rstrip("\n")]


def test_an_undeclared_prefix_the_reader_does_not_know_is_named_too(project, tmp_path):
    export = tmp_path / "export.xml"
    export.write_text((ARCHIVES / "blogger-undeclared-prefix.xml").read_text("utf-8")
                      .replace("<thr:total>0</thr:total>", "<thr:total>0</thr:total><zz:mood>calm</zz:mood>"),
                      encoding="utf-8")
    result = run(project, "import", str(export), "--dry-run")
    assert result.exit_code == 0
    assert "prefixes 'zz:', 'app:' are used but never declared" in result.stderr
    assert "read them as urn:tipweek:undeclared:zz, http://purl.org/atom/app#" in result.stderr
