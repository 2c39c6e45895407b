"""The starter library that ships with tipweek has the shape the issue promises."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from tipweek.library.loader import load_library
from tipweek.calendar.schedule import published_on, scheduled_after

ROOT = Path(__file__).parent.parent
BUILD_DAY = dt.date(2026, 11, 22)  # the day the starter library was written; tests build as of it


def library():
    return load_library(ROOT / "tips", ROOT / "tips/principles.yml", ROOT)


def test_repository_tips_pass_the_checker():
    assert len(library()) >= 60


def test_a_year_published_and_two_months_queued():
    lib = library()
    assert len(published_on(lib, BUILD_DAY)) >= 52
    assert len(scheduled_after(lib, BUILD_DAY)) >= 8


def test_one_tip_every_tuesday_without_gaps():
    tips = library().tips
    assert all(t.date.weekday() == 1 for t in tips)
    gaps = [(a.date, b.date) for a, b in zip(tips, tips[1:]) if (b.date - a.date).days != 7]
    assert gaps == []


def test_every_principle_has_at_least_four_tips():
    lib = library()
    assert 9 <= len(lib.principles) <= 12
    counts = {slug: len(lib.with_principle(slug)) for slug in lib.principles}
    assert min(counts.values()) >= 4, counts
    assert all(1 <= len(t.tags) <= 3 for t in lib.tips)


def test_tips_are_150_to_400_words_with_one_takeaway():
    for tip in library().tips:
        words = len(tip.body.split())
        assert 150 <= words <= 400, f"{tip.path}: {words} words"
        assert tip.body.count("**Takeaway:**") == 1, tip.path


def test_principles_have_definitions_and_explanations():
    for p in library().principles.values():
        assert p.definition and len(p.description.split()) >= 40, p.slug


# Common US spellings; the site writes UK English ("apologise", "colour", "centre", "cancelled").
# -ize verbs are caught as a family; size, prize and seize are spelt so in UK English too.
US_SPELLINGS = re.compile(
    r"\b(?!(?:re|over|down|up)?(?:size|prize|seize|capsize)[sd]?\b|(?:re|over|down|up)?sizing\b|seizing\b)"
    r"[a-z]+(?:iz|yz)(?:e|es|ed|ing|ation|ations|er|ers)\b"
    r"|\b(?:colo|favo|behavio|hono|neighbo|labo|humo|rumo|flavo|endeavo|harbo|armo|odo|vapo|savo)r"
    r"(?:s|ed|ing|ful|fully|able|ably|ite|ites|hood|hoods|less)?\b"
    r"|\b(?:cent|theat|lit|fib|somb|meag|calib|lust)ers?\b|\bmaneuver\w*"
    r"|\b(?:cancel|travel|label|model|signal|fuel|counsel|jewel|level|total|dial|quarrel)(?:ed|ing|ers?)\b"
    r"|\bjewelry\b|\bmarvelous\b|\b(?:enroll|fulfill|install)ments?\b|\b(?:skill|will)ful\w*"
    r"|\b(?:catalog|dialog|analog)s?\b|\b(?:defen|offen|preten)se\b|\b(?-i:gray)\b|\bmold(?:s|y|ed)?\b"
    r"|\bplow\w*|\baluminum\b|\bpajamas?\b|\bcozy\b|\bskeptic\w*",
    re.I)
# Not checked: addresses (a link keeps the other site's spelling), code, and text in double
# quotes, which may give a name or a label exactly as it is written elsewhere.
NOT_PROSE = re.compile(r"https?://\S+|\]\([^)]*\)|`[^`\n]*`|\"[^\"\n]*\"|\u201c[^\u201d\n]*\u201d")


def us_spellings(text: str) -> list[tuple[int, str]]:
    """(line, word) of each US spelling in ``text``, outside addresses, code and quotes."""
    found, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if not fenced:
            found += [(number, m.group()) for m in US_SPELLINGS.finditer(NOT_PROSE.sub(" ", line))]
    return found


def test_the_spelling_check_finds_us_forms_and_leaves_links_code_and_quotes():
    text = ("We apologize for the color of the center.\nOur favorite organizations recognize it.\n"
            "She canceled; they realize and analyze their behavior.\n"
            "The size, the prize, capsized boats, seizing the day; Mrs Gray's honour and rigorous work.\n"
            "See [the guide](https://example.org/color-center/) or https://example.org/favorite and `colorize`.\n"
            'The button says "Favorites" and the shop is \u201cColor World\u201d.\n'
            "```\ncolor: red\n```\n")
    assert us_spellings(text) == [(1, "apologize"), (1, "color"), (1, "center"), (2, "favorite"),
                                  (2, "organizations"), (2, "recognize"), (3, "canceled"), (3, "realize"),
                                  (3, "analyze"), (3, "behavior")]


def test_tips_use_uk_spelling():
    found = [f"{path.relative_to(ROOT)}:{line}: {word!r}"
             for path in sorted((ROOT / "tips").rglob("*")) if path.suffix in (".md", ".yml")
             for line, word in us_spellings(path.read_text("utf-8"))]
    assert found == [], "US spellings (write the UK form):\n" + "\n".join(found)


def test_the_editors_guide_lists_every_plugin_option_with_its_default():
    from tipweek.site.options import TipweekConfig

    guide = (ROOT / "docs" / "editors-guide.md").read_text("utf-8")
    table = guide.split("## Plugin options", 1)[1]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \|", table, re.M)}
    options = dict(TipweekConfig._schema)
    assert set(rows) == set(options)
    for name, option in options.items():
        default = option.default
        assert rows[name].strip() == (f"`{default}`" if default not in ("", None) else rows[name].strip()), name
        if default in ("", None):
            assert rows[name].strip() in ("empty", "none"), name
    assert "docs/editors-guide.md" in (ROOT / "mkdocs.yml").read_text("utf-8").split("\n", 2)[1]


def test_the_editors_guides_examples_work_on_this_library(tmp_path, monkeypatch):
    import shlex
    import shutil

    from click.testing import CliRunner

    from tipweek.cli.main import main

    guide = (ROOT / "docs" / "editors-guide.md").read_text("utf-8")
    for folder in ("tips", "docs"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    monkeypatch.chdir(tmp_path)
    command = re.search(r'\.venv/bin/tipweek new ("[^"]+"[^\n]*)', guide).group(1)
    result = CliRunner().invoke(main, ["new", *shlex.split(command), "--today", "2026-12-02"])
    assert result.exit_code == 0, result.output
    made = result.output.strip()
    assert f"This creates a file such as `{made}`" in guide
    slugs = {t.slug for t in library().tips}
    for linked in set(re.findall(r"`\[[^\]]*\]\(([a-z0-9-]+)\.md(?:#[a-z-]+)?\)`", guide)):
        assert linked in slugs, linked
    named = re.findall(r"`(tips/\d{4}/\d{4}-\d\d-\d\d-[a-z0-9-]+\.md)`", guide)
    named += re.findall(r"not by its file name\s+\(`(\d{4})(-\d\d-\d\d-[a-z0-9-]+\.md)`\)", guide)
    for path in [p if isinstance(p, str) else f"tips/{p[0]}/{p[0]}{p[1]}" for p in named]:
        assert path == made or (ROOT / path).is_file(), path
