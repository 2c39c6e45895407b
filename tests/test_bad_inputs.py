"""The corpus of bad inputs in tests/fixtures/bad/: each is refused by
`tipweek check` and by the build with its exact place and reason."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, build_site

BAD = FIXTURES / "bad"
CASES = yaml.safe_load((BAD / "cases.yml").read_text("utf-8"))


def place(project: Path, case: str) -> None:
    target = project / CASES[case]["target"]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BAD / case, target)


def check_lines(result, project: Path) -> list[str]:
    text = result.output.replace(str(project) + os.sep, "").replace("Error: ", "")
    return [line for line in text.splitlines() if line and not line.endswith(("file", "files"))]


@pytest.mark.parametrize("case", list(CASES))
def test_check_refuses_with_file_line_and_reason(project, tipweek, case):
    place(project, case)
    result = tipweek("check")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert check_lines(result, project) == CASES[case]["expect"]


@pytest.mark.parametrize("case", list(CASES))
def test_build_stops_on_the_same_error(project, tmp_path, caplog, case):
    from mkdocs.exceptions import Abort

    place(project, case)
    with pytest.raises(Abort):
        build_site(project, tmp_path / "site")
    for line in CASES[case]["expect"]:
        assert line.split(": ", 1)[1] in caplog.text
    assert not (tmp_path / "site" / "feed.xml").exists()


def test_every_corpus_file_is_used():
    assert sorted(p.name for p in BAD.iterdir() if p.name != "cases.yml") == sorted(CASES)


def test_a_10_mb_file_is_refused_without_reading_it(project, tipweek):
    big = project / "tips/2026/2026-12-01-huge.md"
    with open(big, "wb") as out:
        out.write(b"---\ntitle: Huge\ndate: 2026-12-01\ntags: [ownership]\nsummary: x\n---\n")
        out.write(b"word " * 2_000_000)
    result = tipweek("check")
    assert result.exit_code == 1
    assert check_lines(result, project) == [
        "tips/2026/2026-12-01-huge.md:1: file is 10.0 MB; a tip must be under 1 MB (a tip is a few paragraphs)"]


def test_a_symlink_out_of_tips_is_refused(project, tipweek, tmp_path):
    outside = tmp_path / "elsewhere.md"
    outside.write_text("---\ntitle: Outside\ndate: 2026-12-01\ntags: [ownership]\nsummary: x\n---\nSecret.\n")
    (project / "tips/2026/2026-12-01-outside.md").symlink_to(outside)
    result = tipweek("check")
    assert result.exit_code == 1
    assert check_lines(result, project) == [
        "tips/2026/2026-12-01-outside.md:1: symbolic link points outside the tips folder "
        "(copy the tip into tips/ instead of linking it)"]


def test_make_site_stops_on_a_bad_tip(project):
    """`make site` runs `tipweek check` first: the editor sees the same lines and make fails."""
    import subprocess
    import sys

    place(project, "unknown-tag.md")
    tipweek_bin = Path(sys.executable).parent / "tipweek"
    done = subprocess.run([str(tipweek_bin), "check"], cwd=project, capture_output=True, text=True)
    assert done.returncode == 1
    assert CASES["unknown-tag.md"]["expect"][0] in done.stderr
