"""`tipweek send --max-errors` (stop after deliveries failed in a row) and
`--max-per-day` (a daily quota over every week's ledger), against aiosmtpd on
127.0.0.1, as the user sees them: what arrives, what the run says, its exit
code, the ledger, and that the next run goes on and mails no one twice. The
quota's clock (the ledger's) is set by the test; nothing waits for real time."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from smtp_servers import FaultyHandler, RefusingHandler

WEEK = "2026-W47"  # the week of the tip of 2026-11-17 (TIPWEEK_TODAY is 2026-11-22)
TEN = [(f"{c}@example.org", c.upper()) for c in "abcdefghij"]
HOUR = dt.timedelta(hours=1)

pytestmark = pytest.mark.usefixtures("only_loopback")  # conftest: nothing may reach past 127.0.0.1


@pytest.fixture(autouse=True)
def no_password_from_outside(monkeypatch):
    monkeypatch.delenv("TIPWEEK_SMTP_PASSWORD", raising=False)


@pytest.fixture
def berlin():
    """This machine's time zone, for the local form of "run again after"."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    yield ZoneInfo("Europe/Berlin")
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def subscribers(project: Path, people) -> Path:
    path = project / "subscribers.csv"
    path.write_text("email,name\n" + "".join(f"{a},{n}\n" for a, n in people), "utf-8")
    return path


def via(server, *extra: str) -> tuple[str, ...]:
    return ("--smtp", server.address, "--backoff", "0", "--timeout", "10", *extra)


def summary(result) -> str:
    return result.stdout.splitlines()[-1]


def ledgers(project: Path) -> Path:
    return project / ".tipweek" / "ledger"


def ledger(project: Path, week: str = WEEK) -> dict[str, list[str]]:
    """address -> its statuses in the week's ledger, in order."""
    found: dict[str, list[str]] = {}
    path = ledgers(project) / f"{week}.jsonl"
    for line in path.read_text("utf-8").splitlines() if path.exists() else []:
        entry = json.loads(line)
        found.setdefault(entry["email"], []).append(entry["status"])
    return found


def rerun_command(result) -> list[str]:
    """The command the run printed to go on with, as arguments for the `tipweek` fixture."""
    found = re.search(r"\n  (tipweek send .*)\n", result.stderr)
    assert found, result.stderr
    words = shlex.split(found[1])
    assert words[:2] == ["tipweek", "send"]
    return words[1:]


# ------------------------------------------------------------------ --max-errors

@pytest.mark.parametrize("connections", [1, 3], ids=["1 connection", "3 connections"])
@pytest.mark.parametrize("at, reply", [("RCPT", "550 5.7.1 relaying denied: account suspended"),
                                       ("DATA", "554 5.7.1 account suspended")],
                         ids=["5xx to every RCPT", "5xx to every message"])
def test_a_relay_that_refuses_everything_stops_the_run_and_the_rerun_mails_everyone_once(
        tipweek, project, smtp, at, reply, connections):
    handler = RefusingHandler(reply, at)
    server = smtp(handler)
    csv = subscribers(project, TEN)

    first = tipweek("send", "--subscribers", str(csv),
                    *via(server, "--connections", str(connections), "--max-errors", "4"))

    assert first.exit_code == 2, first.output
    tried = handler.refused
    assert 4 <= len(tried) <= 4 + connections - 1 and len(set(tried)) == len(tried)  # those in flight finish
    why = re.search(r"error: stopped after 4 deliveries in a row failed \(the 4th to (\S+): "
                    + re.escape(reply) + r"\)" + "\nNo one is marked for the stop: the next run tries the failed ones "
                    "again and goes on with those not yet tried.\nOnce the cause is fixed, run the same command "
                    "again to resume", first.stderr)
    assert why and why[1] in tried, first.stderr
    assert server.handler.received == []
    assert sorted(ledger(project)) == sorted(tried)  # the others have no line: not yet tried
    assert not (ledgers(project) / "suppressed.txt").exists()  # a 5xx to every RCPT is no hard bounce of each
    status = json.loads(tipweek("send", "--status", "--json", "--subscribers", str(csv)).stdout)
    assert sorted(f["email"] for f in status["failed"]) == sorted(tried)
    assert sorted(status["not_yet_tried"]) == sorted(a for a, _ in TEN if a not in tried)

    handler.refusing = False  # the account is back
    again = tipweek(*rerun_command(first))

    assert again.exit_code == 0, again.output
    assert summary(again) == "sent 10, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert {a: handler.count(a) for a, _ in TEN} == {a: 1 for a, _ in TEN}


@pytest.mark.parametrize("on_path", [False, True], ids=["run by its path", "found on PATH"])
def test_the_command_to_run_again_names_the_program_as_it_was_run(tipweek, project, smtp, tmp_path, monkeypatch,
                                                                  on_path):
    """`.venv/bin/tipweek send ...` is told to run `.venv/bin/tipweek send ...` again; `tipweek`
    found on PATH (which runs it by its full path) is told `tipweek`."""
    program = tmp_path / ".venv" / "bin" / "tipweek"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", [str(program) if on_path else ".venv/bin/tipweek", "send"])
    monkeypatch.setenv("PATH", os.pathsep.join([str(program.parent)] * on_path + ["/usr/bin", "/bin"]))
    server = smtp(RefusingHandler("554 5.7.1 account suspended", "DATA"))

    result = tipweek("send", "--subscribers", str(subscribers(project, TEN)),
                     *via(server, "--connections", "1", "--max-errors", "2"))

    assert result.exit_code == 2, result.output
    shown = "tipweek" if on_path else ".venv/bin/tipweek"
    assert ("Once the cause is fixed, run the same command again to resume; it goes on from the ledger and mails "
            f"no one twice:\n  {shown} send --subscribers ") in result.stderr


def test_a_delivery_between_failures_starts_the_count_again(tipweek, project, smtp):
    gone = ["x1@example.org", "x2@example.org", "x3@example.org", "x4@example.org", "x5@example.org"]
    people = [(a, "") for a in ["x1@example.org", "x2@example.org", "ok1@example.org", "x3@example.org",
                                "x4@example.org", "ok2@example.org", "x5@example.org"]]
    handler = FaultyHandler(permanent={a: "550 5.1.1 no such mailbox" for a in gone})
    server = smtp(handler)

    result = tipweek("send", "--subscribers", str(subscribers(project, people)),
                     *via(server, "--connections", "1", "--max-errors", "3"))

    assert result.exit_code == 1, result.output  # never 3 in a row: to the end of the list
    assert summary(result) == "sent 2, skipped 0 unsubscribed, 0 invalid, 5 failed"
    assert handler.recipients() == ["ok1@example.org", "ok2@example.org"]
    # The relay took mail between them: the bounces are the addresses' own, and suppressed
    # (x5 too, after the last delivery: the run got to the end of its list).
    for address in gone:
        assert f"failed: {address}: 550 5.1.1 no such mailbox; suppressed from now on" in result.stderr
    suppressed = (ledgers(project) / "suppressed.txt").read_text()
    assert sorted(line.split("\t")[0] for line in suppressed.splitlines() if not line.startswith("#")) == gone


NOT_SUPPRESSED = ("no message went through in this run, so its 5 hard bounces are not suppressed: the relay may be "
                  "refusing everything; the next run tries them again")


def test_a_relay_that_refuses_every_address_of_a_short_list_suppresses_no_one(tipweek, project, smtp):
    """Fewer addresses than --max-errors (or a re-run with a few left): the run gets to the end
    of its list without the breaker, but the relay never took a message, so its 5xx answers
    say nothing about the addresses."""
    handler = RefusingHandler("550 5.7.1 relaying denied", "RCPT")
    server = smtp(handler)
    people = TEN[:5]
    args = ("send", "--subscribers", str(subscribers(project, people)), *via(server))  # --max-errors 25

    first = tipweek(*args)

    assert first.exit_code == 1, first.output
    assert summary(first) == "sent 0, skipped 0 unsubscribed, 0 invalid, 5 failed"
    assert sorted(handler.refused) == [a for a, _ in people]
    assert "suppressed from now on" not in first.stderr
    assert NOT_SUPPRESSED in first.stderr
    assert not (ledgers(project) / "suppressed.txt").exists()
    status = json.loads(tipweek("send", "--status", "--json").stdout)
    assert status["suppressed"] == [] and sorted(f["email"] for f in status["failed"]) == [a for a, _ in people]

    handler.refusing = False  # the relay takes mail again
    again = tipweek(*args)

    assert again.exit_code == 0, again.output
    assert summary(again) == "sent 5, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert {a: handler.count(a) for a, _ in people} == {a: 1 for a, _ in people}


def test_a_hard_bounce_in_a_run_that_delivered_is_still_suppressed(tipweek, project, smtp):
    handler = FaultyHandler(permanent={"c@example.org": "550 5.1.1 no such mailbox"})
    server = smtp(handler)
    args = ("send", "--subscribers", str(subscribers(project, TEN[:5])), *via(server))  # 4 connections

    first = tipweek(*args)

    assert first.exit_code == 1, first.output
    assert summary(first) == "sent 4, skipped 0 unsubscribed, 0 invalid, 1 failed"
    assert "failed: c@example.org: 550 5.1.1 no such mailbox; suppressed from now on" in first.stderr
    assert "not suppressed" not in first.stderr
    assert (ledgers(project) / "suppressed.txt").read_text().count("c@example.org") == 1

    tried = len(handler.rcpt_log)
    again = tipweek(*args)
    assert again.exit_code == 0, again.output
    assert summary(again) == "sent 0, 4 already sent earlier, skipped 0 unsubscribed, 1 suppressed, 0 invalid, 0 failed"
    assert handler.rcpt_log[tried:] == []


@pytest.mark.parametrize("option, tried, code", [((), 25, 2), (("--max-errors", "0"), 30, 1)],
                         ids=["25 by default", "0: never"])
def test_the_breaker_trips_at_25_by_default_and_never_with_0(tipweek, project, smtp, option, tried, code):
    handler = RefusingHandler("554 5.7.1 account suspended", "DATA")
    server = smtp(handler)
    people = [(f"p{i:02}@example.org", "") for i in range(30)]

    result = tipweek("send", "--subscribers", str(subscribers(project, people)),
                     *via(server, "--connections", "1", *option))

    assert result.exit_code == code, result.output
    assert len(handler.refused) == tried
    assert summary(result) == f"sent 0, skipped 0 unsubscribed, 0 invalid, {tried} failed"


@pytest.mark.parametrize("reply", ["451 4.7.1 greylisted, try again later", "454 4.7.0 Throttling failure"],
                         ids=["greylisting", "throttling"])
def test_a_temporary_failure_counts_only_once_its_retries_are_used_up(tipweek, project, smtp, reply):
    """An internal list on one domain whose server greylists every new sender-recipient pair, or a
    relay that throttles: every first try gets a 4xx, and the retry rounds deliver them all."""
    people = [(f"p{i:02}@example.org", "") for i in range(30)]
    handler = FaultyHandler(temporary={a: reply for a, _ in people})
    server = smtp(handler)

    result = tipweek("send", "--subscribers", str(subscribers(project, people)),
                     *via(server, "--max-errors", "5"))

    assert result.exit_code == 0, result.output
    assert summary(result) == "sent 30, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert sorted(handler.recipients()) == [a for a, _ in people]


def test_a_temporary_failure_with_no_try_left_counts_towards_the_breaker(tipweek, project, smtp):
    handler = RefusingHandler("451 4.3.0 try again later", "RCPT")
    server = smtp(handler)

    result = tipweek("send", "--subscribers", str(subscribers(project, TEN)),
                     *via(server, "--connections", "1", "--retries", "1", "--max-errors", "4"))

    assert result.exit_code == 2, result.output
    assert len(handler.refused) == 10 + 4  # every address once, then the last tries until the breaker trips
    assert "error: stopped after 4 deliveries in a row failed" in result.stderr
    assert summary(result) == "sent 0, skipped 0 unsubscribed, 0 invalid, 4 failed"
    assert "failed: a@example.org: gave up after 2 tries: 451 4.3.0 try again later" in result.stderr


# ------------------------------------------------------------------ --max-per-day

def write_ledger(project: Path, week: str, entries: list[dict]) -> None:
    path = ledgers(project) / f"{week}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))


def iso(at: dt.datetime) -> str:
    return at.isoformat(timespec="seconds")


def when(at: dt.datetime, zone: ZoneInfo) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC ({at.astimezone(zone):%a %d %b %H:%M:%S %Z} here)"


def test_the_daily_quota_counts_every_weeks_ledger_stops_at_n_and_says_when_to_go_on(
        tipweek, project, smtp, ledger_clock, berlin):
    now = ledger_clock.now
    write_ledger(project, "2026-W46", [  # last week's edition, sent again yesterday and today
        {"email": "old@example.org", "status": "sent", "at": iso(now - 25 * HOUR)},  # out of the window
        {"email": "p@example.org", "status": "attempt", "at": iso(now - 23 * HOUR)},
        {"email": "p@example.org", "status": "sent", "at": iso(now - 23 * HOUR)},
        {"email": "q@example.org", "status": "sent", "at": iso(now - 20 * HOUR)},
        {"email": "r@example.org", "status": "failed", "at": iso(now - HOUR)},  # did not go out
        {"email": "s@example.org", "status": "sent"},  # a line without a time (written by hand)
    ])
    server = smtp()
    people = TEN[:6]
    csv = subscribers(project, people)
    args = ("send", "--subscribers", str(csv), *via(server, "--connections", "3", "--max-per-day", "5"))

    dry = tipweek(*args, "--dry-run")

    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines()[-2:] == [
        "the daily quota (--max-per-day 5) allows 3 more now: 2 sent in the last 24 hours; a run now would "
        f"stop after 3 and could go on after {when(now + HOUR, berlin)}",
        "would send 6, skipped 0 unsubscribed, 0 invalid, 0 failed"]

    first = tipweek(*args)

    assert first.exit_code == 3, first.output
    assert summary(first) == "sent 3, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert (f"stopped at the daily quota: 5 sent in the last 24 hours (--max-per-day 5), 3 of them by this run. "
            f"Run the same command again after {when(now + HOUR, berlin)}, when the oldest of them is 24 hours old; "
            "it goes on where this run stopped and mails no one twice:\n  tipweek send --subscribers") in first.stderr
    assert len(server.handler.received) == 3
    assert list(ledger(project).values()) == [["attempt", "sent"]] * 3  # the other three: not yet tried

    ledger_clock.now = now + HOUR  # p's message of yesterday leaves the window
    second = tipweek(*rerun_command(first))

    assert second.exit_code == 3, second.output
    assert summary(second) == "sent 1, 3 already sent earlier, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert f"Run the same command again after {when(now + 4 * HOUR, berlin)}" in second.stderr  # q's

    ledger_clock.now = now + 25 * HOUR  # a day after both runs
    third = tipweek(*args)

    assert third.exit_code == 0, third.output
    assert summary(third) == "sent 2, 4 already sent earlier, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert {a: server.handler.count(a) for a, _ in people} == {a: 1 for a, _ in people}


def test_the_quota_holds_over_several_connections_and_a_refused_message_takes_no_slot(tipweek, project, smtp,
                                                                                      ledger_clock):
    handler = FaultyHandler(permanent={"a@example.org": "550 5.1.1 no such mailbox"})
    server = smtp(handler)

    result = tipweek("send", "--subscribers", str(subscribers(project, TEN)),
                     *via(server, "--connections", "3", "--max-per-day", "4"))

    assert result.exit_code == 1, result.output  # a failure: not hidden behind the stop at the quota
    assert len(handler.received) == 4
    assert summary(result) == "sent 4, skipped 0 unsubscribed, 0 invalid, 1 failed"
    assert "stopped at the daily quota: 4 sent in the last 24 hours (--max-per-day 4), 4 of them" in result.stderr


@pytest.mark.parametrize("handler, news", [
    (lambda: FaultyHandler(permanent={"b@example.org": "550 5.1.1 no such mailbox"}),
     "failed: b@example.org: 550 5.1.1 no such mailbox"),
    (lambda: FaultyHandler(lose_answer={"b@example.org": "drop"}), "uncertain: b@example.org: "),
], ids=["a failure", "an uncertain delivery"])
def test_a_stop_at_the_quota_after_a_failure_exits_1_so_that_someone_hears_of_it(
        tipweek, project, smtp, ledger_clock, handler, news):
    """The documented unit takes exit 3 as success (SuccessExitStatus=3): a run that stops at the
    quota must not hide what went wrong before it."""
    server = smtp(handler())
    args = ("send", "--subscribers", str(subscribers(project, TEN)), *via(server, "--connections", "1"))

    result = tipweek(*args, "--max-per-day", "3")

    assert result.exit_code == 1, result.output
    assert news in result.stderr
    assert "stopped at the daily quota: 3 sent in the last 24 hours (--max-per-day 3), 3 of them" in result.stderr
    assert "--max-per-day 3" in " ".join(rerun_command(result))


def test_a_quota_already_used_up_sends_nothing_and_an_empty_week_is_no_stop(tipweek, project, smtp, ledger_clock,
                                                                           berlin):
    now = ledger_clock.now
    write_ledger(project, "2026-W46", [{"email": f"{c}@example.org", "status": "sent", "at": iso(now - k * HOUR)}
                                       for k, c in enumerate("abc", start=1)])
    server = smtp()
    csv = subscribers(project, TEN[:2])

    full = tipweek("send", "--subscribers", str(csv), *via(server, "--max-per-day", "3"))

    assert full.exit_code == 3, full.output
    assert server.handler.received == [] and ledger(project) == {}
    assert f"0 of them by this run. Run the same command again after {when(now + 21 * HOUR, berlin)}" in full.stderr

    ledger_clock.now = now + 24 * HOUR
    done = tipweek("send", "--subscribers", str(csv), *via(server, "--max-per-day", "3"))
    assert done.exit_code == 0 and summary(done).startswith("sent 2,"), done.output

    nothing_left = tipweek("send", "--subscribers", str(csv), *via(server, "--max-per-day", "2"))
    assert nothing_left.exit_code == 0, nothing_left.output  # full again, but no one is waiting
    assert "daily quota" not in nothing_left.output
