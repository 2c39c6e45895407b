"""A tip's links and images: `tipweek check` finds, with file:line and a fix,
what `tipweek build --strict` will refuse on the day it builds the tip (a
scheduled tip's on its own date), and the build says it the same way."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import FIXTURES, TODAY
from tipweek.cli.main import main

LINKS = FIXTURES / "links"
CASES = yaml.safe_load((LINKS / "cases.yml").read_text("utf-8"))
TIPWEEK = Path(sys.executable).parent / "tipweek"
WORKSHOP = "broken-link-and-image-in-a-scheduled-tip.md"


def place(project: Path, case: str) -> Path:
    target = project / CASES[case]["target"]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(LINKS / case, target)
    return target


def tip_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("tips/")]


def build(project: Path, day: str, site: Path):
    return CliRunner(catch_exceptions=False).invoke(
        main, ["build", "-f", str(project / "mkdocs.yml"), "--strict", "--today", day, "-d", str(site)])


def built_problems(output: str) -> list[str]:
    return [line.removeprefix("WARNING -  ") for line in output.splitlines() if line.startswith("WARNING -  ")]


def test_every_fixture_is_a_case():
    assert sorted(p.name for p in LINKS.iterdir() if p.name != "cases.yml") == sorted(CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_check_finds_what_the_build_will_refuse(project, tipweek, case):
    place(project, case)
    result = tipweek("check")
    expect = CASES[case]["expect"]
    assert result.exit_code == (1 if expect else 0), result.output
    assert tip_lines(result.output) == expect
    assert "Traceback" not in result.output


@pytest.mark.parametrize("case", [case for case in CASES if CASES[case]["built_on"]])
def test_the_build_on_the_tips_day_refuses_the_same(project, tmp_path, case):
    place(project, case)
    day = str(CASES[case]["built_on"])
    result = build(project, day, tmp_path / "site")
    expect = CASES[case]["expect"]
    assert result.exit_code == (1 if expect else 0), result.output
    assert built_problems(result.output) == expect
    if expect:
        count = f"{len(expect)} problem{'s' * (len(expect) != 1)} in 1 file"
        assert result.output.splitlines()[-1].startswith(f"{count}: the site was not built (")
        assert not (tmp_path / "site").exists()


def test_the_issue_case_passes_once_fixed_and_builds_on_its_day(project, tipweek, tmp_path):
    """The issue's tip: once the image is added and the link fixed, check is
    happy and so is the build on 2 February 2027."""
    tip = place(project, WORKSHOP)
    assert tipweek("check").exit_code == 1
    (project / "docs/images").mkdir()
    (project / "docs/images/workshop.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    tip.write_text(tip.read_text("utf-8").replace("no-such-tip.md", "call-back-when-promised.md"), "utf-8")
    result = tipweek("check")
    assert result.exit_code == 0, result.output
    assert build(project, "2027-02-02", tmp_path / "site").exit_code == 0
    page = (tmp_path / "site/tips/workshop-follow-up/index.html").read_text("utf-8")
    assert 'src="../../images/workshop.png"' in page


def test_a_tip_linking_to_one_due_after_it(project, tipweek):
    """A scheduled tip may link to one due before it, not to one due after it."""
    place(project, "scheduled-tip-links-to-an-earlier-scheduled-one.md")  # 2026-12-01
    earlier = project / "tips/2026/2026-11-24-scheduled-secret-tip.md"
    later = project / "tips/2026/2026-12-15-scheduled-secret-tip.md"
    earlier.rename(later)
    later.write_text(later.read_text("utf-8").replace("2026-11-24", "2026-12-15"), "utf-8")
    result = tipweek("check")
    assert result.exit_code == 1
    assert tip_lines(result.output) == [
        "tips/2026/2026-12-01-say-when-you-will-call.md:10: link 'scheduled-secret-tip.md' goes to "
        "'A scheduled tip', which is not out until 15 December 2026 "
        "(date this tip 2026-12-15 or later, or remove the link)"]


def test_anchors_are_checked_when_mkdocs_yml_asks(project, tipweek, tmp_path):
    config = project / "mkdocs.yml"
    config.write_text(config.read_text("utf-8") + "validation:\n  anchors: warn\n", "utf-8")
    tip = place(project, "links-to-a-tip-by-its-file-name.md")
    text = tip.read_text("utf-8").replace("2026-11-17-own-the-mistake.md", "own-the-mistake.md#the-fix")
    tip.write_text(text.replace("**Takeaway:**", "See [below](#what-to-say).\n\n**Takeaway:**"), "utf-8")
    result = tipweek("check")
    assert result.exit_code == 1
    hint = "(link to a heading by its id: its words in lowercase, joined by hyphens)"
    expect = [
        "tips/2026/2026-12-01-own-the-delay.md:8: link 'own-the-mistake.md#the-fix': the tip "
        f"tips/2026/2026-11-17-own-the-mistake.md has no heading or id 'the-fix' {hint}",
        f"tips/2026/2026-12-01-own-the-delay.md:10: link '#what-to-say': this tip has no heading or id "
        f"'what-to-say' {hint}"]
    assert tip_lines(result.output) == expect
    built = build(project, "2026-12-01", tmp_path / "site")
    assert built.exit_code == 1
    assert sorted(built_problems(built.output)) == sorted(expect)


def test_link_problems_in_json_and_github_formats(project, tipweek):
    place(project, WORKSHOP)
    report = json.loads(tipweek("check", "--format", "json").output)
    assert report["ok"] is False
    assert [(e["path"], e["line"]) for e in report["errors"]] == [
        ("tips/2027/2027-02-02-workshop-follow-up.md", 9), ("tips/2027/2027-02-02-workshop-follow-up.md", 11)]
    annotations = tipweek("check", "--format", "github").output.splitlines()
    assert annotations[1].startswith("::error file=tips/2027/2027-02-02-workshop-follow-up.md,line=11,"
                                     "title=tipweek check::image '../images/workshop.png' is not in the site")


def test_a_library_without_local_links_does_not_load_mkdocs(project, tipweek, monkeypatch):
    """check stays fast: MkDocs' machinery only for a tip that has a relative link or image."""
    mistake = project / "tips/2026/2026-11-17-own-the-mistake.md"
    mistake.write_text(mistake.read_text("utf-8").replace("../call-back-when-promised/",
                                                          "https://tips.example.org/tips/call-back-when-promised/"))
    assert tipweek("check").exit_code == 0  # (remembers mkdocs.yml)
    import mkdocs.structure.files

    monkeypatch.setattr(mkdocs.structure.files, "get_files", lambda *a, **k: pytest.fail("MkDocs was loaded"))
    result = tipweek("check")
    assert result.exit_code == 0, result.output


def test_a_failed_strict_build_in_a_pipe(project):
    """What CI shows: the tip's file and line, one last line with the count,
    the real site folder, and no colour codes in a pipe."""
    place(project, WORKSHOP)
    env = {**os.environ, "TIPWEEK_TODAY": TODAY, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("NO_COLOR", None)
    done = subprocess.run([str(TIPWEEK), "build", "--strict", "--today", "2027-02-02"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    err = done.stderr
    assert "\x1b[" not in err
    assert built_problems(err) == CASES[WORKSHOP]["expect"]
    assert "tips/workshop-follow-up.md" not in err
    assert f"Building documentation to directory: {project.resolve() / 'site'}" in err
    assert ".site.partial" not in err
    assert err.splitlines()[-1] == "2 problems in 1 file: the site was not built (site/ is as it was)"


def test_config_file_help_says_where_it_is_looked_for(tipweek):
    result = CliRunner().invoke(main, ["check", "--help"])
    text = re.sub(r"\s+", " ", result.output)
    assert "./mkdocs.yml" not in text
    assert "mkdocs.yml in this folder, else in the nearest folder above it" in text


def test_the_answer_is_remembered_until_something_it_depends_on_changes(project, tipweek, monkeypatch):
    """The next check does not start MkDocs again for the same tips; an edit is seen at once."""
    import mkdocs.structure.files

    tip = place(project, WORKSHOP)
    first = tipweek("check")
    assert tip_lines(first.output) == CASES[WORKSHOP]["expect"]
    real = mkdocs.structure.files.get_files
    loads = []
    monkeypatch.setattr(mkdocs.structure.files, "get_files", lambda *a, **k: loads.append(1) or real(*a, **k))
    assert tipweek("check").output == first.output
    assert loads == []
    (project / "docs/images").mkdir()
    (project / "docs/images/workshop.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # docs/ changed
    assert tip_lines(tipweek("check").output) == CASES[WORKSHOP]["expect"][:1]
    tip.write_text(tip.read_text("utf-8").replace("title:", "# the workshop of January\ntitle:"), "utf-8")  # lines moved
    assert tip_lines(tipweek("check").output) == [CASES[WORKSHOP]["expect"][0].replace(":9:", ":10:")]
    assert len(loads) == 2
