"""The store's schema versions: a store made by the release before versions
(tests/fixtures/list-v1.sqlite3, and list-v1-postgres.sql, that release's
statements and rows) opens, is upgraded in place and keeps every row and event;
a fresh store starts at the newest version; a newer store is refused."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from conftest import FIXTURES
from tipweek.list.migrations import LATEST
from tipweek.list.records import StoreError
from tipweek.list.database import open_store

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)
V1_PEOPLE = [("ana@example.org", "confirmed"), ("bob@example.org", "unsubscribed"), ("cat@example.org", "pending"),
             ("dan@example.org", "confirmed")]
V1_EVENTS = [(1, "joined", "form"), (1, "confirmed", "page"), (2, "joined", "form"), (2, "confirmed", "page"),
             (2, "left", "one-click"), (3, "joined", "form"), (4, "joined", "import"), (4, "confirmed", "import")]



def old_sqlite(tmp_path) -> str:
    shutil.copy(FIXTURES / "list-v1.sqlite3", tmp_path / "old.sqlite3")
    return f"sqlite:///{tmp_path}/old.sqlite3"


def old_postgres(cluster) -> str:
    import psycopg

    url = cluster.new_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute((FIXTURES / "list-v1-postgres.sql").read_text())
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def old_store_url(request, tmp_path):
    if request.param == "sqlite":
        return old_sqlite(tmp_path)
    return old_postgres(request.getfixturevalue("postgres"))


def version(store) -> int:
    with store._read() as cur:
        cur.execute("SELECT version FROM schema_version")
        return cur.fetchall()


def test_an_old_store_is_upgraded_in_place_and_keeps_everything(old_store_url):
    store = open_store(old_store_url)
    assert store.upgraded_from == 1
    assert version(store) == [(LATEST,)]
    assert [(s.email, s.state) for s in store.everyone()] == V1_PEOPLE
    assert [(e.subscriber_id, e.action, e.how) for e in store.events()] == V1_EVENTS
    # What the new version is for: a hard bounce is a state of its own, with its event.
    ana = store.find("ana@example.org")
    assert store.record_outcome(ana.id, "bounced", NOW).state == "bounced"
    assert [(e.action, e.how) for e in store.history("ana@example.org")[1]][-1] == ("bounced", "send")
    # Ids go on after the old ones (none is given twice), and opening again upgrades nothing.
    assert store.subscribe("eve@example.org", "Eve", NOW).subscriber.id == 5
    again = open_store(old_store_url)
    assert again.upgraded_from == LATEST and version(again) == [(LATEST,)]
    assert [s.state for s in again.everyone()] == ["bounced", "unsubscribed", "pending", "confirmed", "pending"]


def test_a_new_store_starts_at_the_newest_version(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/new.sqlite3")
    assert store.upgraded_from == 0 and version(store) == [(LATEST,)]


def test_a_store_from_a_newer_tipweek_is_refused_untouched(tmp_path):
    url = old_sqlite(tmp_path)
    store = open_store(url)
    with store._write() as cur:
        cur.execute("UPDATE schema_version SET version = ?", (LATEST + 1,))
    with pytest.raises(StoreError, match=f"schema version {LATEST + 1}, made by a newer tipweek"):
        open_store(url)
    assert [s.email for s in store.everyone()] == [email for email, _ in V1_PEOPLE]


def test_instances_opening_an_old_store_together_upgrade_it_once(old_store_url):
    """Several service instances start at once on the old store: one upgrades it, the others
    wait for it and find it done (PostgreSQL: the advisory lock; SQLite: the write lock)."""
    import threading

    opened, failed = [], []

    def start() -> None:
        try:
            opened.append(open_store(old_store_url).upgraded_from)
        except Exception as exc:  # collected, asserted in the test's own thread
            failed.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    assert sorted(opened) == [1, LATEST, LATEST, LATEST]
    assert version(open_store(old_store_url)) == [(LATEST,)]


def test_a_table_the_store_lacks_is_made_when_it_opens(tmp_path):
    """A new table or index needs no upgrade step: opening makes the ones an older store lacks."""
    import sqlite3

    url = old_sqlite(tmp_path)
    with sqlite3.connect(tmp_path / "old.sqlite3") as conn:
        conn.execute("DROP TABLE signups")  # (as if the release before had not had it yet)
    store = open_store(url)
    assert store.subscribe("eve@example.org", "Eve", NOW, ip="192.0.2.9", ip_limit=10).subscriber.state == "pending"
    with store._read() as cur:
        cur.execute("SELECT ip FROM signups")
        assert cur.fetchall() == [("192.0.2.9",)]


# The subscribers table at schema version 2 (before pause and erase), on each database.
V2_SUBSCRIBERS = """CREATE TABLE subscribers (
    id {id},
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'unsubscribed', 'bounced')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    confirmation_sent_at TEXT
)"""
V2_REST = ["CREATE TABLE events (id {id}, subscriber_id {ref} NOT NULL REFERENCES subscribers (id), at TEXT NOT NULL, "
           "action TEXT NOT NULL, how TEXT NOT NULL)",
           "CREATE TABLE schema_version (version INTEGER NOT NULL)",
           "INSERT INTO schema_version (version) VALUES (2)",
           "INSERT INTO subscribers (email, email_key, name, state, created_at, updated_at) VALUES "
           "('ana@example.org', 'ana@example.org', 'Ana', 'confirmed', '2026-11-01T08:00:00.000000Z', "
           "'2026-11-01T09:00:00.000000Z'), ('gil@example.org', 'gil@example.org', 'Gil', 'bounced', "
           "'2026-11-02T08:00:00.000000Z', '2026-11-03T08:00:00.000000Z'), ('zoe@bücher.de', 'zoe@bücher.de', "
           "'Zoe', 'confirmed', '2026-11-04T08:00:00.000000Z', '2026-11-04T08:00:00.000000Z')",
           "INSERT INTO events (subscriber_id, at, action, how) VALUES (1, '2026-11-01T08:00:00.000000Z', "
           "'joined', 'form'), (1, '2026-11-01T09:00:00.000000Z', 'confirmed', 'page')"]


@pytest.fixture(params=["sqlite", "postgres"])
def v2_store_url(request, tmp_path):
    statements = [V2_SUBSCRIBERS, *V2_REST]
    if request.param == "sqlite":
        import sqlite3

        with sqlite3.connect(tmp_path / "v2.sqlite3") as conn:
            for statement in statements:
                conn.execute(statement.format(id="INTEGER PRIMARY KEY AUTOINCREMENT", ref="INTEGER"))
        return f"sqlite:///{tmp_path}/v2.sqlite3"
    import psycopg

    url = request.getfixturevalue("postgres").new_database()
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.format(id="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", ref="BIGINT"))
    return url


def test_a_version_2_store_is_upgraded_to_hold_pauses_and_erasures(v2_store_url):
    store = open_store(v2_store_url)
    assert store.upgraded_from == 2 and version(store) == [(LATEST,)] == [(3,)]
    assert [(s.id, s.email, s.state, s.paused_until) for s in store.everyone()] == [
        (1, "ana@example.org", "confirmed", None), (2, "gil@example.org", "bounced", None),
        (3, "zoe@bücher.de", "confirmed", None)]
    # Version 3's one key for every spelling of an address: the accented domain's row is found as the form
    # writes it (ASCII), and a sign-up in that form is the same subscriber, not a second one.
    assert store.find("zoe@xn--bcher-kva.de").id == 3
    assert store.subscribe("ZOE@xn--bcher-kva.de", "", NOW).subscriber.id == 3
    # What version 3 is for: a pause, and an erasure's state.
    assert store.pause(1, 2, NOW).paused_until == "2026-12-14T09:00:00.000000Z"
    assert store.erase(2, NOW, "erased:" + "0" * 64).state == "erased"
    assert [(e.subscriber_id, e.action) for e in store.events()] == [
        (1, "joined"), (1, "confirmed"), (1, "paused"), (2, "erased")]
    # Ids go on after the old ones.
    assert store.subscribe("eve@example.org", "Eve", NOW).subscriber.id == 4
    assert open_store(v2_store_url).upgraded_from == LATEST


def test_a_version_1_store_upgraded_holds_pauses_and_erasures(old_store_url):
    store = open_store(old_store_url)
    ana, bob = store.find("ana@example.org"), store.find("bob@example.org")
    assert store.pause(ana.id, 3, NOW).paused_until == "2026-12-21T09:00:00.000000Z"
    assert store.erase(bob.id, NOW, "erased:" + "1" * 64).state == "erased"
    assert store.find("bob@example.org") is None
    assert [e.action for e in store.history_of(bob.id)[1]] == ["joined", "confirmed", "left", "erased"]
