"""Nothing an editor types reaches a reader unescaped: not in pages, feeds or email."""

from __future__ import annotations

import email
import json
from email import policy

import feedparser

from conftest import build_site

NASTY_TITLE = 'Fish & chips <script>alert("t")</script> ]]> "quoted"'
NASTY_SUMMARY = "Sum & <script>alert('s')</script> ]]> \"q\" 'a' <b>bold</b>"
NASTY_AUTHOR = "Eve <script>alert(1)</script> & Co"


def write_nasty_tip(project):
    path = project / "tips/2026/2026-11-18-nasty.md"
    # Wednesday of week 47 would clash with own-the-mistake; make it the only tip of its week
    (project / "tips/2026/2026-11-17-own-the-mistake.md").rename(project / "tips/2026/2026-11-10-x.md")
    (project / "tips/2026/2026-11-10-x.md").unlink()
    path.write_text(
        "---\n"
        f"title: {json.dumps(NASTY_TITLE)}\n"
        "date: 2026-11-18\n"
        "tags: [ownership]\n"
        f"summary: {json.dumps(NASTY_SUMMARY)}\n"
        f"author: {json.dumps(NASTY_AUTHOR)}\n"
        "---\n"
        "A body with & and <b>bold</b> and a [link](https://example.org/?a=1&b=2).\n",
        encoding="utf-8")
    return path


def test_check_accepts_the_text_but_output_escapes_it(project, tipweek, tmp_path):
    write_nasty_tip(project)
    assert tipweek("check").exit_code == 0
    site = build_site(project, tmp_path / "site")
    for path in site.rglob("*"):
        if path.suffix not in (".html", ".xml", ".json") or not path.is_file():
            continue
        text = path.read_text("utf-8")
        where = path.relative_to(site)
        assert '<script>alert("t")' not in text, where
        assert "<script>alert('s')" not in text, where
        assert "<script>alert(1)" not in text, where
    tip = (site / "tips/nasty/index.html").read_text()
    assert "<h1>Fish &amp; chips &lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in tip or \
        "<h1>Fish &amp; chips &lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in tip
    assert '<meta name="description" content="Sum &amp; &lt;script&gt;' in tip
    assert '<meta property="og:title" content="Fish &amp; chips &lt;script&gt;' in tip
    assert "Eve &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in tip


def test_feeds_round_trip_the_exact_text(project, tipweek, tmp_path):
    write_nasty_tip(project)
    site = build_site(project, tmp_path / "site")
    for name in ("feed.xml", "atom.xml"):
        parsed = feedparser.parse((site / name).read_bytes())
        assert parsed.bozo == 0
        entry = parsed.entries[0]
        assert entry.title == NASTY_TITLE
        assert "<script" not in entry.content[0].value
    item = json.loads((site / "feed.json").read_text())["items"][0]
    assert item["title"] == NASTY_TITLE and item["summary"] == NASTY_SUMMARY
    assert "<script" not in item["content_html"]


def test_email_escapes_and_keeps_headers_single(project, tipweek, tmp_path):
    write_nasty_tip(project)
    out = tmp_path / "w.eml"
    assert tipweek("email", "--out", str(out)).exit_code == 0
    msg = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    assert msg["Subject"].strip() == f"Tip of the week: {NASTY_TITLE}"
    html = msg.get_body(("html",)).get_content()
    assert "<script" not in html
    assert "Fish &amp; chips &lt;script&gt;" in html


def test_sanitizer_strips_what_check_would_refuse():
    from tipweek.edition.edition import safe_html as safe_body

    dirty = ('<p onclick="x()">Hi <a href="javascript:alert(1)">x</a><script>bad()</script>'
             '<iframe src="https://evil.example"></iframe><img src="a.png" alt="a" onerror="y()"></p>')
    clean = safe_body(dirty, "https://tips.example.org/tips/t/")
    for bad in ("onclick", "javascript:", "<script", "<iframe", "onerror"):
        assert bad not in clean
    assert '<img src="https://tips.example.org/tips/t/a.png" alt="a">' in clean


def test_a_line_break_in_a_title_never_makes_a_second_header():
    import datetime as dt

    from conftest import make_edition
    from tipweek.outputs.email import render_email
    from tipweek.library.model import Principle, Tip

    tip = Tip(slug="t", title="Hello\r\nBcc: victim@example.org", date=dt.date(2026, 11, 17), tags=("o",),
              summary="S", body="Body\n", path="tips/2026/2026-11-17-t.md")
    edition = make_edition([tip], {"o": Principle("o", "O", "d", "l")}, email_from="Tips <tips@example.org>",
                           unsubscribe_url="https://x.example/u?e={email}")
    msg = render_email(edition, tip, recipient="r@example.org", name="R\nBcc: x@example.org")
    raw = msg.as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "Tip of the week: Hello Bcc: victim@example.org"
    headers = raw.split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers
