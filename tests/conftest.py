"""Shared test set-up: a copy of the fixture library per test, a fixed today."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tipweek.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = "2026-11-22"  # a Sunday; the tip of the week is the one of Tuesday 2026-11-17


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("TIPWEEK_TODAY", TODAY)
    monkeypatch.delenv("TIPWEEK_PREVIEW", raising=False)


@pytest.fixture
def project(tmp_path) -> Path:
    """A writable copy of tests/fixtures/library; returns its folder."""
    dest = tmp_path / "proj"
    shutil.copytree(FIXTURES / "library", dest)
    return dest


@pytest.fixture
def tipweek(project):
    """Run a tipweek command on the fixture project, as a user would."""
    runner = CliRunner()

    def run(*args: str, config: Path | None = None):
        return runner.invoke(main, [*args, "-f", str(config or project / "mkdocs.yml")])

    return run
