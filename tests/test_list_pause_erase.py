"""A reader's pause and erasure as the list's store, `tipweek send --list` and the
operator commands see them, on SQLite and PostgreSQL with aiosmtpd on 127.0.0.1:
a paused reader is skipped until the pause ends, then mailed again without anyone
doing anything; an erased one leaves no address or name, keeps their consent
record under a keyed hash, and no import, restore or unsubscribe brings the
address back (only their own sign-up, which still needs confirming)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json

import pytest

from list_support import SECRET
from smtp_servers import Recorder
from test_send_list import NOW, run, send, summary
from tipweek.list.database import open_store
from tipweek.list.tokens import Tokens

HASH = Tokens(SECRET).erased_key


def actions(store, subscriber_id: int) -> list[tuple[str, str]]:
    return [(e.action, e.how) for e in store.history_of(subscriber_id)[1]]


def test_a_paused_reader_is_skipped_until_the_pause_ends_then_mailed_again(project, db_url, listed, smtp):
    server = smtp(Recorder())
    bob = listed.find("bob@example.org")
    now = dt.datetime.now(dt.timezone.utc)
    assert listed.pause(bob.id, 2, now).paused_until[:10] == (now + dt.timedelta(weeks=2)).date().isoformat()
    assert actions(listed, bob.id)[-1] == ("paused", "page")

    result = send(project, db_url, server, "ledger-this-week")
    assert result.exit_code == 0, result.output
    assert summary(result) == "sent 2, skipped 0 unsubscribed, 1 paused, 0 invalid, 0 failed"
    assert sorted(server.handler.recipients()) == ["ana@example.org", "cy@example.org"]
    stats = run(project, "list", "stats", "--db", db_url).output
    assert stats.startswith("3 confirmed (1 of them paused), 0 pending, 0 unsubscribed, 0 bounced\n")

    # A pause that has run out needs nobody: this one began three weeks ago and lasted one.
    listed.pause(bob.id, 1, now - dt.timedelta(weeks=3))
    later = send(project, db_url, server, "ledger-a-later-week")
    assert later.exit_code == 0, later.output
    assert summary(later) == "sent 3, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert server.handler.count("bob@example.org") == 1


def test_a_pause_is_for_confirmed_readers_and_one_to_twelve_weeks(db_url):
    store = open_store(db_url)
    store.import_confirmed([("ana@example.org", "Ana")], NOW)
    ana = store.find("ana@example.org")
    for weeks in (0, 13):
        with pytest.raises(ValueError, match="1 to 12 weeks"):
            store.pause(ana.id, weeks, NOW)
    assert store.pause(ana.id, 12, NOW).paused_until == "2027-02-08T09:00:00.000000Z"
    assert store.resume(ana.id, NOW + dt.timedelta(days=1)).paused_until is None
    assert actions(store, ana.id)[-2:] == [("paused", "page"), ("resumed", "page")]
    pending = store.subscribe("cat@example.org", "Cat", NOW).subscriber
    assert store.pause(pending.id, 2, NOW).paused_until is None  # nothing to pause: no mail goes to them yet


def test_an_erased_address_leaves_the_store_and_no_import_brings_it_back(project, db_url, listed, monkeypatch):
    bob = listed.find("bob@example.org")
    listed.pause(bob.id, 3, NOW)
    erased = listed.erase(bob.id, NOW + dt.timedelta(hours=1), HASH("Bob@Example.org"))

    assert (erased.state, erased.name, erased.paused_until) == ("erased", "", None)
    assert erased.email == HASH("bob@example.org") and erased.email.startswith("erased:")
    assert listed.find("bob@example.org") is None
    everything = json.dumps([dataclasses.astuple(s) for s in listed.everyone()])
    assert "bob" not in everything.lower() and "bob" not in run(project, "list", "export", "--db", db_url).output.lower()
    # The consent record stays under the hash: when they joined, and that they asked to be erased.
    assert actions(listed, bob.id) == [("joined", "import"), ("confirmed", "import"), ("paused", "page"),
                                       ("erased", "page")]
    shown = run(project, "list", "show", "bob@example.org", "--db", db_url)  # (the operator has the secret)
    assert shown.output.startswith(f"{HASH('bob@example.org')}: erased\n") and "Bob" not in shown.output
    assert "1 erased" in run(project, "list", "stats", "--db", db_url).output

    people = project / "people.csv"
    people.write_text("email,name\nBOB@example.org,Bob again\ndee@example.org,Dee\n")
    monkeypatch.delenv("TIPWEEK_LIST_SECRET")
    refused = run(project, "list", "import", str(people), "--db", db_url)
    assert refused.exit_code == 1
    assert "1 address was erased on this list at their owners' request" in refused.output
    assert listed.find("dee@example.org") is None  # all or nothing

    monkeypatch.setenv("TIPWEEK_LIST_SECRET", SECRET)
    imported = run(project, "list", "import", str(people), "--db", db_url)
    assert imported.exit_code == 0, imported.output
    assert imported.output == (f"imported {people}: 1 added, 0 pending ones confirmed, 0 already subscribed, "
                               "0 unsubscribed left out, 1 erased at their request left out\n")
    assert listed.find("bob@example.org") is None

    kept_out = run(project, "list", "unsubscribe", "bob@example.org", "--db", db_url)
    assert kept_out.output == ("bob@example.org erased their data here already: no email reaches them, and no "
                               "import adds them back\n")
    assert listed.find("bob@example.org") is None


def test_their_own_sign_up_brings_them_back_pending_under_their_old_record(db_url):
    store = open_store(db_url)
    store.import_confirmed([("bob@example.org", "Bob")], NOW)
    bob = store.find("bob@example.org")
    store.erase(bob.id, NOW, HASH("bob@example.org"))

    back = store.subscribe("bob@example.org", "Robert", NOW + dt.timedelta(days=2),
                           erased_key=HASH("bob@example.org"))
    assert (back.subscriber.id, back.subscriber.state, back.subscriber.name) == (bob.id, "pending", "Robert")
    assert back.send_confirmation  # a new opt-in: the confirmation decides, as for anyone
    assert actions(store, bob.id)[-2:] == [("erased", "page"), ("joined", "form")]


def test_a_backup_keeps_an_erasure_through_a_move_to_another_database(project, db_url, listed, tmp_path):
    bob = listed.find("bob@example.org")
    listed.erase(bob.id, NOW, HASH("bob@example.org"))
    ana = listed.find("ana@example.org")
    listed.pause(ana.id, 4, dt.datetime.now(dt.timezone.utc))
    backup = tmp_path / "backup.csv"
    assert run(project, "list", "export", "--out", str(backup), "--db", db_url).exit_code == 0
    rows = {r["state"]: r for r in csv.DictReader(io.StringIO(backup.read_text()))}
    assert (rows["erased"]["email"], rows["erased"]["name"]) == (HASH("bob@example.org"), "")

    moved = f"sqlite:///{tmp_path}/moved.sqlite3"
    restored = run(project, "list", "import", str(backup), "--db", moved)
    assert restored.exit_code == 0, restored.output
    target = open_store(moved)
    assert [(s.email, s.state) for s in target.everyone()] == [
        ("ana@example.org", "confirmed"), (HASH("bob@example.org"), "erased"), ("cy@example.org", "confirmed")]
    assert target.find("ana@example.org").paused(dt.datetime.now(dt.timezone.utc))
    # The address stays out of the new database too: a restore of an older backup that still had him,
    # and an import of people, both leave him out.
    older = tmp_path / "older.csv"
    older.write_text("email,name,state,joined,updated,history\n"
                     'bob@example.org,Bob,confirmed,2026-11-01T08:00:00Z,2026-11-01T08:00:00Z,"[{""at"":'
                     '""2026-11-01T08:00:00Z"",""action"":""joined"",""how"":""form""},{""at"":""2026-11-01T09:00:00Z'
                     '"",""action"":""confirmed"",""how"":""page""}]"\n')
    again = run(project, "list", "import", str(older), "--db", moved)
    assert again.exit_code == 0, again.output
    assert "1 on the list already kept as they are" in again.output
    assert target.find("bob@example.org") is None


def test_an_erased_row_in_a_backup_must_hold_only_its_hash(project, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("email,name,state\nbob@example.org,Bob,erased\n")
    result = run(project, "list", "import", str(bad), "--db", f"sqlite:///{tmp_path}/x.sqlite3")
    assert result.exit_code == 1
    assert (f"{bad}:2: state 'erased', but the row has an address or a name: an erased row holds only the keyed "
            "hash its address left") in result.output


def test_one_address_however_its_domain_is_spelled(project, db_url, monkeypatch):
    """The form keeps an accented domain in its ASCII form (the relay may not carry UTF-8); an import
    or an operator's command may be given it as typed. Both find the one row, erased or not."""
    store = open_store(db_url)
    store.import_confirmed([("zoe@xn--bcher-kva.de", "Zoe"), ("ida@bücher.de", "Ida")], NOW)
    assert store.find("Zoe@Bücher.de").name == "Zoe" and store.find("ida@XN--BCHER-KVA.de").name == "Ida"
    zoe = store.find("zoe@bücher.de")
    store.erase(zoe.id, NOW, HASH("zoe@xn--bcher-kva.de"), Tokens(SECRET).erasure_check)
    assert HASH("zoe@bücher.de") == HASH("ZOE@xn--bcher-kva.de")
    report = store.import_confirmed([("zoe@bücher.de", "Zoe again")], NOW, HASH)
    assert (report.added, report.erased) == (0, 1)
    monkeypatch.setenv("TIPWEEK_LIST_SECRET", SECRET)
    kept_out = run(project, "list", "unsubscribe", "zoe@bücher.de", "--db", db_url)
    assert "erased their data here already" in kept_out.output
    assert [s.state for s in store.everyone()] == ["erased", "confirmed"]


def test_leaving_ends_a_pause_so_coming_back_is_not_paused(db_url):
    store = open_store(db_url)
    store.import_confirmed([("ana@example.org", "Ana")], NOW)
    ana = store.find("ana@example.org")
    store.pause(ana.id, 12, NOW)
    assert store.unsubscribe(ana.id, NOW + dt.timedelta(days=1), "page").paused_until is None
    back = store.subscribe("ana@example.org", "Ana", NOW + dt.timedelta(days=2)).subscriber
    assert store.confirm(back.id, NOW + dt.timedelta(days=2)).paused(NOW + dt.timedelta(days=3)) is False
    store.pause(ana.id, 4, NOW + dt.timedelta(days=3))
    assert store.record_outcome(ana.id, "bounced", NOW + dt.timedelta(days=4)).paused_until is None


def test_a_secret_that_is_not_the_erasures_own_is_refused(project, db_url, listed, monkeypatch):
    bob = listed.find("bob@example.org")
    listed.erase(bob.id, NOW, HASH("bob@example.org"), Tokens(SECRET).erasure_check)
    people = project / "people.csv"
    people.write_text("email,name\nbob@example.org,Bob\n")
    monkeypatch.setenv("TIPWEEK_LIST_SECRET", "another-secret-of-sixteen-or-more")
    refused = run(project, "list", "import", str(people), "--db", db_url)
    assert refused.exit_code == 1
    assert ("TIPWEEK_LIST_SECRET is not the secret this list's erasures were made with, so it would not find the 1 "
            "erased address to keep them out: give the list service's own secret") in refused.output
    assert listed.find("bob@example.org") is None


def test_the_operator_finds_an_erasure_by_the_address_with_the_secret(project, db_url, listed):
    bob = listed.find("bob@example.org")
    listed.erase(bob.id, dt.datetime.now(dt.timezone.utc), HASH("bob@example.org"), Tokens(SECRET).erasure_check)
    shown = run(project, "list", "show", "bob@example.org", "--db", db_url)
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith(f"{HASH('bob@example.org')}: erased\n")
    assert [line.split()[1] for line in shown.output.splitlines()[1:]] == ["joined", "confirmed", "erased"]
    week = run(project, "list", "stats", "--db", db_url).output.splitlines()[-1]
    assert week.endswith(": 0 joined, 0 confirmed, 1 left")  # (erasing is a way of leaving)
