"""Shared test set-up: a copy of the fixture library per test, a fixed today."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tipweek.cli.main import main

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = "2026-11-22"  # a Sunday; the tip of the week is the one of Tuesday 2026-11-17


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("TIPWEEK_TODAY", TODAY)


@pytest.fixture
def only_loopback(monkeypatch):
    """Nothing in the test may reach past 127.0.0.1: any other connection is
    refused, and the test fails. Yields the addresses it tried (a test may
    look at them). Made autouse by a module's ``pytestmark``."""
    import socket

    real = socket.create_connection
    elsewhere: list = []

    def guarded(address, *args, **kwargs):
        if address[0] != "127.0.0.1":
            elsewhere.append(address)
            raise ConnectionRefusedError(111, f"test guard: no connection to {address[0]}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    yield elsewhere
    assert not elsewhere, f"a test tried to connect beyond 127.0.0.1: {elsewhere}"


@pytest.fixture
def project(tmp_path) -> Path:
    """A writable copy of tests/fixtures/library; returns its folder."""
    dest = tmp_path / "proj"
    shutil.copytree(FIXTURES / "library", dest, ignore=shutil.ignore_patterns(".tipweek"))
    return dest


def build_site(project_dir: Path, site_dir: Path, today: str = TODAY, preview: bool = False) -> Path:
    """Build a project with MkDocs, as `make site` does, into ``site_dir``."""
    import datetime as dt

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(str(project_dir / "mkdocs.yml"), site_dir=str(site_dir), strict=True)
    config.plugins.on_startup(command="serve" if preview else "build", dirty=False)
    config.plugins["tipweek"].today = dt.date.fromisoformat(today)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()
    return site_dir


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory) -> Path:
    """The fixture library built once for the session (read-only for tests)."""
    root = tmp_path_factory.mktemp("fixture-site")
    project_dir = root / "proj"
    shutil.copytree(FIXTURES / "library", project_dir)
    return build_site(project_dir, root / "site")


@pytest.fixture(scope="session")
def parted_site(tmp_path_factory) -> Path:
    """The fixture library built with its search index in three parts
    (``search_part_size: 3``, 9 pages), as a large library's is."""
    root = tmp_path_factory.mktemp("parted-site")
    project_dir = root / "proj"
    shutil.copytree(FIXTURES / "library", project_dir, ignore=shutil.ignore_patterns(".tipweek"))
    config = project_dir / "mkdocs.yml"
    config.write_text(config.read_text("utf-8").replace("  - tipweek:\n", "  - tipweek:\n      search_part_size: 3\n", 1),
                      "utf-8")
    return build_site(project_dir, root / "site")


@pytest.fixture(scope="module")
def recording_smtp():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it gets, one per test module."""
    from smtp_servers import LocalSMTP, Recorder

    server = LocalSMTP(Recorder())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, one per test module (fails under CI=true without it)."""
    from chromium import chromium, require_chromium

    require_chromium(module=False)
    with chromium() as launched:
        yield launched


@pytest.fixture
def tipweek(project):
    """Run a tipweek command on the fixture project, as a user would."""
    runner = CliRunner(catch_exceptions=False)

    def run(*args: str, config: Path | None = None):
        return runner.invoke(main, [*args, "-f", str(config or project / "mkdocs.yml")])

    return run


def make_edition(tips, principles, *, site=None, today=None, **options):
    """An edition made of records, for tests of one output: bodies rendered
    with plain Markdown, options as in mkdocs.yml (validated)."""
    import datetime as dt

    import markdown

    from tipweek.site.options import TipweekConfig
    from tipweek.edition.edition import Edition, Site
    from tipweek.library.model import Library

    config = TipweekConfig()
    config.load_dict(options)
    failed, _ = config.validate()
    assert not failed, failed
    tips = sorted(tips, key=lambda t: (t.date, t.slug))
    day = today or (max(t.date for t in tips) if tips else dt.date(2026, 1, 1))
    site = site or Site("Tips", "https://tips.example.org/", "All the tips", "Editors")
    edition = Edition(site, Library(tuple(tips), principles), day, config)
    edition.bodies.renderer = lambda tip: edition.bodies.store(tip, markdown.markdown(tip.body))
    return edition


@pytest.fixture(scope="session")
def postgres():
    """One throw-away PostgreSQL cluster (initdb, pg_ctl) for the whole run; each test
    that wants one gets a database of its own from it (``new_database()``)."""
    from list_support import PostgresCluster, postgres_or_skip

    cluster = PostgresCluster(postgres_or_skip()).start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """A new, empty list database on each of the two stores."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/list.sqlite3"
    return request.getfixturevalue("postgres").new_database()


# ------------------------------------------------------------------ a list to send to

LISTED = [("ana@example.org", "Ana Lima"), ("bob@example.org", "Bob Okafor"), ("cy@example.org", "Cy Young")]
LISTED_AT = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def listed(project, db_url, monkeypatch):
    """The project with list_url set, the secret in the environment, and three confirmed subscribers."""
    from list_support import SECRET
    from tipweek.list.database import open_store

    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace(
        "list_id: tips.example.org", "list_id: tips.example.org\n      list_url: https://list.example.org"))
    monkeypatch.setenv("TIPWEEK_LIST_SECRET", SECRET)
    store = open_store(db_url)
    store.import_confirmed(LISTED, LISTED_AT)
    return store


@pytest.fixture
def smtp():
    """Start an SMTP server on 127.0.0.1 with a handler of tests/smtp_servers.py (default: Recorder,
    which takes every message); all stop at the end, a handler holding messages back released first."""
    from smtp_servers import LocalSMTP, Recorder

    servers: list = []

    def start(handler=None, **smtp_kwargs):
        server = LocalSMTP(handler or Recorder(), **smtp_kwargs)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        if hasattr(server.handler, "release"):
            server.handler.release.set()
        server.stop()


class LedgerClock:
    """The time the ledger stamps each line with and the quota counts by: standing still at
    ``now`` (today, to the second, so that the ledger files' own times are in the same day)
    until the test moves it."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def ledger_clock(monkeypatch) -> LedgerClock:
    found = LedgerClock()
    monkeypatch.setattr("tipweek.sending.ledger.utc_now", found)
    return found
