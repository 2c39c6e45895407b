"""A build or a feed write killed half-way leaves the previous outputs whole;
two builds of the same tips on the same day are byte-identical."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import TODAY, build_site

# Run tipweek in a child that signals on a pipe when it reaches `point`, then
# blocks there until the test kills it with SIGKILL: a crash at a known place,
# without sleeping.
CHILD = textwrap.dedent("""
    import os, sys, threading
    fd = int(sys.argv[1]); point = sys.argv[2]
    def stop_here(*args, **kwargs):
        os.write(fd, b"!")
        threading.Event().wait()
    if point == "fsync":          # a feed file written to its temp name, not yet renamed
        import tipweek.outputs.atomic
        tipweek.outputs.atomic.os = type("os", (), {**{k: getattr(os, k) for k in dir(os) if not k.startswith("__")},
                                            "fsync": stop_here})
    elif point == "post_build":   # pages written, feeds about to be
        import tipweek.outputs.feeds
        tipweek.outputs.feeds.write_feeds = stop_here
    from tipweek.cli.main import main
    main(sys.argv[3:])
""")


def run_and_kill(point: str, args: list[str], cwd: Path) -> None:
    read_end, write_end = os.pipe()
    env = {**os.environ, "TIPWEEK_TODAY": TODAY, "NO_MKDOCS_2_WARNING": "1"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(write_end), point, *args], cwd=cwd, env=env,
                             pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], 60)
    try:
        assert ready, "the child never reached the crash point: " + child.stderr.read1().decode()
        assert os.read(read_end, 1) == b"!"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        os.close(read_end)
    assert child.returncode == -signal.SIGKILL


def add_tip(project: Path) -> None:
    (project / "tips/2026/2026-11-24-scheduled-secret-tip.md").unlink()
    (project / "tips/2026/2026-11-20-late-addition.md").unlink(missing_ok=True)
    (project / "tips/2026/2026-11-17-own-the-mistake.md").rename(project / "tips/2026/2026-11-16-own-the-mistake.md")
    text = (project / "tips/2026/2026-11-16-own-the-mistake.md").read_text().replace("2026-11-17", "2026-11-16")
    (project / "tips/2026/2026-11-16-own-the-mistake.md").write_text(text)


def test_killed_build_leaves_the_previous_site_whole(project):
    site = project / "site"
    done = subprocess.run([str(Path(sys.executable).parent / "tipweek"), "build"], cwd=project,
                          env={**os.environ, "TIPWEEK_TODAY": TODAY}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    before = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert Path("feed.xml") in before
    add_tip(project)  # the next build would change feed.xml and every page
    run_and_kill("post_build", ["build"], project)
    after = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert after == before
    # and the next build recovers, replacing the leftovers
    done = subprocess.run([str(Path(sys.executable).parent / "tipweek"), "build"], cwd=project,
                          env={**os.environ, "TIPWEEK_TODAY": TODAY}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (site / "feed.xml").read_bytes() != before[Path("feed.xml")]
    assert not (project / ".site.partial").exists() and not (project / ".site.previous").exists()


def test_killed_feed_write_keeps_the_previous_feed(project, tipweek, tmp_path):
    out = tmp_path / "feeds"
    assert tipweek("feed", "--out", str(out)).exit_code == 0
    before = (out / "feed.xml").read_bytes()
    add_tip(project)
    run_and_kill("fsync", ["feed", "--out", str(out), "-f", str(project / "mkdocs.yml")], project)
    assert (out / "feed.xml").read_bytes() == before
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".feed.xml.")]
    assert leftovers, "the child should have died with its temp file unrenamed"


def test_two_builds_are_byte_identical(project, tmp_path, tipweek):
    a = build_site(project, tmp_path / "a")
    b = build_site(project, tmp_path / "b")
    compared = 0
    for path in a.rglob("*"):
        rel = path.relative_to(a)
        if path.is_file() and (rel.parts[0] in ("tips", "principles", "email")
                               or rel.name in ("feed.xml", "atom.xml", "feed.json", "index.html")):
            assert path.read_bytes() == (b / rel).read_bytes(), rel
            compared += 1
    assert compared > 15
    tipweek("email", "--out", str(tmp_path / "1.eml"))
    tipweek("email", "--out", str(tmp_path / "2.eml"))
    assert (tmp_path / "1.eml").read_bytes() == (tmp_path / "2.eml").read_bytes()


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml", "feed.json"])
def test_outputs_are_written_atomically(project, tipweek, tmp_path, monkeypatch, name):
    """Every write goes through write_atomic: a failure before the rename keeps the old file."""
    from tipweek.outputs import atomic as output

    out = tmp_path / "f"
    assert tipweek("feed", "--out", str(out)).exit_code == 0
    before = (out / name).read_bytes()
    add_tip(project)

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(output.os, "replace", broken_replace)
    result = tipweek("feed", "--out", str(out))
    assert result.exit_code != 0
    assert (out / name).read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
