"""The list's store, the same tests on SQLite and on a throw-away PostgreSQL
cluster; and the operator commands (import, export, stats, unsubscribe) on
both, through the CLI as an operator runs them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner

from tipweek.cli.main import main
from tipweek.list.database import open_store

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)




@pytest.fixture
def store(db_url):
    return open_store(db_url)


def test_double_opt_in_then_leaving_is_recorded_with_how(store):
    signup = store.subscribe("Ana@Example.org", "Ana", NOW, ip="192.0.2.1", ip_limit=10)
    assert signup.send_confirmation and signup.subscriber.state == "pending"
    assert list(store.deliverable()) == []  # pending is not deliverable
    sub = store.confirm(signup.subscriber.id, NOW + dt.timedelta(hours=1))
    assert sub.state == "confirmed"
    assert store.confirm(sub.id, NOW + dt.timedelta(hours=2)).state == "confirmed"  # twice is harmless
    assert [s.email for s in store.deliverable()] == ["Ana@Example.org"]
    assert store.unsubscribe(sub.id, NOW + dt.timedelta(days=1), "one-click").state == "unsubscribed"
    assert list(store.deliverable()) == []
    assert [(e.action, e.how) for e in store.events()] == [("joined", "form"), ("confirmed", "page"),
                                                          ("left", "one-click")]
    # An old confirmation link does not undo leaving.
    assert store.confirm(sub.id, NOW + dt.timedelta(days=2)).state == "unsubscribed"


def test_three_confirmations_per_address_per_day(store):
    sent = [store.subscribe("BOB@example.org" if m % 2 else "bob@example.org", "Bob",
                            NOW + dt.timedelta(minutes=m)) for m in range(4)]
    assert [s.send_confirmation for s in sent] == [True, True, True, False]
    assert sent[3].held_back and sent[3].retry_after == dt.timedelta(hours=24, minutes=-3)
    store.release_confirmation(sent[2].subscriber, None, NOW)  # the third could not be sent: it does not count
    assert store.subscribe("bob@example.org", "Bob", NOW + dt.timedelta(minutes=5)).send_confirmation
    assert not store.subscribe("bob@example.org", "Bob", NOW + dt.timedelta(hours=23)).send_confirmation
    assert store.subscribe("bob@example.org", "Bob", NOW + dt.timedelta(hours=24)).send_confirmation
    assert len(store.everyone()) == 1


def test_per_ip_limit_counts_an_hour_back(store):
    results = [store.subscribe(f"p{i}@example.org", "", NOW, ip="192.0.2.7", ip_limit=3).refused
               for i in range(4)]
    assert results == [None, None, None, "ip-limit"]
    later = store.subscribe("p8@example.org", "", NOW + dt.timedelta(minutes=15), ip="192.0.2.7", ip_limit=3)
    assert later.retry_after == dt.timedelta(minutes=45)  # when the first of the three leaves the hour
    assert len(store.everyone()) == 3
    assert store.subscribe("p9@example.org", "", NOW, ip="192.0.2.8", ip_limit=3).refused is None
    assert store.subscribe("p5@example.org", "", NOW + dt.timedelta(minutes=61), ip="192.0.2.7",
                           ip_limit=3).refused is None


def test_a_confirmed_address_signing_up_again_gets_no_email(store):
    sub = store.subscribe("cy@example.org", "Cy", NOW).subscriber
    store.confirm(sub.id, NOW)
    again = store.subscribe("cy@example.org", "Cy", NOW + dt.timedelta(days=3))
    assert not again.send_confirmation and again.subscriber.state == "confirmed"


def test_leaving_then_joining_again_needs_a_new_confirmation(store):
    sub = store.subscribe("dee@example.org", "Dee", NOW).subscriber
    store.confirm(sub.id, NOW)
    store.unsubscribe(sub.id, NOW, "page")
    back = store.subscribe("dee@example.org", "Dee", NOW + dt.timedelta(days=2))
    assert back.subscriber.state == "pending" and back.send_confirmation
    assert list(store.deliverable()) == []


def test_unknown_ids_change_nothing(store):
    assert store.confirm(999, NOW) is None and store.unsubscribe(999, NOW, "page") is None
    assert store.everyone() == [] and store.events() == []


def test_a_failed_change_leaves_nothing_behind(store):
    store.subscribe("eve@example.org", "Eve", NOW)
    before = (store.everyone(), store.events())
    with pytest.raises(Exception):
        # The second row breaks the CHECK on state: the first must roll back with it.
        with store._write() as cur:
            cur.execute(store._sql("INSERT INTO subscribers (email, email_key, name, state, created_at, updated_at)"
                                   " VALUES (?, ?, ?, ?, ?, ?)"), ("f@example.org", "f@example.org", "", "confirmed",
                                                                   "x", "x"))
            cur.execute(store._sql("INSERT INTO subscribers (email, email_key, name, state, created_at, updated_at)"
                                   " VALUES (?, ?, ?, ?, ?, ?)"), ("g@example.org", "g@example.org", "", "bogus",
                                                                   "x", "x"))
    assert (store.everyone(), store.events()) == before


# ------------------------------------------------------------------ operator commands

def run(project, *args):
    result = CliRunner(catch_exceptions=False).invoke(main, ["list", *args, "-f", str(project / "mkdocs.yml")])
    return result


def test_import_export_stats_unsubscribe(project, db_url, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("email,name\nana@example.org,Ana\nbob@example.org,Bob\nana@example.org,Ana again\n")
    result = run(project, "import", str(people), "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output

    result = run(project, "unsubscribe", "bob@example.org", "--db", db_url)
    assert result.output.strip() == "unsubscribed bob@example.org"
    result = run(project, "unsubscribe", "zed@example.org", "--db", db_url)  # unknown: recorded as suppressed
    assert result.output.strip() == "unsubscribed zed@example.org"

    # An import never brings back someone who left.
    people.write_text("email,name\nbob@example.org,Bob\nzed@example.org,Zed\ncat@example.org,Cat\n")
    result = run(project, "import", str(people), "--db", db_url)
    assert "1 added" in result.output and "2 unsubscribed left out" in result.output

    out = tmp_path / "backup.csv"
    result = run(project, "export", "--out", str(out), "--db", db_url)
    rows = {r["email"]: r["state"] for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert rows == {"ana@example.org": "confirmed", "bob@example.org": "unsubscribed",
                    "zed@example.org": "unsubscribed", "cat@example.org": "confirmed"}

    result = run(project, "stats", "--json", "--db", db_url)
    figures = json.loads(result.output)
    assert (figures["confirmed"], figures["pending"], figures["unsubscribed"]) == (2, 0, 2)
    assert sum(w["joined"] for w in figures["weeks"]) == 3 and sum(w["left"] for w in figures["weeks"]) == 2
    result = run(project, "stats", "--db", db_url)
    assert result.output.startswith("2 confirmed, 0 pending, 2 unsubscribed")


def test_import_with_a_bad_row_imports_nothing(project, db_url, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("email,name\nana@example.org,Ana\nnot-an-address,Bob\n")
    result = run(project, "import", str(people), "--db", db_url)
    assert result.exit_code == 1
    assert f"{people}:3: That doesn't look like an email address" in result.output
    assert "nothing imported" in result.output
    assert open_store(db_url).everyone() == []


def test_a_bad_database_url_is_one_line(project):
    result = run(project, "stats", "--db", "mysql://x")
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: mysql://x: not a database URL (use sqlite:///path/to/list.sqlite3 "
                                     "or postgresql://...)")


def test_show_an_address_with_its_whole_consent_record(project, db_url):
    store = open_store(db_url)
    ana = store.subscribe("ana@example.org", "Ana Lima", NOW).subscriber
    store.confirm(ana.id, NOW + dt.timedelta(hours=1))
    store.record_outcome(ana.id, "bounced", NOW + dt.timedelta(days=7))
    store.lift_bounce("ANA@example.org", NOW + dt.timedelta(days=8))
    store.unsubscribe(ana.id, NOW + dt.timedelta(days=9), "one-click")

    result = run(project, "show", "ana@example.org", "--json", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "email": "ana@example.org", "name": "Ana Lima", "state": "unsubscribed", "events": [
            {"at": "2026-11-23T09:00:00.000000Z", "action": "joined", "how": "form"},
            {"at": "2026-11-23T10:00:00.000000Z", "action": "confirmed", "how": "page"},
            {"at": "2026-11-30T09:00:00.000000Z", "action": "bounced", "how": "send"},
            {"at": "2026-12-01T09:00:00.000000Z", "action": "confirmed", "how": "operator"},
            {"at": "2026-12-02T09:00:00.000000Z", "action": "left", "how": "one-click"}]}
    result = run(project, "show", "Ana@Example.org", "--db", db_url)
    assert result.output.splitlines()[:3] == ["ana@example.org (Ana Lima): unsubscribed",
                                              "  2026-11-23T09:00:00.000000Z  joined       form",
                                              "  2026-11-23T10:00:00.000000Z  confirmed    page"]
    result = run(project, "show", "nobody@example.org", "--db", db_url)
    assert result.exit_code == 1
    assert result.output == f"Error: nobody@example.org is not in the list ({db_url})\n"


def test_a_bounced_address_that_signs_up_again_confirms_anew(store):
    """A bounced subscriber is never mailed, but may come back: the form and a new confirmation
    (which shows the mailbox works again) make them confirmed; an import does not."""
    ana = store.subscribe("ana@example.org", "Ana", NOW).subscriber
    store.confirm(ana.id, NOW)
    store.record_outcome(ana.id, "bounced", NOW + dt.timedelta(days=7))
    assert list(store.deliverable()) == []
    assert store.import_confirmed([("ana@example.org", "Ana")], NOW + dt.timedelta(days=8)).suppressed == 1
    again = store.subscribe("ana@example.org", "Ana", NOW + dt.timedelta(days=9))
    assert again.send_confirmation and again.subscriber.state == "pending"
    assert store.confirm(ana.id, NOW + dt.timedelta(days=9, hours=1)).state == "confirmed"
    assert [e.action for e in store.history("ana@example.org")[1]] == ["joined", "confirmed", "bounced", "joined",
                                                                       "confirmed"]


def test_a_new_sqlite_list_is_its_owners_alone(tmp_path):
    import stat

    store = open_store(f"sqlite:///{tmp_path}/private/list.sqlite3")
    store.import_confirmed([("ana@example.org", "Ana")], dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc))
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "private" / "list.sqlite3").stat().st_mode) == 0o600
