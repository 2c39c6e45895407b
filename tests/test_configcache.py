"""What the commands remember of mkdocs.yml (.tipweek/cache/project.pickle):
the second `tipweek feed` or `email` does not load MkDocs' configuration and
writes the same bytes; any change to mkdocs.yml, the code or the installed
packages loads it again; a mkdocs.yml that reads the environment or other
files is loaded every time."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import tipweek.project
from tipweek import configcache
from tipweek.library import tip_cache as tipcache


@pytest.fixture
def no_mkdocs_config(monkeypatch):
    """Make loading MkDocs' configuration fail the test."""
    def refuse(*args):
        raise AssertionError("MkDocs' configuration was loaded although mkdocs.yml did not change")
    return lambda: monkeypatch.setattr(tipweek.project, "_load_mkdocs", refuse)


def test_the_second_run_does_not_load_mkdocs_and_writes_the_same_bytes(tipweek, project, no_mkdocs_config):
    for name in ("first", "second"):
        assert tipweek("feed", "--out", str(project / name)).exit_code == 0
        assert tipweek("email", "--out", str(project / f"{name}.eml")).exit_code == 0
        assert tipweek("check").exit_code == 0
        no_mkdocs_config()
    for name in ("feed.xml", "atom.xml", "feed.json"):
        assert (project / "first" / name).read_bytes() == (project / "second" / name).read_bytes()
    assert (project / "first.eml").read_bytes() == (project / "second.eml").read_bytes()


def test_a_command_with_everything_cached_imports_neither_mkdocs_nor_yaml(tipweek, project, monkeypatch):
    monkeypatch.setattr(tipcache, "RACY_NS", 0)  # the fixture was copied a moment ago: cache it anyway
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0  # remembers mkdocs.yml, tips, bodies
    code = ("import sys\nfrom tipweek.cli.main import main\n"
            "try:\n    main(['feed', '--out', 'out'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mkdocs', 'markdown', 'yaml', 'frontmatter')))")
    run = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True,
                         env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().endswith("[]"), run.stdout


def test_an_edited_mkdocs_yml_is_loaded_again(tipweek, project):
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("site_name: Fixture tips", "site_name: Renamed tips")
                      .replace("author: Fixture Editor", "author: Another Editor"))
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    feed = (project / "out/feed.xml").read_text()
    assert "<title>Renamed tips</title>" in feed and "Another Editor" in feed and "Fixture Editor" not in feed


def test_a_broken_mkdocs_yml_is_reported_after_a_good_run(tipweek, project):
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("feed_length: 3", "feed_length: many"))
    result = tipweek("feed", "--out", str(project / "out"))
    assert result.exit_code == 1
    assert "mkdocs.yml:" in result.output and "feed_length" in result.output


def test_a_mkdocs_yml_that_reads_the_environment_is_loaded_every_time(tipweek, project, monkeypatch):
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("site_name: Fixture tips",
                                                 "site_name: !ENV [TIPWEEK_TEST_NAME, Fixture tips]"))
    monkeypatch.setenv("TIPWEEK_TEST_NAME", "First name")
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    assert "<title>First name</title>" in (project / "out/feed.xml").read_text()
    monkeypatch.setenv("TIPWEEK_TEST_NAME", "Second name")
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    assert "<title>Second name</title>" in (project / "out/feed.xml").read_text()


def test_installing_or_removing_a_package_loads_mkdocs_yml_again(tipweek, project, tmp_path, monkeypatch):
    packages = tmp_path / "site-packages"
    packages.mkdir()
    monkeypatch.setattr(configcache.sysconfig, "get_paths", lambda: {"purelib": str(packages),
                                                                      "platlib": str(packages)})
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    assert configcache.read(project / "mkdocs.yml") is not None
    (packages / "some_plugin-1.0.dist-info").mkdir()  # what pip install does to the folder
    os.utime(packages, ns=(0, os.stat(packages).st_mtime_ns + 1_000_000_000))
    assert configcache.read(project / "mkdocs.yml") is None


def test_an_unreadable_cache_only_costs_time(tipweek, project):
    (project / ".tipweek/cache").mkdir(parents=True)
    (project / ".tipweek/cache/project.pickle").write_bytes(b"not a pickle")
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    assert "Fixture tips" in (project / "out/feed.xml").read_text()


def test_a_mkdocs_yml_that_inherits_another_file_is_loaded_every_time(tipweek, project):
    config = project / "mkdocs.yml"
    (project / "base.yml").write_text("site_name: Base one\n")
    # quoted, as some editors write keys: still another file's values
    config.write_text('"INHERIT": base.yml\n' + config.read_text().replace("site_name: Fixture tips\n", ""))
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    assert "<title>Base one</title>" in (project / "out/feed.xml").read_text()
    (project / "base.yml").write_text("site_name: Base two\n")
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    assert "<title>Base two</title>" in (project / "out/feed.xml").read_text()


def test_a_missing_docs_folder_is_reported_as_mkdocs_reports_it(tipweek, project):
    import shutil

    assert tipweek("check").exit_code == 0
    shutil.rmtree(project / "docs")
    result = tipweek("check")
    assert result.exit_code == 1
    assert "docs_dir" in result.output and "Traceback" not in result.output
