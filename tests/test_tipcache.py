"""The parsed-tip cache in .tipweek/cache/: an unchanged tip is not read
again, and nothing that changes a tip (even an edit that keeps its size and
modification time) or the rules it is checked against is ever missed."""

from __future__ import annotations

import os
import pickle
import threading

import pytest
import yaml

from tipweek.library import loader, tip_cache as tipcache

TIP = "tips/2026/2026-11-17-own-the-mistake.md"


@pytest.fixture(autouse=True)
def trust_fresh_files(monkeypatch):
    # The fixture library was copied a moment ago; cache it anyway.
    monkeypatch.setattr(tipcache, "RACY_NS", 0)


@pytest.fixture
def reads(monkeypatch):
    """The tip files the loader actually read."""
    seen: list[str] = []
    real = loader.load_tip

    def counting(path, *args):
        seen.append(path.name)
        return real(path, *args)

    monkeypatch.setattr(loader, "load_tip", counting)
    return seen


def test_a_second_check_reads_no_tip_and_says_the_same(tipweek, reads):
    first = tipweek("check")
    read_first = len(reads)
    second = tipweek("check")
    assert first.exit_code == second.exit_code == 0
    assert second.output == first.output and first.output.startswith("ok: 7 tips")
    assert read_first == 7 and len(reads) == 7  # the second run read nothing


def test_an_edit_keeping_size_and_mtime_is_still_caught(tipweek, project, reads):
    assert tipweek("check").exit_code == 0
    path = project / TIP
    before = path.stat()
    text = path.read_text()
    edited = text.replace("tags: [ownership, sincerity]", "tags: [ownershiq, sincerity]")
    assert len(edited) == len(text)
    path.write_text(edited)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)

    result = tipweek("check")

    assert result.exit_code == 1
    assert f"{TIP}:4: " in result.output and "'ownershiq'" in result.output
    assert reads[-1] == path.name and reads.count(path.name) == 2


def test_a_changed_principles_file_checks_every_tip_again(tipweek, project):
    assert tipweek("check").exit_code == 0
    principles = project / "tips/principles.yml"
    vocabulary = yaml.safe_load(principles.read_text())
    del vocabulary["sincerity"]
    principles.write_text(yaml.safe_dump(vocabulary))

    result = tipweek("check")

    assert result.exit_code == 1
    assert f"{TIP}:4: " in result.output and "'sincerity'" in result.output


def test_the_vocabulary_comes_from_the_cache_until_it_changes(tipweek, project, monkeypatch):
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    read = []
    real = loader.load_principles
    monkeypatch.setattr(loader, "load_principles", lambda *args: read.append(1) or real(*args))
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    assert read == []  # unchanged: not parsed again
    principles = project / "tips/principles.yml"
    principles.write_text(principles.read_text().replace("name: Ownership", "name: Owning it"))
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    assert read == [1] and "Owning it" in (project / "out/principles/ownership/feed.xml").read_text()


def test_a_broken_vocabulary_is_reported_on_every_run(tipweek, project):
    principles = project / "tips/principles.yml"
    principles.write_text(principles.read_text().replace("ownership:", "Ownership:", 1))
    first, second = tipweek("check"), tipweek("check")
    assert first.exit_code == second.exit_code == 1
    assert second.output == first.output and "tips/principles.yml" in first.output


def test_a_deleted_tip_is_gone_and_a_new_one_is_read(tipweek, project):
    assert tipweek("check").exit_code == 0
    (project / TIP).unlink()
    new = project / "tips/2026/2026-12-01-a-fresh-tip.md"
    new.write_text("---\ntitle: A fresh tip\ndate: 2026-12-01\ntags: [ownership]\n"
                   "summary: Written after the cache was.\n---\nBody.\n")
    result = tipweek("schedule", "--json")
    assert result.exit_code == 0, result.output
    assert "own-the-mistake" not in result.output and "a-fresh-tip" in result.output


def test_a_broken_or_foreign_cache_is_ignored(tipweek, project):
    assert tipweek("check").exit_code == 0
    cache = project / ".tipweek/cache" / tipcache.FILE_NAME
    assert cache.is_file()
    for junk in (b"", b"not a pickle", pickle.dumps({"context": "another version", "entries": {}})):
        cache.write_bytes(junk)
        result = tipweek("check")
        assert result.exit_code == 0 and result.output.startswith("ok: "), result.output


def test_a_reader_never_sees_half_a_cache_while_two_writers_race(project):
    tips, principles = project / "tips", project / "tips/principles.yml"
    file = project / ".tipweek/cache" / tipcache.FILE_NAME
    stop, bad = threading.Event(), []

    def write() -> None:
        while not stop.is_set():
            cache = tipcache.TipCache.for_project(project, tips, principles)
            cache._old = {}  # every scan stores its entries again
            loader.scan_library(tips, principles, project, cache=cache)

    def read() -> None:
        while not stop.is_set():
            if file.exists():
                try:
                    entries = pickle.loads(file.read_bytes())["entries"]
                    assert len(entries) == 7
                except Exception as exc:  # noqa: BLE001 - any failure is the finding
                    bad.append(repr(exc))

    threads = [threading.Thread(target=f) for f in (write, write, read)]
    for t in threads:
        t.start()
    threading.Event().wait(1.5)
    stop.set()
    for t in threads:
        t.join()
    assert file.is_file() and not bad, bad[:3]
    assert not list(file.parent.glob("*.tmp")), "a writer left its temp file behind"


def test_a_command_run_in_process_hands_the_collector_back(tipweek, project):
    """feed, email, send and check leave the library they read out of the
    garbage collector's walks (gc.freeze) while they run; a caller that runs
    them in-process, as these tests do, gets the collector back as it was,
    whether the command succeeds, fails on a broken tip, or is a command
    object invoked on its own."""
    import gc

    from click.testing import CliRunner

    from tipweek.cli.gc_freeze import made_to_last
    from tipweek.cli.send_command import send

    subscribers = project / "subscribers.csv"
    subscribers.write_text("email,name\nana@example.org,Ana\n", "utf-8")
    outbox = ("--subscribers", str(subscribers), "--outbox", str(project / "outbox"), "--dry-run")
    runs = [("feed", "--out", str(project / "out")), ("email", "--out", str(project / "week.eml")),
            ("check",), ("send", *outbox)]
    for args in runs:
        result = tipweek(*args)
        assert result.exit_code == 0, result.output
        assert gc.isenabled() and gc.get_freeze_count() == 0, args
    result = CliRunner().invoke(send, [*outbox, "-f", str(project / "mkdocs.yml")])
    assert result.exit_code == 0, result.output
    assert gc.isenabled() and gc.get_freeze_count() == 0

    (project / "tips" / "2026" / "2026-12-29-broken.md").write_text("no front matter\n", "utf-8")
    for args in runs[:3]:
        result = tipweek(*args)
        assert result.exit_code == 1 and "2026-12-29-broken.md:1: no front matter" in result.output, args
        assert gc.isenabled() and gc.get_freeze_count() == 0, args

    with made_to_last():  # outside a command: nothing to hand back at its end, so nothing is frozen
        pass
    assert gc.get_freeze_count() == 0
