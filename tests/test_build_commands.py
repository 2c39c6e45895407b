"""`tipweek build` and `serve` call MkDocs in-process with mkdocs.yml loaded
once and MkDocs' own options passed through; bad options in mkdocs.yml stop
every command with one line naming the option and its line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import TODAY
from tipweek.cli.main import main

TIPWEEK = Path(sys.executable).parent / "tipweek"


def run(*args: str):
    return CliRunner(catch_exceptions=False).invoke(main, list(args))


def test_build_writes_where_site_dir_says_and_nowhere_else(project, tmp_path, monkeypatch):
    monkeypatch.chdir(project)
    elsewhere = tmp_path / "elsewhere"
    result = run("build", "--site-dir", str(elsewhere))
    assert result.exit_code == 0, result.output
    assert (elsewhere / "tips/own-the-mistake/index.html").is_file()
    assert (elsewhere / "feed.xml").is_file()
    assert not (project / "site").exists()
    assert not list(tmp_path.glob(".elsewhere.*")), "the partial build was left behind"


def test_build_loads_mkdocs_yml_once(project, tmp_path, monkeypatch):
    import mkdocs.config

    calls = []
    real = mkdocs.config.load_config
    monkeypatch.setattr(mkdocs.config, "load_config", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert run("build", "-f", str(project / "mkdocs.yml"), "-d", str(tmp_path / "s")).exit_code == 0
    assert len(calls) == 1


def test_strict_is_mkdocs_strict(project, tmp_path):
    (project / "docs/broken.md").write_text("# Broken\n\nSee [a page that is not there](missing.md).\n")
    config = str(project / "mkdocs.yml")
    assert run("build", "-f", config, "-d", str(tmp_path / "lenient")).exit_code == 0
    result = run("build", "-f", config, "--strict", "-d", str(tmp_path / "strict"))
    assert result.exit_code == 1
    assert not (tmp_path / "strict").exists()


def test_build_today_shows_a_tip_on_its_date(project, tmp_path):
    site = tmp_path / "s"
    assert run("build", "-f", str(project / "mkdocs.yml"), "--today", "2026-11-24", "-d", str(site)).exit_code == 0
    assert (site / "tips/scheduled-secret-tip/index.html").is_file()


def test_commands_work_from_a_subfolder(project, monkeypatch):
    monkeypatch.chdir(project / "tips/2026")
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")


def test_no_project_anywhere_above(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("check")
    assert result.exit_code == 1
    assert "no mkdocs.yml here or in any folder above" in result.output


# ------------------------------------------------------------------ serve

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, deadline: float) -> str:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def serve(project: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "TIPWEEK_TODAY": TODAY, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.Popen([str(TIPWEEK), "serve", *args], cwd=project, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def stop(child: subprocess.Popen) -> str:
    child.send_signal(signal.SIGINT)
    try:
        return child.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        child.kill()
        return child.communicate()[1]


def served_page(project: Path, path: str, *options: str) -> str:
    """``path`` as `tipweek serve OPTIONS` on a free port shows it (the preview stopped after)."""
    port = free_port()
    child = serve(project, *options, "-a", f"127.0.0.1:{port}")
    try:
        return fetch(f"http://127.0.0.1:{port}/{path}", time.monotonic() + 90)
    finally:
        stop(child)


def test_serve_previews_scheduled_tips_on_the_given_address(project):
    page = served_page(project, "tips/scheduled-secret-tip/")
    assert "Scheduled for 24 November 2026" in page


def test_serve_takes_today(project):
    home = served_page(project, "", "--today", "2026-11-24")
    assert "A scheduled tip" in home.split('class="tw-week"')[1].split("</h2>")[0]


def test_serve_points_the_subscribe_form_at_a_local_list(project):
    (project / "docs/subscribe.md").write_text((Path(__file__).parent.parent / "docs/subscribe.md").read_text())
    page = served_page(project, "subscribe/", "--list-url", "http://127.0.0.1:8025")
    assert '<form class="tw-signup" method="post" action="http://127.0.0.1:8025/subscribe">' in page


def test_make_site_keeps_the_editors_copy_out_of_the_public_site():
    root = Path(__file__).parent.parent
    if not (root / "site").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("make test runs make site first; site/ is missing")
        pytest.skip("run make site first")
    assert not list((root / "site").rglob("*.eml"))
    assert (root / ".tipweek/week.eml").is_file()


def test_serve_on_a_busy_port_says_so_in_one_line(project):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        child = serve(project, "-a", f"127.0.0.1:{port}")
        _, err = child.communicate(timeout=90)
    assert child.returncode == 1
    assert "Traceback" not in err
    assert f"Error: 127.0.0.1:{port} is already in use (another preview?); pick another port with " \
           f"-a 127.0.0.1:{port + 1}" in err


# ------------------------------------------------------------------ options

BAD_OPTIONS = [
    ("timezone: Europe/London", "timezone: Europe/Londn", "unknown time zone 'Europe/Londn' (did you mean "
                                                          "'Europe/London'?)"),
    ("email_from: Fixture Tips <tips@example.org>", "email_from: Fixture Tips <tips-at-example.org>",
     "is not an email address"),
    ("reply_to: editors@example.org", "reply_to: editors", "'editors' is not an email address"),
    ("weekday: tuesday", "weekday: tusday", "weekday"),
    ("feed_length: 3", "feed_length: 0", "0 is out of range"),
    ("recent: 2", "recent: -1", "-1 is out of range"),
    ("list_id: tips.example.org", "list_id: not a domain", "is not a domain name"),
    ("unsubscribe_url: https://tips.example.org/unsubscribe?email={email}", "unsubscribe_url: www.example.org",
     "must be a https:// address"),
    ("tips: tips", "tips: ../elsewhere", "must be a path inside the project"),
]


@pytest.fixture
def all_options(project):
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace(
        "      author: Fixture Editor\n",
        "      author: Fixture Editor\n      timezone: Europe/London\n      weekday: tuesday\n      tips: tips\n"))
    return project


@pytest.mark.parametrize("good, bad, message", BAD_OPTIONS, ids=[b.split(":")[0] for _, b, _ in BAD_OPTIONS])
@pytest.mark.parametrize("command", [["check"], ["build"], ["feed", "--out", "f"], ["email", "--out", "w.eml"],
                                     ["schedule"]])
def test_a_bad_option_stops_every_command_with_its_line(all_options, monkeypatch, good, bad, message, command):
    config = all_options / "mkdocs.yml"
    assert good in config.read_text()
    config.write_text(config.read_text().replace(good, bad))
    monkeypatch.chdir(all_options)
    result = run(*command)
    assert result.exit_code == 1
    line = next(n for n, text in enumerate(config.read_text().splitlines(), 1) if bad in text)
    assert f"mkdocs.yml:{line}: " in result.output and message in result.output, result.output
    assert not (all_options / "site").exists()
