"""The starter library that ships with tipweek has the shape the issue promises."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tipweek.loader import load_library
from tipweek.schedule import published_on, scheduled_after

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
