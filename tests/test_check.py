"""`tipweek check`: every rule names the file, the line and the fix."""

from __future__ import annotations

import pytest

GOOD_FRONT = "title: A good title\ndate: 2026-12-01\ntags: [ownership]\nsummary: One sentence.\n"
BODY = "A body with a situation and a fix.\n"


def tip(front: str = GOOD_FRONT, body: str = BODY) -> str:
    return f"---\n{front}---\n{body}"


def test_clean_library_passes(tipweek):
    result = tipweek("check")
    assert result.exit_code == 0, result.output
    assert "ok: 7 tips, 4 principles" in result.output


# (file under tips/, its content, the exact line `tipweek check` must print)
CASES = {
    "no front matter": (
        "2026/2026-12-01-x.md", "Just a body.\n",
        "tips/2026/2026-12-01-x.md:1: no front matter (start the file with a '---' line, then title, "
        "date, tags and summary, then another '---' line)"),
    "unclosed front matter": (
        "2026/2026-12-01-x.md", "---\ntitle: A\ndate: 2026-12-01\n\nBody\n",
        "tips/2026/2026-12-01-x.md:1: front matter is not closed (add a '---' line after the last key)"),
    "yaml error with its line": (
        "2026/2026-12-01-x.md", tip("title: A good title\ndate: 2026-12-01\ntags: [ownership\nsummary: x\n"),
        "tips/2026/2026-12-01-x.md:4: close the list with ']', or put the value in quotes (the YAML reader says: "
        "while parsing a flow sequence"),
    "missing title": (
        "2026/2026-12-01-x.md", tip("date: 2026-12-01\ntags: [ownership]\nsummary: One.\n"),
        "tips/2026/2026-12-01-x.md:1: missing 'title' (add e.g. title: Own the mistake)"),
    "missing summary": (
        "2026/2026-12-01-x.md", tip("title: T\ndate: 2026-12-01\ntags: [ownership]\n"),
        "tips/2026/2026-12-01-x.md:1: missing 'summary' (add one sentence that says what the tip teaches)"),
    "title of wrong type": (
        "2026/2026-12-01-x.md", tip("title: [a, b]\ndate: 2026-12-01\ntags: [ownership]\nsummary: One.\n"),
        "tips/2026/2026-12-01-x.md:2: 'title' must be text, not a list"),
    "tags as a string": (
        "2026/2026-12-01-x.md", tip("title: T\ndate: 2026-12-01\ntags: ownership\nsummary: One.\n"),
        "tips/2026/2026-12-01-x.md:4: tags must be a list of principle slugs (e.g. tags: [ownership, empathy])"),
    "date not YYYY-MM-DD": (
        "2026/2026-12-01-x.md", tip("title: T\ndate: 1 Dec 2026\ntags: [ownership]\nsummary: One.\n"),
        "tips/2026/2026-12-01-x.md:3: write the date as YYYY-MM-DD, not '1 Dec 2026' (e.g. date: 2026-11-24)"),
    "impossible date": (
        "2026/2026-02-30-x.md", tip("title: T\ndate: 2026-02-30\ntags: [ownership]\nsummary: One.\n"),
        "tips/2026/2026-02-30-x.md:3: date 2026-02-30: there is no 30 February 2026 (check the day and the month)"),
    "bad file name": (
        "2026/own the mistake.md", tip(),
        "tips/2026/own the mistake.md:1: file name must be YYYY-MM-DD-slug.md"),
    "file name date differs": (
        "2026/2026-12-08-x.md", tip(),
        "tips/2026/2026-12-08-x.md:3: date 2026-12-01 differs from the file name's 2026-12-08 "
        "(rename the file or fix the date)"),
    "wrong year folder": (
        "2025/2026-12-01-x.md", tip(),
        "tips/2025/2026-12-01-x.md:1: a tip dated 2026 belongs in the folder tips/2026/ (move the file)"),
    "unknown tag": (
        "2026/2026-12-01-x.md", tip("title: T\ndate: 2026-12-01\ntags: [ownershp]\nsummary: One.\n"),
        "tips/2026/2026-12-01-x.md:4: unknown tag 'ownershp' (did you mean 'ownership'?)"),
    "unknown key": (
        "2026/2026-12-01-x.md", tip("tilte: T\ntitle: T\ndate: 2026-12-01\ntags: [ownership]\nsummary: One.\n"),
        "tips/2026/2026-12-01-x.md:2: unknown key 'tilte' (did you mean 'title'?)"),
    "title with a line break": (
        "2026/2026-12-01-x.md", tip('title: "Two\\nlines"\ndate: 2026-12-01\ntags: [ownership]\nsummary: One.\n'),
        "tips/2026/2026-12-01-x.md:2: title must be one line"),
    "title too long": (
        "2026/2026-12-01-x.md", tip(f"title: {'x' * 101}\ndate: 2026-12-01\ntags: [ownership]\nsummary: One.\n"),
        "tips/2026/2026-12-01-x.md:2: title is 101 characters; at most 100 (move detail into the summary)"),
    "summary too long": (
        "2026/2026-12-01-x.md", tip(f"title: T\ndate: 2026-12-01\ntags: [ownership]\nsummary: {'y' * 301}\n"),
        "tips/2026/2026-12-01-x.md:5: summary is 301 characters; at most 300 (one sentence is enough)"),
    "empty body": (
        "2026/2026-12-01-x.md", tip(body="\n  \n"),
        "tips/2026/2026-12-01-x.md:7: the tip has no body (write the tip below the closing '---')"),
    "duplicate slug": (
        "2026/2026-12-01-own-the-mistake.md", tip(),
        "tips/2026/2026-12-01-own-the-mistake.md:1: slug 'own-the-mistake' is already used by "
        "tips/2026/2026-11-17-own-the-mistake.md"),
    "two tips in one week": (
        "2026/2026-11-19-another.md", tip(GOOD_FRONT.replace("2026-12-01", "2026-11-19")),
        "tips/2026/2026-11-19-another.md:1: the week of 17 November 2026 already has a tip: "
        "tips/2026/2026-11-17-own-the-mistake.md"),
    "not utf-8": (
        "2026/2026-12-01-x.md", tip(body="line one\ncaf\xe9\n").encode("latin-1"),
        "tips/2026/2026-12-01-x.md:8: file is not valid UTF-8 (byte 0xe9) (save the file as UTF-8)"),
    "placeholder left in": (
        "2026/2026-12-01-x.md", tip(body="Real text.\n\n**Takeaway:** One sentence the reader should remember.\n"),
        "tips/2026/2026-12-01-x.md:9: placeholder text from 'tipweek new' is still there"),
    "a ' #' in the title": (
        "2026/2026-12-01-x.md", tip("title: Be the #1 reason they come back\ndate: 2026-12-01\ntags: [ownership]\n"
                                    "summary: One.\n"),
        "tips/2026/2026-12-01-x.md:2: the text after ' #' would be cut off: YAML reads it as a comment "
        '(put the value in quotes: title: "Be the #1 reason they come back")'),
    "a title that starts with '#'": (
        "2026/2026-12-01-x.md", tip("title: #1 rule\ndate: 2026-12-01\ntags: [ownership]\nsummary: One.\n"),
        "tips/2026/2026-12-01-x.md:2: the text after ' #' would be cut off: YAML reads it as a comment "
        '(put the value in quotes: title: "#1 rule")'),
    "a number for a title": (
        "2026/2026-12-01-x.md", tip("title: 2026\ndate: 2026-12-01\ntags: [ownership]\nsummary: One.\n"),
        "tips/2026/2026-12-01-x.md:2: 'title' must be text (put it in quotes)"),
    "a scheduled tip on a Thursday": (
        "2027/2027-02-04-x.md", tip(GOOD_FRONT.replace("2026-12-01", "2027-02-04")),
        "tips/2027/2027-02-04-x.md:3: 2027-02-04 is a Thursday; tips go out on Tuesdays: use 2027-02-02 "
        "(change the date and the file name)"),
    "a misspelled tag in a block list": (
        "2026/2026-12-01-x.md", tip("title: T\ndate: 2026-12-01\ntags:\n  - ownership\n  - sincerty\nsummary: One.\n"),
        "tips/2026/2026-12-01-x.md:6: unknown tag 'sincerty' (did you mean 'sincerity'?)"),
    "saved as .MD": (
        "2026/2026-12-01-x.MD", tip(),
        "tips/2026/2026-12-01-x.MD:1: this looks like a tip but is not read: a tip's file name ends in .md "
        "(rename it 2026-12-01-x.md)"),
    "saved as .md.txt": (
        "2026/2026-12-01-x.md.txt", tip(),
        "tips/2026/2026-12-01-x.md.txt:1: this looks like a tip but is not read: a tip's file name ends in .md "
        "(rename it 2026-12-01-x.md)"),
    "front matter in a file without a date": (
        "2026/draft.txt", tip(),
        "tips/2026/draft.txt:1: this looks like a tip but is not read: a tip's file name ends in .md "
        "(rename it draft.md)"),
    "script in the body": (
        "2026/2026-12-01-x.md", tip(body="Hello\n<script>alert(1)</script>\n"),
        "tips/2026/2026-12-01-x.md:8: raw <script> is not allowed in a tip"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_each_problem_names_file_line_and_fix(project, tipweek, case):
    name, content, expected = CASES[case]
    path = project / "tips" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = tipweek("check")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert any(line.startswith(expected) for line in lines), result.output
    assert lines[-1].endswith("file") or lines[-1].endswith("files")


def test_all_problems_reported_in_one_pass(project, tipweek):
    for number, (name, content, _) in enumerate(CASES.values()):
        if name.startswith("2026/2026-12-01-x"):
            name = name.replace("-x.md", f"-case{number}.md")
        path = project / "tips" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    result = tipweek("check")
    assert result.exit_code == 1
    files_with_errors = {line.split(":")[0] for line in result.output.splitlines() if line.startswith("tips/")}
    assert len(files_with_errors) >= 20


def test_github_format_prints_annotations(project, tipweek):
    (project / "tips/2026/2026-12-01-x.md").write_text(
        tip("title: T\ndate: 2026-12-01\ntags: [ownershp]\nsummary: One.\n"), encoding="utf-8")
    result = tipweek("check", "--format", "github")
    assert result.exit_code == 1
    assert ("::error file=tips/2026/2026-12-01-x.md,line=4,title=tipweek check::"
            "unknown tag 'ownershp' (did you mean 'ownership'?)") in result.output.splitlines()


def test_json_format_for_scripts(project, tipweek):
    import json

    (project / "tips/2026/2026-12-01-x.md").write_text(tip(body=""), encoding="utf-8")
    result = tipweek("check", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    assert report["errors"] == [{"path": "tips/2026/2026-12-01-x.md", "line": 7,
                                 "message": "the tip has no body",
                                 "hint": "write the tip below the closing '---'"}]


def test_principles_file_problems(project, tipweek):
    (project / "tips/principles.yml").write_text(
        "ownership:\n  name: Ownership\n  definition: D\n  description: L\n"
        "ownership:\n  name: Again\n  definition: D\n  description: L\n", encoding="utf-8")
    result = tipweek("check")
    assert result.exit_code == 1
    assert "tips/principles.yml:5: principle 'ownership' is defined twice (keep one entry per slug)" in result.output


def test_broken_config_option_names_its_line(project, tipweek):
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("feed_length: 3", "feed_length: many"))
    result = tipweek("check")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    line = next(n for n, text in enumerate(config.read_text().splitlines(), 1) if "feed_length" in text)
    assert f"mkdocs.yml:{line}: " in result.output and "feed_length" in result.output


def test_files_that_are_not_tips_stay_ignored(project, tipweek):
    (project / "tips/.DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (project / "tips/notes.txt").write_text("Ideas: a tip about refunds.\n", encoding="utf-8")
    (project / "tips/2026/README").write_text("The tips of 2026.\n", encoding="utf-8")
    result = tipweek("check")
    assert result.exit_code == 0, result.output


def test_old_tips_may_be_on_any_weekday(project, tipweek):
    """An importer brings in old blog posts on their own days: history is not refused."""
    (project / "tips/2026/2026-10-08-imported.md").write_text(  # a Thursday, before today
        tip(GOOD_FRONT.replace("2026-12-01", "2026-10-08")), encoding="utf-8")
    result = tipweek("check")
    assert result.exit_code == 0, result.output


def test_the_weekday_rule_follows_the_configured_weekday(project, tipweek):
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("      author: Fixture Editor\n",
                                                 "      author: Fixture Editor\n      weekday: thursday\n"))
    (project / "tips/2026/2026-11-24-scheduled-secret-tip.md").rename(project / "tips/2026/2026-11-26-moved.md")
    moved = project / "tips/2026/2026-11-26-moved.md"
    moved.write_text(moved.read_text().replace("2026-11-24", "2026-11-26"))
    (project / "tips/2026/2026-12-01-x.md").write_text(tip(), encoding="utf-8")
    result = tipweek("check")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "tips/2026/2026-12-01-x.md:3: 2026-12-01 is a Tuesday; tips go out on Thursdays: use 2026-12-03 "
        "(change the date and the file name)")
    assert "2026-11-26-moved" not in result.output


def test_a_broken_vocabulary_is_reported_first_and_alone(project, tipweek):
    """One slip in principles.yml is one line, first; no flood of unknown tags."""
    vocabulary = project / "tips/principles.yml"
    vocabulary.write_text(vocabulary.read_text().replace("responsiveness:", "Responsiveness:"))
    (project / "tips/2026/2026-12-01-x.md").write_text(tip(body=""), encoding="utf-8")
    result = tipweek("check")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "tips/principles.yml:7: principle slug 'Responsiveness' is not lowercase words joined by hyphens",
        "tips/2026/2026-12-01-x.md:7: the tip has no body (write the tip below the closing '---')",
        "2 problems in 2 files"]


def test_the_build_lists_the_vocabulary_first_too(project, tmp_path, caplog):
    from mkdocs.exceptions import Abort

    from conftest import build_site

    vocabulary = project / "tips/principles.yml"
    vocabulary.write_text(vocabulary.read_text().replace("responsiveness:", "Responsiveness:"))
    (project / "tips/2026/2026-12-01-x.md").write_text(tip(body=""), encoding="utf-8")
    with pytest.raises(Abort):
        build_site(project, tmp_path / "site")
    assert caplog.text.index("principle slug 'Responsiveness'") < caplog.text.index("the tip has no body")
    assert "unknown tag" not in caplog.text


def test_a_control_character_that_python_counts_as_a_line_end_is_still_refused(project, tipweek):
    """U+001E is a line boundary to str.splitlines, so a scan by lines missed it (found by hypothesis)."""
    path = project / "tips/2026/2026-11-17-own-the-mistake.md"
    path.write_text(path.read_text() + "One more line\x1e with a record separator.\n")
    result = tipweek("check")
    assert result.exit_code == 1
    assert "the body contains the control character U+001E" in result.output


def test_two_tips_in_one_week_are_reported_on_each(project, tipweek):
    """A pull request adds one of them: the annotation must land on a file it changed, whichever sorts first."""
    (project / "tips/2026/2026-11-12-added-in-the-pr.md").write_text(
        tip(GOOD_FRONT.replace("2026-12-01", "2026-11-12")), encoding="utf-8")  # the week of 10 November
    result = tipweek("check", "--format", "github")
    assert result.exit_code == 1
    hint = "(move one to a free week (tipweek schedule shows them) or mark it draft: true)"
    assert result.output.splitlines() == [
        "::error file=tips/2026/2026-11-10-call-back-when-promised.md,line=1,title=tipweek check::the week of "
        f"10 November 2026 already has a tip: tips/2026/2026-11-12-added-in-the-pr.md {hint}",
        "::error file=tips/2026/2026-11-12-added-in-the-pr.md,line=1,title=tipweek check::the week of "
        f"10 November 2026 already has a tip: tips/2026/2026-11-10-call-back-when-promised.md {hint}"]


def test_a_date_off_the_weekday_is_told_a_week_that_is_free(project, tipweek):
    """2026-11-26 is the Thursday of the week the scheduled tip of Tuesday 24 November holds, and
    the week after has a tip too (an unfinished one counts): the hint names 8 December."""
    (project / "tips/2026/2026-12-01-unfinished.md").write_text(tip(body=""), encoding="utf-8")
    (project / "tips/2026/2026-11-26-x.md").write_text(tip(GOOD_FRONT.replace("2026-12-01", "2026-11-26")),
                                                       encoding="utf-8")
    result = tipweek("check")
    assert result.exit_code == 1
    assert "tips/2026/2026-11-26-x.md:3: 2026-11-26 is a Thursday; tips go out on Tuesdays: use 2026-12-08 " \
           "(the week of 24 November 2026 has tips/2026/2026-11-24-scheduled-secret-tip.md; change the date " \
           "and the file name)" in result.output.splitlines()


def test_a_level_one_heading_in_a_tip_is_a_warning_with_its_line_and_fix(project, tipweek):
    """The tip's title is its one level-1 heading; a '# ' (or text underlined with
    '===') in the body is reported with its line and the fix, as a warning: the
    site puts it below the title anyway, so the check still passes."""
    import json

    path = project / "tips/2026/2026-12-01-x.md"
    path.write_text(tip(body="A first paragraph.\n\n# What to say\n\nSay it.\n\n```text\n# a comment in code\n```\n\n"
                        "Then this\n===\n\n## Fine as it is\n"), encoding="utf-8")
    result = tipweek("check")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "tips/2026/2026-12-01-x.md:9: warning: 'What to say' is a level-1 heading; in a tip only the title is one, "
        "and the tip's headings go below it (write it '## What to say')",
        "tips/2026/2026-12-01-x.md:17: warning: 'Then this' is a level-1 heading; in a tip only the title is one, "
        "and the tip's headings go below it (underline it with '---' instead of '===', or write it '## ' + the heading)",
        "ok: 8 tips, 4 principles, 2 warnings"]
    github = tipweek("check", "--format", "github")
    assert github.exit_code == 0
    assert github.output.splitlines()[0].startswith(
        "::warning file=tips/2026/2026-12-01-x.md,line=9,title=tipweek check::'What to say' is a level-1 heading")
    report = json.loads(tipweek("check", "--format", "json").output)
    assert report["ok"] is True and report["errors"] == []
    assert [(w["line"], w["hint"]) for w in report["warnings"]][0] == (9, "write it '## What to say'")
    # With an error in another tip, the check fails for the error and still shows the warning.
    (project / "tips/2026/2026-12-08-y.md").write_text(
        tip(GOOD_FRONT.replace("2026-12-01", "2026-12-08").replace("[ownership]", "[ownershp]")), encoding="utf-8")
    result = tipweek("check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("tips/2026/2026-12-01-x.md:9: warning: 'What to say' is a level-1 heading")
    assert "tips/2026/2026-12-08-y.md:4: unknown tag 'ownershp' (did you mean 'ownership'?)" in lines
    assert lines[-1] == "1 problem in 1 file"


def test_a_warning_in_a_tip_with_an_error_is_shown_with_the_error_in_every_format(project, tipweek):
    import json

    (project / "tips/2026/2026-12-01-x.md").write_text(
        tip(GOOD_FRONT.replace("[ownership]", "[ownershp]"), "A first paragraph.\n\n# What to say\n\nSay it.\n"),
        encoding="utf-8")
    warning = ("tips/2026/2026-12-01-x.md:9: warning: 'What to say' is a level-1 heading; in a tip only the title "
               "is one, and the tip's headings go below it (write it '## What to say')")
    error = "tips/2026/2026-12-01-x.md:4: unknown tag 'ownershp' (did you mean 'ownership'?)"
    text = tipweek("check")
    assert text.exit_code == 1
    assert text.output.splitlines() == [warning, error, "1 problem in 1 file"]
    github = tipweek("check", "--format", "github")
    assert github.exit_code == 1
    assert [line.split("::")[1] for line in github.output.splitlines()] == [
        "warning file=tips/2026/2026-12-01-x.md,line=9,title=tipweek check",
        "error file=tips/2026/2026-12-01-x.md,line=4,title=tipweek check"]
    result = tipweek("check", "--format", "json")
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["ok"] is False
    assert [(e["line"], e["message"]) for e in report["errors"]] == [(4, "unknown tag 'ownershp'")]
    assert [(w["path"], w["line"], w["hint"]) for w in report["warnings"]] == [
        ("tips/2026/2026-12-01-x.md", 9, "write it '## What to say'")]
