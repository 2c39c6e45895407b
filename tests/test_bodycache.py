"""Rendered bodies kept in .tipweek/cache/bodies/: the second `tipweek feed`
or `email` does not start MkDocs' page machinery, writes the same bytes, and
an edited tip (or mkdocs.yml) is rendered again."""

from __future__ import annotations

import email
import email.policy

import pytest

import tipweek.edition.render
from tipweek.project import Project

TIP = "tips/2026/2026-11-17-own-the-mistake.md"


@pytest.fixture
def no_mkdocs(monkeypatch):
    """Make starting MkDocs' page machinery, or converting a body to text, fail the test."""
    def refuse(*args):
        raise AssertionError("a body in the cache was rendered (or converted to text) again")

    def refusing():
        monkeypatch.setattr(Project, "_mkdocs_bodies", refuse)
        monkeypatch.setattr(tipweek.edition.render, "text_from_html", refuse)
    return refusing


def test_the_second_run_reads_bodies_from_the_cache_and_writes_the_same_bytes(tipweek, project, no_mkdocs):
    assert tipweek("feed", "--out", str(project / "first")).exit_code == 0
    assert tipweek("email", "--out", str(project / "first.eml")).exit_code == 0
    assert list((project / ".tipweek/cache/bodies").glob("*.html"))
    assert list((project / ".tipweek/cache/bodies").glob("*.txt"))  # the email's text part
    no_mkdocs()
    assert tipweek("feed", "--out", str(project / "second")).exit_code == 0
    assert tipweek("email", "--out", str(project / "second.eml")).exit_code == 0
    for name in ("feed.xml", "atom.xml", "feed.json"):
        assert (project / "first" / name).read_bytes() == (project / "second" / name).read_bytes()
    assert (project / "first.eml").read_bytes() == (project / "second.eml").read_bytes()


def test_an_edited_tip_is_rendered_again(tipweek, project):
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    path = project / TIP
    path.write_text(path.read_text().replace("A courier lost a parcel", "A van driver lost a parcel"))
    assert tipweek("feed", "--out", str(project / "out")).exit_code == 0
    feed = (project / "out/feed.xml").read_text()
    assert "A van driver lost a parcel" in feed and "A courier lost a parcel" not in feed


def test_a_changed_mkdocs_yml_renders_again(tipweek, project):
    def html_part(name: str) -> str:
        message = email.message_from_bytes((project / name).read_bytes(), policy=email.policy.default)
        return message.get_body(("html",)).get_content()

    assert tipweek("email", "--out", str(project / "a.eml")).exit_code == 0
    assert '"we lost it' in html_part("a.eml")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("markdown_extensions:\n", "markdown_extensions:\n  - smarty\n"))
    assert tipweek("email", "--out", str(project / "b.eml")).exit_code == 0
    assert "\u201cwe lost it" in html_part("b.eml")  # smarty's curly quotes: rendered again


def test_an_unreadable_cache_folder_only_costs_time(tipweek, project):
    (project / ".tipweek").mkdir()
    (project / ".tipweek/cache").write_text("not a folder")
    result = tipweek("feed", "--out", str(project / "out"))
    assert result.exit_code == 0, result.output
    assert "Own the mistake" in (project / "out/feed.xml").read_text()


def test_an_edited_tip_gets_a_new_text_part(tipweek, project):
    def text_part(name: str) -> str:
        message = email.message_from_bytes((project / name).read_bytes(), policy=email.policy.default)
        return message.get_body(("plain",)).get_content()

    assert tipweek("email", "--today", "2026-11-17", "--out", str(project / "a.eml")).exit_code == 0
    assert "A courier lost a parcel" in text_part("a.eml")
    path = project / TIP
    path.write_text(path.read_text().replace("A courier lost a parcel", "A van driver lost a parcel"))
    assert tipweek("email", "--today", "2026-11-17", "--out", str(project / "b.eml")).exit_code == 0
    assert "A van driver lost a parcel" in text_part("b.eml") and "A courier lost" not in text_part("b.eml")


def test_the_body_key_names_the_installed_versions_of_what_renders():
    """The versions in the body key (read from the dist-info folders' names)
    are those the installed packages report; a package that is not there is '-'."""
    from importlib import metadata

    from tipweek.edition import body_cache as bodycache

    for name in (*bodycache._RENDERING, "markdownify", "mkdocs_material", "MARKDOWN"):
        assert bodycache.version(name) == metadata.version(name)
    assert bodycache.version("no-such-package-here") == "-"


def test_versions_come_from_the_first_dist_info_folder_on_the_path(tmp_path, monkeypatch):
    """As an import would: the first folder on sys.path that has the
    distribution wins; a name against the spec or an egg's folder sends the
    question to importlib.metadata (which, here, finds nothing: '-')."""
    from tipweek.edition import body_cache as bodycache

    first, second = tmp_path / "first", tmp_path / "second"
    for folder, names in ((first, ["Fancy_Pkg-2.0+local.1.dist-info", "odd-name-1.0.dist-info",
                                   "eggy-3.1-py3.11.egg-info"]),
                          (second, ["fancy_pkg-1.0.dist-info", "eggy-4.0.dist-info", "plain-0.9.dist-info"])):
        for name in names:
            (folder / name).mkdir(parents=True)
    monkeypatch.setattr("sys.path", [str(first), str(second)])
    bodycache._dist_info.cache_clear()
    try:
        assert bodycache.version("fancy-pkg") == "2.0+local.1"
        assert bodycache.version("Fancy.Pkg") == "2.0+local.1"
        assert bodycache.version("plain") == "0.9"
        assert bodycache.version("eggy") == "-"  # the egg comes first: importlib.metadata, not 4.0
        assert bodycache.version("odd") == "-"
    finally:
        bodycache._dist_info.cache_clear()
