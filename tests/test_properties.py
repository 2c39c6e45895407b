"""Property tests: whatever editors write, the loader answers with our own
errors; whatever valid library they build, feeds and email read back."""

from __future__ import annotations

import datetime as dt
import email
import shutil
import tempfile
from email import policy
from pathlib import Path

import feedparser
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_edition
from tipweek.edition.edition import Site
from tipweek.outputs.email import render_email
from tipweek.outputs.feeds import atom, json_feed, rss
from tipweek.library.loader import scan_library
from tipweek.library.model import Principle, Tip, TipError

PRINCIPLES = "ownership:\n  name: Ownership\n  definition: D\n  description: L\n"
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
                    st.dates().map(str))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=8), inner, max_size=3), max_leaves=6)
front_matter = st.dictionaries(
    st.sampled_from(["title", "date", "tags", "summary", "author", "draft", "tilte", "x"]) | st.text(max_size=6),
    values, max_size=7)


def load(files: dict[str, bytes]):
    root = Path(tempfile.mkdtemp())
    try:
        (root / "tips/2026").mkdir(parents=True)
        (root / "tips/principles.yml").write_text(PRINCIPLES)
        for name, data in files.items():
            (root / "tips/2026" / name).write_bytes(data)
        return scan_library(root / "tips", root / "tips/principles.yml", root)
    finally:
        shutil.rmtree(root)


@SETTINGS
@given(meta=front_matter, body=st.text(max_size=200))
def test_random_front_matter_gives_errors_not_exceptions(meta, body):
    text = "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body
    library, errors = load({"2026-12-01-random.md": text.encode("utf-8", "surrogatepass")})
    assert all(isinstance(e, TipError) and e.line >= 1 and e.path.startswith("tips/") for e in errors)
    assert len(library) + bool(errors) >= 1


@SETTINGS
@given(raw=st.binary(max_size=300))
def test_random_bytes_give_errors_not_exceptions(raw):
    library, errors = load({"2026-12-01-bytes.md": b"---\n" + raw})
    assert all(isinstance(e, TipError) for e in errors)


@SETTINGS
@given(text=st.text(max_size=300))
def test_random_text_gives_errors_not_exceptions(text):
    library, errors = load({"2026-12-01-text.md": text.encode("utf-8", "surrogatepass")})
    assert all(isinstance(e, TipError) for e in errors)


# ------------------------------------------------------------- valid libraries

line_text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"),
                    min_size=1, max_size=80).filter(lambda s: s.strip())
body_text = st.lists(line_text, min_size=1, max_size=4).map(lambda ps: "\n\n".join(ps) + "\n")


@st.composite
def tips(draw):
    count = draw(st.integers(1, 5))
    start = dt.date(2026, 1, 6)
    result = []
    for i in range(count):
        result.append(Tip(slug=f"tip-{i}", title=draw(line_text).strip(), date=start + dt.timedelta(weeks=i),
                          tags=("ownership",), summary=draw(line_text).strip(), body=draw(body_text),
                          path=f"tips/2026/t{i}.md", author=draw(st.none() | line_text.map(str.strip))))
    return list(reversed(result))


SITE = Site("Tips & tricks <x>", "https://tips.example.org/", "All ]]> the tips", "Editors & co")
PRINCIPLE = {"ownership": Principle("ownership", "Ownership", "D", "L")}


def xml_titles(data: bytes) -> list[str]:
    """Entry titles as the XML carries them (feedparser "repairs" text that
    looks like mis-decoded UTF-8, such as 'Â¡', so it cannot judge a round trip)."""
    from lxml import etree

    root = etree.fromstring(data)
    atom = "{http://www.w3.org/2005/Atom}"
    if root.tag == "rss":
        return [item.findtext("title") for item in root.findall("channel/item")]
    return [entry.findtext(f"{atom}title") for entry in root.findall(f"{atom}entry")]


@SETTINGS
@given(tips())
def test_valid_libraries_give_feeds_without_bozo(newest):
    edition = make_edition(newest, PRINCIPLE, site=SITE)
    for data in (rss(edition, newest), atom(edition, newest)):
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert len(parsed.entries) == len(newest)
        assert xml_titles(data) == [t.title for t in newest]
    import json
    feed = json.loads(json_feed(edition, newest))
    assert [i["title"] for i in feed["items"]] == [t.title for t in newest]


@SETTINGS
@given(tips(), line_text)
def test_valid_libraries_give_emails_with_the_same_subject(newest, name):
    edition = make_edition(newest, PRINCIPLE, site=SITE, email_from="Tips <tips@example.org>",
                           unsubscribe_url="https://tips.example.org/u?e={email}",
                           unsubscribe_mailto="mailto:u@example.org")
    msg = render_email(edition, newest[0], recipient="reader@example.org", name=name)
    tip = newest[0]
    parsed = email.message_from_bytes(msg.as_bytes(policy=policy.SMTP), policy=policy.default)
    assert " ".join(parsed["Subject"].split()) == " ".join(f"Tip of the week: {tip.title}".split())
    assert not parsed.defects
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


anything = st.text(max_size=60)


@SETTINGS
@given(title=anything, summary=anything, author=anything, body=st.text(min_size=1, max_size=200))
def test_whatever_the_loader_accepts_makes_valid_feeds_and_email(title, summary, author, body):
    import json

    text = ("---\n" + yaml.safe_dump({"title": title, "date": "2026-12-01", "tags": ["ownership"],
                                      "summary": summary, "author": author}, allow_unicode=True)
            + "---\n" + body)
    library, errors = load({"2026-12-01-any.md": text.encode("utf-8", "surrogatepass")})
    if errors:
        return
    newest = list(library.tips)
    edition = make_edition(newest, library.principles, site=SITE, unsubscribe_mailto="mailto:u@example.org")
    for data in (rss(edition, newest), atom(edition, newest)):
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert xml_titles(data) == [newest[0].title]
    json.loads(json_feed(edition, newest))
    msg = render_email(edition, newest[0])
    parsed = email.message_from_bytes(msg.as_bytes(policy=policy.SMTP), policy=policy.default)
    assert " ".join(parsed["Subject"].split()) == " ".join(f"Tip of the week: {newest[0].title}".split())


related_libraries = st.lists(st.tuples(st.integers(0, 20), st.lists(st.sampled_from("abcde"), min_size=1, max_size=4,
                                                                     unique=True)), max_size=25)


@SETTINGS
@given(related_libraries, st.integers(1, 5))
def test_the_emails_one_pass_finds_the_same_related_tips_as_the_sites_index(specs, count):
    from tipweek.edition.related import Related, related_to

    library = sorted((Tip(slug=f"t{i}", title="T", date=dt.date(2026, 1, 1) + dt.timedelta(days=day),
                          tags=tuple(tags), summary="S", body="B", path=f"t{i}.md")
                      for i, (day, tags) in enumerate(specs)), key=lambda t: (t.date, t.slug), reverse=True)
    index = Related(library)
    for tip in library:
        assert related_to(library, tip, count) == index.to(tip, count)


def _rule_of_reruns(tips: list[Tip], until: dt.date) -> dict[dt.date, Tip]:
    """The re-run rule as reruns.py's docstring words it, walked naively: the
    reference the fast plan (a heap, one pass) must agree with."""
    from tipweek.calendar.reruns import MIN_AGE_WEEKS, NEVER, WEEK
    from tipweek.library.dates import monday_of

    tips = [t for t in tips if not t.draft]
    if not tips:
        return {}
    own, last, chosen = {monday_of(t.date) for t in tips}, {}, {}
    monday = monday_of(min(t.date for t in tips)) + WEEK
    while monday <= monday_of(until):
        cutoff = monday - MIN_AGE_WEEKS * WEEK
        eligible = [t for t in tips if monday_of(t.date) <= cutoff] if monday not in own else []
        if eligible:
            rested = [t for t in eligible if last.get(t.slug, NEVER) <= cutoff]
            pick = min(rested or eligible, key=lambda t: (not t.evergreen, last.get(t.slug, NEVER), t.date, t.slug))
            chosen[monday], last[pick.slug] = pick, monday
        monday += WEEK
    return chosen


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 600), st.booleans(), st.booleans()), max_size=30), st.integers(0, 900))
def test_the_rerun_plan_follows_its_rule(specs, until):
    from tipweek.library.model import Library
    from tipweek.calendar.reruns import plan

    start = dt.date(2024, 1, 1)
    tips = sorted((Tip(slug=f"t{i}", title="T", date=start + dt.timedelta(days=day), tags=("ownership",),
                       summary="S", body="B", path=f"t{i}.md", draft=draft, evergreen=evergreen)
                   for i, (day, draft, evergreen) in enumerate(specs)), key=lambda t: (t.date, t.slug))
    until_day = start + dt.timedelta(days=until)
    assert plan(Library(tuple(tips), PRINCIPLE), until_day) == _rule_of_reruns(tips, until_day)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 30), st.booleans()), max_size=8))
def test_the_rules_across_files_find_every_shared_slug_and_week(specs):
    from collections import Counter

    from tipweek.library.rules_across_files import library_problems

    tips = [Tip(slug=slug, title="T", date=dt.date(2026, 1, 5) + dt.timedelta(days=day), tags=("ownership",),
                summary="S", body="B", path=f"t{i}.md", draft=draft) for i, (slug, day, draft) in enumerate(specs)]
    slugs = Counter(t.slug for t in tips)
    weeks = Counter(t.date.isocalendar()[:2] for t in tips if not t.draft)
    found = library_problems(tips)
    # a shared week is reported on each of its tips, naming each other one
    assert len(found) == sum(n - 1 for n in slugs.values()) + sum(n * (n - 1) for n in weeks.values())
    assert sum("is already used by" in p.message for p in found) == sum(n - 1 for n in slugs.values())
    sharing = {t.path for t in tips if not t.draft and weeks[t.date.isocalendar()[:2]] > 1}
    assert {p.path for p in found if "already has a tip" in p.message} == sharing
