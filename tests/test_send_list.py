"""`tipweek send --list DB_URL` against the list's store, on SQLite and on a
throw-away PostgreSQL cluster, with aiosmtpd on 127.0.0.1: a hard bounce
reaches the list (its state, its consent record, stats, export, every later
send whatever its ledger folder) and is lifted there; someone who leaves
during a send is not mailed by it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from click.testing import CliRunner

from conftest import LISTED
from smtp_servers import FaultyHandler, Recorder, RefusingHandler
from tipweek.cli.main import main

NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.timezone.utc)
NO_MAILBOX = "550 5.1.1 <bob@example.org>: no such mailbox"




def run(project, *args):
    return CliRunner(catch_exceptions=False).invoke(main, [*args, "-f", str(project / "mkdocs.yml")])


def send(project, db_url, server, ledger, *extra):
    return run(project, "send", "--list", db_url, "--smtp", server.address, "--backoff", "0", "--timeout", "10",
               "--ledger", str(project / ledger), *extra)


def summary(result) -> str:
    return result.stdout.splitlines()[-1]


def test_a_hard_bounce_reaches_the_list_and_every_later_send_skips_it(project, db_url, listed, smtp):
    server = smtp(FaultyHandler(permanent={"bob@example.org": NO_MAILBOX}))

    first = send(project, db_url, server, "ledger-a")

    assert first.exit_code == 1, first.output
    assert (f"failed: bob@example.org: {NO_MAILBOX}; suppressed from now on ('tipweek send --unsuppress ADDRESS "
            f"--list {db_url}' undoes it)") in first.stderr
    assert summary(first) == "sent 2, skipped 0 unsubscribed, 0 invalid, 1 failed"
    # Where Bob lives: the list's store, with the event in his consent record; not a file beside the ledger.
    assert listed.find("bob@example.org").state == "bounced"
    assert [(e.action, e.how) for e in listed.history("bob@example.org")[1]] == [
        ("joined", "import"), ("confirmed", "import"), ("bounced", "send")]
    assert not (project / "ledger-a" / "suppressed.txt").exists()

    stats = json.loads(run(project, "list", "stats", "--json", "--db", db_url).output)
    assert (stats["confirmed"], stats["unsubscribed"], stats["bounced"]) == (2, 0, 1)
    assert run(project, "list", "stats", "--db", db_url).output.startswith(
        "2 confirmed, 0 pending, 0 unsubscribed, 1 bounced")
    exported = {r["email"]: r for r in csv.DictReader(io.StringIO(run(project, "list", "export", "--db",
                                                                        db_url).output))}
    assert exported["bob@example.org"]["state"] == "bounced"
    assert json.loads(exported["bob@example.org"]["history"])[-1]["action"] == "bounced"

    status = run(project, "send", "--status", "--list", db_url, "--ledger", str(project / "ledger-a"))
    assert "  bob@example.org: bounced at " in status.output and f"(in {db_url})" in status.output
    assert f"(hard bounces, all weeks: in the list's store ({db_url}); 'tipweek send --unsuppress ADDRESS --list " \
           f"{db_url}' lifts one)" in status.output
    assert "suppressed.txt" not in status.output  # a CSV list's file, not where the list's bounces are

    # A later send, with a ledger folder of its own, does not mail Bob.
    tried = len(server.handler.rcpt_log)
    later = send(project, db_url, server, "ledger-b")
    assert later.exit_code == 0, later.output
    assert summary(later) == "sent 2, skipped 0 unsubscribed, 1 suppressed, 0 invalid, 0 failed"
    assert "bob@example.org" not in [address for address, _ in server.handler.rcpt_log[tried:]]


def test_a_relay_that_refuses_every_address_bounces_no_one_in_the_store(project, db_url, listed, smtp):
    """Five subscribers, fewer than --max-errors: the run gets to the end of the list, but the relay
    took no message, so its "550" to each says nothing about them."""
    listed.import_confirmed([("dee@example.org", "Dee"), ("eve@example.org", "Eve")], NOW)
    everyone = sorted([a for a, _ in LISTED] + ["dee@example.org", "eve@example.org"])
    handler = RefusingHandler("550 5.7.1 relaying denied", "RCPT")
    server = smtp(handler)

    first = send(project, db_url, server, "ledger")

    assert first.exit_code == 1, first.output
    assert summary(first) == "sent 0, skipped 0 unsubscribed, 0 invalid, 5 failed"
    assert sorted(handler.refused) == everyone
    assert ("no message went through in this run, so its 5 hard bounces are not suppressed: the relay may be "
            "refusing everything; the next run tries them again") in first.stderr
    assert {listed.find(a).state for a in everyone} == {"confirmed"}
    assert json.loads(run(project, "list", "stats", "--json", "--db", db_url).output)["bounced"] == 0

    handler.refusing = False
    again = send(project, db_url, server, "ledger")

    assert again.exit_code == 0, again.output
    assert summary(again) == "sent 5, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert sorted(handler.recipients()) == everyone


def test_lifting_a_bounce_in_the_list_mails_the_address_again(project, db_url, listed, smtp):
    bob = listed.find("bob@example.org")
    listed.record_outcome(bob.id, "bounced", NOW)
    server = smtp(Recorder())

    lifted = run(project, "send", "--unsuppress", "bob@example.org", "--list", db_url)
    assert lifted.exit_code == 0, lifted.output
    assert lifted.output == "bob@example.org is no longer suppressed; the next run mails it\n"
    assert listed.find("bob@example.org").state == "confirmed"
    assert [(e.action, e.how) for e in listed.history("bob@example.org")[1]][-2:] == [
        ("bounced", "send"), ("confirmed", "operator")]
    again = run(project, "send", "--unsuppress", "bob@example.org", "--list", db_url)
    assert again.exit_code == 1 and "error: bob@example.org is not bounced in" in again.stderr

    result = send(project, db_url, server, "ledger")
    assert result.exit_code == 0, result.output
    assert server.handler.count("bob@example.org") == 1


class LeavesDuringTheSend(Recorder):
    """Cy unsubscribes (one click on last week's link) while the run is mailing Ana."""

    def __init__(self, store):
        super().__init__()
        self.store = store

    async def handle_DATA(self, server, session, envelope):
        if envelope.rcpt_tos == ["ana@example.org"]:
            cy = self.store.find("cy@example.org")
            self.store.unsubscribe(cy.id, NOW + dt.timedelta(days=1), "one-click")
        return await super().handle_DATA(server, session, envelope)


def test_someone_who_leaves_during_a_send_is_not_mailed_by_it(project, db_url, listed, smtp, monkeypatch):
    # One subscriber a batch, so that the run reads Cy's row after Ana's message has gone.
    monkeypatch.setattr("tipweek.list.recipients.BATCH", 1)
    server = smtp(LeavesDuringTheSend(listed))

    result = send(project, db_url, server, "ledger", "--connections", "1")

    assert result.exit_code == 0, result.output
    assert server.handler.recipients() == ["ana@example.org", "bob@example.org"]
    assert summary(result) == "sent 2, skipped 1 unsubscribed, 0 invalid, 0 failed"


class TheDatabaseGoes(Recorder):
    """The list's tables are gone (a restore gone wrong) while the run is mailing Ana."""

    def __init__(self, store):
        super().__init__()
        self.store = store

    async def handle_DATA(self, server, session, envelope):
        with self.store._write() as cur:
            cur.execute("DROP TABLE events")
            cur.execute("DROP TABLE subscribers")
        return await super().handle_DATA(server, session, envelope)


def test_a_database_that_fails_mid_run_ends_it_with_one_line(project, db_url, listed, smtp, monkeypatch):
    monkeypatch.setattr("tipweek.list.recipients.BATCH", 1)
    server = smtp(TheDatabaseGoes(listed))

    result = send(project, db_url, server, "ledger", "--connections", "1")

    assert result.exit_code == 2, result.output
    assert "error: the list's database failed: " in result.stderr
    assert "run the same command again to resume" in result.stderr
    assert "Traceback" not in result.output
    assert server.handler.recipients() == ["ana@example.org"]


def test_the_daily_quota_counts_a_list_send_with_the_csv_sends_of_the_same_folder(project, db_url, listed, smtp,
                                                                                   ledger_clock):
    """Two editions on one day through one relay: what another week's ledger in the folder sent
    today counts, the run stops at the quota (exit 3) and a day later goes on, mailing no one twice."""
    now = ledger_clock.now
    folder = project / "ledger"
    folder.mkdir()
    (folder / "2026-W46.jsonl").write_text("".join(
        json.dumps({"email": f"earlier{i}@example.org", "status": "sent", "at": (now - dt.timedelta(hours=2))
                    .isoformat(timespec="seconds")}) + "\n" for i in range(3)))
    server = smtp(Recorder())

    dry = send(project, db_url, server, "ledger", "--max-per-day", "5", "--dry-run")
    assert "the daily quota (--max-per-day 5) allows 2 more now: 3 sent in the last 24 hours; " in dry.stdout

    first = send(project, db_url, server, "ledger", "--max-per-day", "5")

    assert first.exit_code == 3, first.output
    assert summary(first) == "sent 2, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert "stopped at the daily quota: 5 sent in the last 24 hours (--max-per-day 5), 2 of them" in first.stderr
    assert len(server.handler.received) == 2

    ledger_clock.now = now + dt.timedelta(hours=24)
    second = send(project, db_url, server, "ledger", "--max-per-day", "5")

    assert second.exit_code == 0, second.output
    assert summary(second) == "sent 1, 2 already sent earlier, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert sorted(server.handler.recipients()) == [a for a, _ in LISTED]
