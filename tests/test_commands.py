"""tipweek new, schedule and the model's lookups, through the command line."""

from __future__ import annotations

import datetime as dt
import json

from tipweek.edition import urls
from tipweek.library.loader import load_library
from tipweek.library.dates import resolve_today
from tipweek.calendar.schedule import published_on, scheduled_after, tip_of_the_week


def test_library_is_sorted_with_lookups(project):
    library = load_library(project / "tips", project / "tips/principles.yml", project)
    dates = [t.date for t in library.tips]
    assert dates == sorted(dates) and len(library) == 7
    assert library.tip("own-the-mistake").title == "Own the mistake"
    assert library.tip("nope") is None
    assert [t.slug for t in library.with_principle("sincerity")] == [
        "draft-unfinished-idea", "say-sorry-like-you-mean-it", "own-the-mistake"]
    assert [t.slug for t in library.in_week(2026, 47)] == ["own-the-mistake"]
    tip = library.tip("own-the-mistake")
    assert tip.week == (2026, 47) and urls.tip(tip.slug) == "tips/own-the-mistake/"


def test_schedule_functions(project):
    library = load_library(project / "tips", project / "tips/principles.yml", project)
    today = dt.date(2026, 11, 22)
    assert [t.slug for t in published_on(library, today)][-1] == "own-the-mistake"
    assert "draft-unfinished-idea" not in [t.slug for t in published_on(library, today)]
    assert [t.slug for t in scheduled_after(library, today)] == ["scheduled-secret-tip"]
    assert tip_of_the_week(library, today).slug == "own-the-mistake"
    assert tip_of_the_week(library, dt.date(2026, 11, 24)).slug == "scheduled-secret-tip"
    assert tip_of_the_week(library, dt.date(2020, 1, 1)) is None


def test_today_sources(monkeypatch):
    monkeypatch.setenv("TIPWEEK_TODAY", "2026-01-02")
    assert resolve_today("2026-03-04") == dt.date(2026, 3, 4)
    assert resolve_today(None) == dt.date(2026, 1, 2)
    monkeypatch.delenv("TIPWEEK_TODAY")
    assert abs((resolve_today(None, "Pacific/Kiritimati") - dt.date.today()).days) <= 1


def test_new_scaffolds_on_the_next_free_week(project, tipweek):
    result = tipweek("new", "Own the follow-up!", "--tag", "follow-through", "--tag", "ownership")
    assert result.exit_code == 0, result.output
    # 2026-11-24 has the scheduled tip, so the next free Tuesday is 2026-12-01
    path = project / "tips/2026/2026-12-01-own-the-follow-up.md"
    assert result.output.strip().endswith("tips/2026/2026-12-01-own-the-follow-up.md")
    text = path.read_text()
    assert text.startswith('---\ntitle: "Own the follow-up!"\ndate: 2026-12-01\ntags: [follow-through, ownership]\n')
    # the scaffold is not a finished tip: check says what is left to do
    check = tipweek("check")
    assert check.exit_code == 1
    assert "tips/2026/2026-12-01-own-the-follow-up.md:5: missing 'summary'" in check.output
    assert "placeholder text from 'tipweek new' is still there" in check.output


def test_new_refuses_to_overwrite_and_unknown_tags(project, tipweek):
    assert tipweek("new", "Same title", "--tag", "ownership", "--date", "2026-12-08").exit_code == 0
    (project / "tips/2027").mkdir()
    (project / "tips/2027/2027-01-05-same-title.md").write_text("Mine.\n")
    again = tipweek("new", "Same title", "--tag", "ownership", "--date", "2027-01-05")
    assert again.exit_code == 2 and "the week of 5 January 2027 already has a tip" in again.output
    assert (project / "tips/2027/2027-01-05-same-title.md").read_text() == "Mine.\n"
    bad = tipweek("new", "Another", "--tag", "ownershp")
    assert bad.exit_code == 2 and "unknown principle 'ownershp' (did you mean 'ownership'?)" in bad.output


def test_help_shows_examples(tipweek):
    from click.testing import CliRunner
    from tipweek.cli.main import main

    for command in ("check", "new", "schedule", "build", "serve", "feed", "email", "send"):
        result = CliRunner(catch_exceptions=False).invoke(main, [command, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.output and f"tipweek {command}" in result.output


def test_the_readme_names_the_commands_that_take_today():
    import re
    from pathlib import Path

    from click.testing import CliRunner
    from tipweek.cli.main import main

    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    said = re.search(r"The commands that depend on the day \((.*?)\) take `--today", readme, re.S).group(1)
    named = re.findall(r"`(\w+)`", said)
    for command in main.commands:
        takes = "--today" in CliRunner().invoke(main, [command, "--help"]).output
        assert takes == (command in named), command


def test_schedule_text(tipweek):
    result = tipweek("schedule", "--weeks", "4")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "published   5 tips" in out
    assert "this week   2026-11-17  Own the mistake" in out
    assert "2026-11-24  A scheduled tip  [scheduled-secret-tip]" in out
    assert "drafts      1" in out
    assert "empty weeks 2026-12-01, 2026-12-08, 2026-12-15" in out
    assert "runs dry    2026-12-01" in out


def test_schedule_shows_the_calendar_when_a_tip_has_a_problem(project, tipweek):
    # The checker's hint for two tips in one week says "tipweek schedule shows them" (the free weeks).
    front = "---\ntitle: {}\ndate: 2026-12-01\ntags: [ownership]\nsummary: One sentence.\n---\nA body.\n"
    (project / "tips/2026/2026-12-01-first-of-two.md").write_text(front.format("First of two"), "utf-8")
    (project / "tips/2026/2026-12-01-second-of-two.md").write_text(front.format("Second of two"), "utf-8")
    (project / "tips/2026/2026-12-08-bad-tag.md").write_text(
        front.format("Bad tag").replace("2026-12-01", "2026-12-08").replace("[ownership]", "[ownershp]"), "utf-8")
    result = tipweek("schedule", "--weeks", "4")
    assert result.exit_code == 1
    assert ("tips/2026/2026-12-01-first-of-two.md:1: the week of 1 December 2026 already has a tip: "
            "tips/2026/2026-12-01-second-of-two.md (move one to a free week (tipweek schedule shows them) "
            "or mark it draft: true)") in result.stderr.splitlines()
    assert "tips/2026/2026-12-08-bad-tag.md:4: unknown tag 'ownershp' (did you mean 'ownership'?)" in result.stderr
    assert result.stderr.splitlines()[-1] == "3 problems in 3 files"
    out = result.stdout
    assert "this week   2026-11-17  Own the mistake" in out
    assert "2026-12-01  First of two  [first-of-two]" in out and "2026-12-01  Second of two  [second-of-two]" in out
    assert "empty weeks 2026-12-08, 2026-12-15" in out  # the bad-tag tip did not load: its week is free
    data = json.loads(tipweek("schedule", "--json").stdout)
    assert [t["slug"] for t in data["scheduled"]] == ["scheduled-secret-tip", "first-of-two", "second-of-two"]


def test_schedule_json(tipweek):
    result = tipweek("schedule", "--json", "--today", "2026-11-24")
    data = json.loads(result.output)
    assert data["today"] == "2026-11-24"
    assert data["published"][-1]["slug"] == "scheduled-secret-tip"
    assert data["scheduled"] == []
    assert data["runs_dry"] == "2026-12-01"


def test_bad_today_is_a_usage_error(tipweek):
    result = tipweek("schedule", "--today", "next tuesday")
    assert result.exit_code == 2
    assert "'next tuesday' is not a date written YYYY-MM-DD" in result.output


def test_missing_config_file(tmp_path):
    from click.testing import CliRunner
    from tipweek.cli.main import main

    result = CliRunner(catch_exceptions=False).invoke(main, ["check", "-f", str(tmp_path / "mkdocs.yml")])
    assert result.exit_code == 1 and "not found" in result.output and "Traceback" not in result.output


def test_two_new_tips_in_a_row_take_two_weeks(project, tipweek):
    """The first scaffold is unfinished (no summary yet), but its week is taken."""
    first = tipweek("new", "Own the follow-up", "--tag", "ownership")
    second = tipweek("new", "Say what happens next", "--tag", "ownership")
    assert first.output.strip().endswith("tips/2026/2026-12-01-own-the-follow-up.md")
    assert second.output.strip().endswith("tips/2026/2026-12-08-say-what-happens-next.md")


def test_a_draft_holds_its_week(project, tipweek):
    draft = project / "tips/2026/2026-12-01-idea.md"
    draft.write_text("---\ntitle: Idea\ndate: 2026-12-01\ntags: [ownership]\nsummary: Later.\ndraft: true\n"
                     "---\nSome day.\n")
    assert tipweek("check").exit_code == 0
    result = tipweek("new", "Next one", "--tag", "ownership")
    assert result.output.strip().endswith("tips/2026/2026-12-08-next-one.md")


def test_new_date_on_a_taken_week_is_refused_with_the_next_free_one(project, tipweek):
    result = tipweek("new", "Too late", "--tag", "ownership", "--date", "2026-11-24")
    assert result.exit_code == 2
    assert ("the week of 24 November 2026 already has a tip (" in result.output
            and "2026-11-24-scheduled-secret-tip.md); the next free week: use --date 2026-12-01" in result.output)
    assert not list(project.glob("tips/*/*too-late.md"))


def test_new_date_in_the_past_is_refused(project, tipweek):
    result = tipweek("new", "Old news", "--tag", "ownership", "--date", "2026-11-10")
    assert result.exit_code == 2
    assert ("2026-11-10 is in the past; the next free week is the one of 1 December 2026: "
            "use --date 2026-12-01") in result.output


def test_new_date_on_another_weekday_is_refused(project, tipweek):
    result = tipweek("new", "Thursday", "--tag", "ownership", "--date", "2027-02-04")
    assert result.exit_code == 2
    assert "2027-02-04 is a Thursday; tips go out on Tuesdays: use --date 2027-02-02" in result.output


def test_new_quotes_a_title_with_a_hash_and_it_survives(project, tipweek):
    from tipweek.library.loader import load_library

    result = tipweek("new", 'Be the #1 reason they "come back"', "--tag", "ownership")
    path = project / result.output.strip()[result.output.index("tips/"):]
    text = path.read_text()
    assert 'title: "Be the #1 reason they \\"come back\\""\n' in text
    front, body = text.split("---\n")[1:]
    assert "  #" not in front and "\n#" not in front  # nothing YAML would read as a comment
    path.write_text("---\n" + front.replace('summary: ""', "summary: One sentence.") + "---\nA real body.\n")
    assert tipweek("check").exit_code == 0
    library = load_library(project / "tips", project / "tips/principles.yml", project)
    assert library.tip("be-the-1-reason-they-come-back").title == 'Be the #1 reason they "come back"'


def test_schedule_says_days_not_zero_weeks(tipweek):
    result = tipweek("schedule", "--today", "2026-11-25")
    assert "runs dry    2026-12-01  (the first publish day with no tip, 6 days away)" in result.output


def test_a_bad_today_in_the_environment_is_one_line(tipweek, monkeypatch):
    monkeypatch.setenv("TIPWEEK_TODAY", "garbage")
    result = tipweek("schedule")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "TIPWEEK_TODAY: 'garbage' is not a date written YYYY-MM-DD" in result.output


def test_check_takes_today_like_every_command(project, tipweek):
    """A Thursday tip scheduled after --today is refused; on or after its date it is history."""
    tip = project / "tips/2026/2026-11-24-scheduled-secret-tip.md"
    thursday = project / "tips/2026/2026-11-26-scheduled-secret-tip.md"
    thursday.write_text(tip.read_text().replace("2026-11-24", "2026-11-26"))
    tip.unlink()
    result = tipweek("check", "--today", "2026-11-22")
    assert result.exit_code == 1
    assert "2026-11-26 is a Thursday" in result.output
    assert tipweek("check", "--today", "2026-11-26").exit_code == 0
    assert "--today" in tipweek("check", "--help").output
