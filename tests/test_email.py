"""The weekly email, read back with the standard library's parser."""

from __future__ import annotations

import email
from email import policy

import pytest


@pytest.fixture
def message(tipweek, tmp_path):
    out = tmp_path / "week.eml"
    result = tipweek("email", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Tip of the week: Own the mistake" in result.output
    return email.message_from_bytes(out.read_bytes(), policy=policy.default)


def test_headers(message):
    assert message["Subject"] == "Tip of the week: Own the mistake"
    assert message["From"] == "Fixture Tips <tips@example.org>"
    assert message["Reply-To"] == "editors@example.org"
    assert message["To"] == "reader@example.org"  # a sample: plainly an example, never the sender
    assert message["Date"] == "Tue, 17 Nov 2026 07:00:00 +0000"
    assert message["Message-ID"].strip().startswith("<2026-W47.own-the-mistake.") and message["Message-ID"].endswith(
        "@tips.example.org>")
    assert message["List-Id"] == "Fixture tips <tips.example.org>"
    assert message["List-Unsubscribe"].strip() == ("<https://tips.example.org/unsubscribe?email=reader%40example.org>, "
                                           "<mailto:unsubscribe@example.org?subject=unsubscribe>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_parts(message):
    assert message.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    text = message.get_body(("plain",)).get_content()
    assert "Own the mistake" in text and "The customer chose you; the mistake is yours to fix." in text
    assert "Call back when you promised <https://tips.example.org/tips/call-back-when-promised/>" in text
    # The site's own unsubscribe_url template may lead anywhere: the footer promises nothing about the page.
    assert "\nUnsubscribe: https://tips.example.org/unsubscribe?email=reader%40example.org" in text
    assert "one button" not in text
    assert "<p>" not in text


def test_html_part_is_inlined_centred_and_linked(message):
    html = message.get_body(("html",)).get_content()
    assert len(html.encode()) < 102 * 1024
    assert "<style>" in html and html.count("<style>") == 1  # only the @media rules stay
    style = html[html.index("<style>"):html.index("</style>")]
    assert style.strip().startswith("<style>@media") or "@media" in style and "{" not in style.split("@media")[0].replace("<style>", "")
    assert 'class="container"' in html and 'max-width: 600px' in html and 'align="center"' in html
    assert 'style="' in html
    # hidden preheader with the summary first in the body
    body = html[html.index("<body"):]
    pre = body[:body.index("</div>")]
    assert "display: none" in pre and "When your company drops the ball" in pre
    for url in ("https://tips.example.org/tips/own-the-mistake/", "https://tips.example.org/principles/ownership/",
                "https://tips.example.org/email/2026-W47.html",
                "https://tips.example.org/unsubscribe?email=reader%40example.org"):
        assert f'href="{url}"' in html
    # The site's template (not the list service's own link): a plain "Unsubscribe", no promise of one button.
    footer = " ".join(html[html.index("You receive this email"):].split())
    assert ">Unsubscribe</a>.</p>" in footer
    assert "one button" not in footer
    assert "one click" not in footer and "tips%40example.org" not in html
    assert 'href="../' not in html


def test_email_for_another_day(tipweek, tmp_path):
    out = tmp_path / "w.eml"
    result = tipweek("email", "--today", "2026-11-12", "--out", str(out))
    assert result.exit_code == 0
    msg = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    assert msg["Subject"] == "Tip of the week: Call back when you promised"


def test_no_tip_yet_is_a_clear_error(tipweek, tmp_path):
    result = tipweek("email", "--today", "2020-01-01", "--out", str(tmp_path / "x.eml"))
    assert result.exit_code == 1
    assert "no tip is published on 2020-01-01" in result.output
    assert not (tmp_path / "x.eml").exists()


def test_email_is_deterministic(tipweek, tmp_path):
    tipweek("email", "--out", str(tmp_path / "a.eml"))
    tipweek("email", "--out", str(tmp_path / "b.eml"))
    assert (tmp_path / "a.eml").read_bytes() == (tmp_path / "b.eml").read_bytes()


def test_web_version_in_the_site(fixture_site):
    latest = (fixture_site / "email/latest.html").read_text()
    assert latest == (fixture_site / "email/2026-W47.html").read_text()
    assert "Own the mistake" in latest
    assert "unsubscribe?email" not in latest  # the public copy has nobody's address
    assert 'href="https://tips.example.org/subscribe/"' in latest


def test_the_footer_of_a_list_that_leaves_by_mail(tipweek, project, tmp_path):
    config = project / "mkdocs.yml"
    config.write_text("\n".join(line for line in config.read_text().splitlines()
                                if "unsubscribe_url:" not in line) + "\n")
    out = tmp_path / "week.eml"
    assert tipweek("email", "--out", str(out)).exit_code == 0
    msg = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    text = msg.get_body(("plain",)).get_content()
    assert "Unsubscribe (the link opens an email to send): mailto:unsubscribe@example.org?subject=unsubscribe" in text
    html = " ".join(msg.get_body(("html",)).get_content().split())
    assert ">Unsubscribe</a>: the link opens an email to send." in html


READERS = [  # (address, name, the list service's unsubscribe link)
    ("ana@example.org", "Ana Lima", None), ("bob@example.org", "", None), ("cy@example.org", "José Álvarez", None),
    ("dee@example.org", "O'Brien & \"Sons\" <b>", None), ("eve@example.org", "Eve " * 40, None),
    ("fay@example.org", "Fay", "https://list.example.org/unsubscribe/AbC.d-_9"),
    ("gus@example.org", "Gus", "https://list.example.org/u?a=1&b=2"),
    ("hal@example.org", "Hal", "mailto:leave@example.org"),
    ("ivy@example.org", "Ivy\u00a0Lee", None), ("jo+tips@example.org", "Jo\nBcc: x@example.org", None),
    ("kim@example.org", "\n", None), ("lu@example.org", "Lu = 100% =?utf-8?q?x?=", None),
]


@pytest.mark.parametrize("rerun_on", [None, "2026-11-24"])
def test_the_message_made_once_a_week_is_each_readers_own_byte_for_byte(project, rerun_on):
    """tipweek send renders the week's message once and fills in each reader's parts: what goes
    out is exactly what render_email makes for that reader (names and links of every kind)."""
    import datetime as dt

    from conftest import TODAY
    from tipweek.cli.common import load_project, week_tip
    from tipweek.outputs.email import as_bytes, render_email
    from tipweek.outputs.letters import WeeklyEmail

    edition, featured = week_tip(load_project(str(project / "mkdocs.yml")), TODAY)
    day = dt.date.fromisoformat(rerun_on) if rerun_on else None
    once = WeeklyEmail(edition, featured.tip, day)
    sent_at = dt.datetime(2026, 11, 17, 6, 30, 5, tzinfo=dt.timezone.utc)
    quick = 0
    for address, name, link in READERS:
        expected = as_bytes(render_email(edition, featured.tip, address, name, link, sent_at, day))
        assert as_bytes(once.render(address, name, link, sent_at)) == expected, (address, name, link)
        letter = once.letter(address, name, link, sent_at)  # what a send hands to SMTP
        assert as_bytes(letter.message()) == expected
        assert letter.wire in (None, expected), (address, name, link)
        quick += letter.wire is not None
    assert quick == 8  # made from the week's skeleton: all but the names and links HTML would escape
    # rendered once for each kind: with or without a name; the list service's own link (its footer
    # promises one button), a site's https template or a mailto link
    assert len(once._parts) == 4


def test_a_list_readers_own_page_is_in_the_footer_byte_for_byte(project):
    """A send from the list gives each reader their own "Manage your subscription" link, in
    both parts; the message made once a week is still each reader's own, byte for byte. A
    CSV list's send (no page) keeps the footer it had."""
    import datetime as dt

    from conftest import TODAY
    from tipweek.cli.common import load_project, week_tip
    from tipweek.outputs.email import as_bytes, render_email
    from tipweek.outputs.letters import WeeklyEmail

    edition, featured = week_tip(load_project(str(project / "mkdocs.yml")), TODAY)
    once = WeeklyEmail(edition, featured.tip)
    sent_at = dt.datetime(2026, 11, 17, 6, 30, 5, tzinfo=dt.timezone.utc)
    quick = 0
    for n, (address, name, link) in enumerate(READERS):
        own = "https://list.example.org/unsubscribe/AbC.d-_9"
        page = f"https://list.example.org/manage/Pg{n}.x-_Y" if n % 3 else "https://list.example.org/m?a=1&b=2"
        expected = as_bytes(render_email(edition, featured.tip, address, name, link or own, sent_at, None, page))
        assert as_bytes(once.render(address, name, link or own, sent_at, page)) == expected, (address, name)
        letter = once.letter(address, name, link or own, sent_at, None, page)
        assert as_bytes(letter.message()) == expected
        assert letter.wire in (None, expected), (address, name, link)
        quick += letter.wire is not None
        msg = letter.message()
        text = msg.get_body(("plain",)).get_content()
        assert f"Manage your subscription (pause it for a few weeks, download or erase your data): {page}" in text
        html = msg.get_body(("html",)).get_content()
        assert f'<a href="{page.replace("&", "&amp;")}"' in html and ">Manage your subscription</a>" in html
    assert quick > 0  # most come from the week's skeleton
    plain = render_email(edition, featured.tip, "ana@example.org", "Ana", None, sent_at)  # a CSV list's send
    assert "Manage your subscription" not in as_bytes(plain).decode("ascii")
