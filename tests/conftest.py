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


def build_site(project_dir: Path, site_dir: Path, today: str = TODAY, preview: bool = False) -> Path:
    """Build a project with mkdocs, as `make site` does, into ``site_dir``."""
    import os

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    saved = {k: os.environ.get(k) for k in ("TIPWEEK_TODAY", "TIPWEEK_PREVIEW")}
    os.environ["TIPWEEK_TODAY"] = today
    os.environ.pop("TIPWEEK_PREVIEW", None)
    if preview:
        os.environ["TIPWEEK_PREVIEW"] = "1"
    try:
        config = load_config(str(project_dir / "mkdocs.yml"), site_dir=str(site_dir), strict=True)
        build(config)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return site_dir


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory) -> Path:
    """The fixture library built once for the session (read-only for tests)."""
    root = tmp_path_factory.mktemp("fixture-site")
    project_dir = root / "proj"
    shutil.copytree(FIXTURES / "library", project_dir)
    return build_site(project_dir, root / "site")


@pytest.fixture
def tipweek(project):
    """Run a tipweek command on the fixture project, as a user would."""
    runner = CliRunner()

    def run(*args: str, config: Path | None = None):
        return runner.invoke(main, [*args, "-f", str(config or project / "mkdocs.yml")])

    return run
