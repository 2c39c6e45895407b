"""A week never goes silent: walk a library past its last tip, week by week,
and check what a reader sees on the home page, in the email and in
`tipweek schedule` (issue 16, item 3)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from email import policy
from email.parser import BytesParser
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from conftest import FIXTURES, build_site
from tipweek.cli.main import main

FIRST = dt.date(2026, 1, 6)  # a Tuesday, the library's first tip
COUNT = 30  # weekly tips, the last on 2026-07-28
LAST = FIRST + dt.timedelta(weeks=COUNT - 1)
EVERGREEN = {2, 9}  # the tips of 2026-01-20 and 2026-03-10
GAP_1, GAP_2 = LAST + dt.timedelta(weeks=1), LAST + dt.timedelta(weeks=2)  # 2026-08-04, 2026-08-11
PRINCIPLES = ("ownership", "responsiveness", "sincerity", "follow-through")


def slug(n: int) -> str:
    return f"tip-number-{n:02d}"


def title(n: int) -> str:
    return f"Tip number {n}"


def tip_file(tips: Path, n: int, day: dt.date, *, evergreen: bool = False, draft: bool = False) -> None:
    folder = tips / str(day.year)
    folder.mkdir(parents=True, exist_ok=True)
    extra = ("evergreen: true\n" if evergreen else "") + ("draft: true\n" if draft else "")
    (folder / f"{day.isoformat()}-{slug(n)}.md").write_text(
        f"---\ntitle: {title(n)}\ndate: {day.isoformat()}\ntags: [{PRINCIPLES[n % 4]}]\n"
        f"summary: The lesson of week {n}, in one sentence.\n{extra}---\n"
        f"Body of tip {n}: answer the customer, then fix the cause.\n", "utf-8")


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    """30 weekly tips (two evergreen) and an old evergreen draft, which is never re-run."""
    project = tmp_path_factory.mktemp("reruns") / "proj"
    shutil.copytree(FIXTURES / "library", project)
    tips = project / "tips"
    for year in ("2025", "2026"):
        shutil.rmtree(tips / year)
    for n in range(COUNT):
        tip_file(tips, n, FIRST + dt.timedelta(weeks=n), evergreen=n in EVERGREEN)
    tip_file(tips, 99, dt.date(2025, 12, 30), evergreen=True, draft=True)
    return project


def run(project: Path, *args: str):
    result = CliRunner(catch_exceptions=False).invoke(main, [*args, "-f", str(project / "mkdocs.yml")])
    assert result.exit_code == 0, result.output
    return result


def schedule_json(project: Path, today: dt.date, weeks: int) -> dict:
    return json.loads(run(project, "schedule", "--today", today.isoformat(), "--weeks", str(weeks),
                          "--json").output)


def write_email(project: Path, today: dt.date, out: Path):
    run(project, "email", "--today", today.isoformat(), "--out", str(out))
    return BytesParser(policy=policy.default).parsebytes(out.read_bytes())


def featured_article(site: Path) -> str:
    home = (site / "index.html").read_text("utf-8")
    return re.search(r'<article class="tw-week.*?</article>', home, re.S).group(0)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def weeks_between(earlier: dt.date, later: dt.date) -> int:
    monday = lambda d: d - dt.timedelta(days=d.weekday())  # noqa: E731
    return (monday(later) - monday(earlier)).days // 7


# ------------------------------------------------------------------ the week by week walk

@pytest.fixture(scope="module")
def sites(library, tmp_path_factory) -> dict[str, Path]:
    """The site built on the last tip's day, the two following publishing
    days, and the first of those again (for determinism)."""
    root = tmp_path_factory.mktemp("sites")
    days = {"last": LAST, "gap1": GAP_1, "gap2": GAP_2}
    built = {name: build_site(library, root / name, today=day.isoformat()) for name, day in days.items()}
    built["gap1-again"] = build_site(library, root / "gap1-again", today=GAP_1.isoformat())
    return built


def test_the_last_tip_week_features_the_last_tip(sites, library, tmp_path):
    article = text_of(featured_article(sites["last"]))
    assert article.startswith(f"This week's tip {title(COUNT - 1)} 28 July 2026")
    assert "From the archive" not in article
    # The Monday of the empty week comes before its publishing day (Tuesday):
    # last week's tip still stands.
    monday = LAST + dt.timedelta(days=6)
    assert write_email(library, monday, tmp_path / "m.eml")["Subject"] == f"Tip of the week: {title(COUNT - 1)}"
    assert schedule_json(library, monday, 1)["this_week"]["slug"] == slug(COUNT - 1)


def test_an_empty_week_features_an_evergreen_tip_from_the_archive(sites):
    article = featured_article(sites["gap1"])
    assert 'class="tw-week tw-week--rerun"' in article
    # The first empty week: tips 0-3 are 26 weeks old; tip 2 is the evergreen one.
    assert text_of(article).startswith(f"From the archive {title(2)} First published 20 January 2026")
    assert '<time datetime="2026-01-20">' in article
    assert f'href="tips/{slug(2)}/"' in article
    home = (sites["gap1"] / "index.html").read_text("utf-8")
    earlier = home.split('id="recent"', 1)[1]
    # The last real tip is among the earlier tips now; the re-run is not listed twice.
    listed = earlier.split("</ul>", 1)[0]
    assert f'href="tips/{slug(COUNT - 1)}/"' in listed and f'href="tips/{slug(2)}/"' not in listed


def test_the_next_empty_week_features_another_old_tip(sites):
    article = text_of(featured_article(sites["gap2"]))
    assert article.startswith("From the archive")
    chosen = re.search(r"From the archive (Tip number \d+) First published", article).group(1)
    assert chosen != title(2)  # not the same tip twice while others are eligible
    assert chosen in {title(n) for n in range(5)}  # 26 weeks before 2026-08-11: tips 0-4


def test_rebuilds_are_byte_identical(sites):
    a, b = sites["gap1"], sites["gap1-again"]
    compared = 0
    for path in a.rglob("*"):
        rel = path.relative_to(a)
        # The pages, feeds and emails; not pagefind/, the search tool's own index.
        if path.is_file() and rel.suffix in (".html", ".xml", ".json") and rel.parts[0] != "pagefind":
            assert path.read_bytes() == (b / rel).read_bytes(), rel
            compared += 1
    assert compared > 40


def test_feeds_do_not_republish_a_rerun(sites):
    for name in ("feed.xml", "atom.xml", "feed.json"):
        assert (sites["gap1"] / name).read_bytes() == (sites["last"] / name).read_bytes(), name
    entries = feedparser.parse((sites["gap2"] / "atom.xml").read_bytes()).entries
    assert entries[0].title == title(COUNT - 1)
    assert [e.id for e in entries] == [e.id for e in feedparser.parse(
        (sites["last"] / "atom.xml").read_bytes()).entries]


def test_the_web_version_of_the_rerun_week(sites):
    site = sites["gap2"]
    for rel in ("email/2026-W32.html", "email/2026-W33.html", "email/latest.html", "email/2026-W31.html"):
        assert (site / rel).is_file(), rel
    latest = (site / "email/latest.html").read_text("utf-8")
    assert latest == (site / "email/2026-W33.html").read_text("utf-8")
    assert "From the archive" in latest and "First published" in latest
    week_32 = (site / "email/2026-W32.html").read_text("utf-8")
    assert f"tips/{slug(2)}/" in week_32 and "First published 20 January 2026" in week_32
    assert "From the archive" not in (site / "email/2026-W31.html").read_text("utf-8")


# ------------------------------------------------------------------ the email and the schedule

def test_the_email_of_an_empty_week_is_the_rerun(library, tmp_path):
    msg = write_email(library, GAP_1, tmp_path / "week.eml")
    assert msg["Subject"] == f"From the archive: {title(2)}"
    assert msg["Date"].datetime.date() == GAP_1  # dated by its own week, not the tip's
    assert msg["Message-ID"].startswith(f"<2026-W32.{slug(2)}.")
    html = msg.get_body(("html",)).get_content()
    assert "From the archive" in html and "First published 20 January 2026" in html
    assert "https://tips.example.org/email/2026-W32.html" in html
    text = msg.get_body(("plain",)).get_content()
    assert "From the archive (first published 20 January 2026)" in text
    again = write_email(library, GAP_1, tmp_path / "again.eml")
    assert (tmp_path / "week.eml").read_bytes() == (tmp_path / "again.eml").read_bytes()
    regular = write_email(library, LAST, tmp_path / "last.eml")
    assert regular["Subject"] == f"Tip of the week: {title(COUNT - 1)}"
    assert again["Subject"] == msg["Subject"]


def test_schedule_names_the_reruns_ahead_and_the_email_sends_them(library, tmp_path):
    text = run(library, "schedule", "--today", LAST.isoformat(), "--weeks", "3").output
    assert f"this week   {LAST}  {title(COUNT - 1)}  [{slug(COUNT - 1)}]" in text
    assert (f"re-runs     {GAP_1}  From the archive: {title(2)}  [{slug(2)}]  (first published 2026-01-20)"
            in text)
    plan = schedule_json(library, LAST, 3)["reruns"]
    assert [row["date"] for row in plan] == [str(GAP_1), str(GAP_2)]  # the 3 weeks from the last tip's
    # What the schedule promised is what each week's email then carries.
    for row in plan[1:]:
        day = dt.date.fromisoformat(row["date"])
        assert write_email(library, day, tmp_path / "w.eml")["Subject"] == f"From the archive: {row['title']}"
        this_week = schedule_json(library, day, 1)["this_week"]
        assert this_week == {**row, "rerun": True}


def test_a_year_of_reruns_follows_the_rules(library):
    rows = schedule_json(library, GAP_1, 60)["reruns"]
    assert len(rows) == 60 and all(row["slug"] for row in rows)
    dates = {slug(n): FIRST + dt.timedelta(weeks=n) for n in range(COUNT)}
    evergreen = {slug(n) for n in EVERGREEN}
    history: list[tuple[dt.date, str]] = []
    for row in rows:
        day, chosen = dt.date.fromisoformat(row["date"]), row["slug"]
        eligible = {s for s, d in dates.items() if weeks_between(d, day) >= 26}
        assert chosen in eligible and weeks_between(dates[chosen], day) >= 26
        lately = {s for d, s in history if weeks_between(d, day) < 26}
        if chosen in lately:
            assert eligible <= lately, f"{chosen} repeated on {day} while {eligible - lately} waited"
        fresh_evergreen = (evergreen & eligible) - lately
        if fresh_evergreen:
            assert chosen in fresh_evergreen, f"{day}: {chosen} chosen over evergreen {fresh_evergreen}"
        history.append((day, chosen))
    # Tip 9 (evergreen) becomes eligible on 2026-09-08 and goes first.
    assert [s for d, s in history if d == dt.date(2026, 9, 8)] == [slug(9)]
    assert slug(99) not in {s for _, s in history}  # a draft is never re-run
    assert schedule_json(library, GAP_1, 60)["reruns"] == rows  # deterministic


def test_no_rerun_until_a_tip_is_26_weeks_old(tmp_path):
    project = tmp_path / "young"
    shutil.copytree(FIXTURES / "library", project)
    gap = dt.date(2026, 12, 1)  # the fixture's last published tip is 2026-11-24
    text = run(project, "schedule", "--today", gap.isoformat(), "--weeks", "2").output
    # The fixture's oldest tip (2025-12-30) is 48 weeks old, so it is re-run.
    assert "this week   2026-12-01  From the archive: Reply before lunch  [reply-before-lunch]" in text
    for path in (project / "tips").rglob("2025-*.md"):
        path.unlink()
    text = run(project, "schedule", "--today", gap.isoformat(), "--weeks", "2").output
    assert "nothing published 26 weeks before; the week stays empty" in text
    msg = write_email(project, gap, tmp_path / "w.eml")
    assert msg["Subject"] == "Tip of the week: A scheduled tip"


def test_with_few_old_tips_they_take_turns(project):
    """The fixture library has six tips; once all are 26 weeks old, each comes
    back in turn, the least recently re-run first."""
    rows = schedule_json(project, dt.date(2026, 12, 1), 40)["reruns"]
    first = [row["slug"] for row in rows[:3]]
    assert first == ["reply-before-lunch"] * 3  # the only tip old enough: repeated, not silent
    late = [row["slug"] for row in rows if row["date"] >= "2027-05-25"]  # all six eligible from here
    assert len(late) >= 12
    for start in range(len(late) - 5):
        window = late[start:start + 6]
        assert len(set(window)) == 6, window
    assert "draft-unfinished-idea" not in {row["slug"] for row in rows}


# ------------------------------------------------------------------ sending

def test_send_in_a_rerun_week_delivers_once_with_its_own_ledger(library, tmp_path):
    from smtp_servers import LocalSMTP, Recorder

    people = [("ana@example.org", "Ana Lima"), ("bob@example.org", "Bob Okafor")]
    csv = tmp_path / "subscribers.csv"
    csv.write_text("email,name\n" + "".join(f"{a},{n}\n" for a, n in people), "utf-8")
    ledgers = tmp_path / "ledger"
    server = LocalSMTP(Recorder())
    server.start()
    try:
        def send(day: dt.date, *extra: str):
            return run(library, "send", "--today", day.isoformat(), "--subscribers", str(csv), *extra,
                       "--smtp", server.address, "--ledger", str(ledgers), "--backoff", "0", "--timeout", "5")

        assert send(LAST).stdout.splitlines()[-1].startswith("sent 2,")
        rehearsal = send(GAP_1, "--dry-run").stdout
        assert "would send 2026-W32 'Tip number 2' to Ana Lima <ana@example.org>" in rehearsal
        assert send(GAP_1).stdout.splitlines()[-1].startswith("sent 2,")
        again = send(GAP_1)  # the same week again: nobody gets it twice
        assert again.stdout.splitlines()[-1].startswith("sent 0,")
        received = server.handler.received
    finally:
        server.stop()
    assert sorted(m.to for m in received) == sorted(a for a, _ in people * 2)
    reruns = [m.message for m in received if m.message["Subject"] == f"From the archive: {title(2)}"]
    assert len(reruns) == 2
    assert all(m["Message-ID"].startswith(f"<2026-W32.{slug(2)}.") for m in reruns)
    assert sorted(p.name for p in ledgers.glob("*.jsonl")) == ["2026-W31.jsonl", "2026-W32.jsonl"]
    sent = [json.loads(line) for line in (ledgers / "2026-W32.jsonl").read_text("utf-8").splitlines()]
    assert sorted(e["email"] for e in sent if e["status"] == "sent") == sorted(a for a, _ in people)


def test_evergreen_must_be_true_or_false(project, tipweek):
    path = project / "tips" / "2026" / "2026-11-17-own-the-mistake.md"
    path.write_text(path.read_text("utf-8").replace("tags:", "evergreen: always\ntags:", 1), "utf-8")
    result = tipweek("check")
    assert result.exit_code == 1
    assert "tips/2026/2026-11-17-own-the-mistake.md:4: evergreen must be true or false" in result.stderr
    path.write_text(path.read_text("utf-8").replace("evergreen: always", "evergreen: true"), "utf-8")
    assert tipweek("check").exit_code == 0
