"""Deliver the week's message to a subscriber list, resumably and at most once
per address and week.

The ledger is one append-only file per week. Before a message goes out its
address is written as an ``attempt``; after the server (or the outbox) took
it, as ``sent``; each line is flushed and fsynced. A re-run skips ``sent``
addresses, and also an ``attempt`` with no outcome (the process died while the
server held the message: it may have been delivered, so it is reported as
uncertain instead of risking a second copy) or an ``uncertain`` one (the whole
message went out but its answer never came back). A lock file keeps two runs
for the same week apart; the ledger is read only once the lock is held.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import ipaddress
import json
import mailbox
import os
import re
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Callable, Iterable

ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


class SendError(Exception):
    """The run cannot go on (bad list, lock held, login refused, server gone)."""


class TemporaryFailure(Exception):
    """Worth another try later (4xx, dropped connection, timeout)."""


class ServerUnavailable(TemporaryFailure):
    """No session could be opened (no answer, busy, hung up on connect). It is
    the same for every address, so the run waits and retries as a whole
    instead of paying the timeout once per address."""


class UncertainDelivery(Exception):
    """The whole message went out but its answer never came (the server hung
    up or went quiet after the end of the data): it may have been delivered,
    so it must not be sent again."""


class PermanentFailure(Exception):
    """The server refused this address for good (5xx)."""


# ----------------------------------------------------------------- the list

@dataclass(frozen=True, slots=True)
class Subscriber:
    email: str
    name: str

    @property
    def key(self) -> str:
        return self.email.lower()


@dataclass
class SubscriberList:
    subscribers: list[Subscriber]
    invalid: list[tuple[int, str]]  # (line, address)
    duplicates: int


def read_subscribers(path: Path) -> SubscriberList:
    """A CSV with a header row and at least the columns ``email`` and ``name``."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise SendError(f"{path}: cannot read the subscriber list ({exc.strerror})") from None
    with handle:
        reader = csv.DictReader(handle)
        columns = {c.strip().lower() for c in reader.fieldnames or []}
        if not {"email", "name"} <= columns:
            raise SendError(f"{path}:1: the header row must name the columns 'email' and 'name' "
                            f"(found: {', '.join(sorted(columns)) or 'nothing'})")
        seen: set[str] = set()
        subscribers, invalid, duplicates = [], [], 0
        for row in reader:
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            email, name = row.get("email", ""), row.get("name", "")
            if not ADDRESS.match(email):
                invalid.append((reader.line_num, email))
                continue
            sub = Subscriber(email, name)
            if sub.key in seen:
                duplicates += 1
                continue
            seen.add(sub.key)
            subscribers.append(sub)
    return SubscriberList(subscribers, invalid, duplicates)


def read_suppressions(path: Path | None) -> set[str]:
    """Addresses not to mail: one per line, or a CSV with an ``email`` column."""
    if path is None:
        return set()
    try:
        text = path.read_text("utf-8-sig")
    except OSError as exc:
        raise SendError(f"{path}: cannot read the unsubscribed list ({exc.strerror})") from None
    found = set()
    for line in text.splitlines():
        for cell in line.split(","):
            cell = cell.strip().strip('"')
            if "@" in cell:
                found.add(cell.lower())
    return found


# ----------------------------------------------------------------- the ledger

class Ledger:
    """Append-only record of one week's deliveries."""

    def __init__(self, folder: Path, week: str):
        self.folder = folder
        self.path = folder / f"{week}.jsonl"
        self.lock_path = folder / f"{week}.lock"
        self.state: dict[str, str] = {}
        self._lock = None
        self._out = None

    def load(self) -> dict[str, str]:
        """address (lower case) -> its last status; read-only, no lock (a dry run)."""
        state: dict[str, str] = {}
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return state
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a crash mid-write
            if isinstance(entry, dict) and isinstance(entry.get("email"), str) and "status" in entry:
                state[entry["email"].lower()] = entry["status"]
        return state

    def __enter__(self) -> "Ledger":
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.lock_path, "a")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise SendError(f"another 'tipweek send' for this week is running (lock {self.lock_path}); "
                            "wait for it to finish") from None
        # Only now: a run that held the lock until a moment ago has written all it did.
        self.state = self.load()
        cut = self._ends_in_a_cut_line()
        self._out = open(self.path, "a", encoding="utf-8")
        if cut:  # a crash cut the last line: start on a fresh one, or the next entry is lost with it
            self._out.write("\n")
        return self

    def _ends_in_a_cut_line(self) -> bool:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                if handle.tell() == 0:
                    return False
                handle.seek(-1, os.SEEK_END)
                return handle.read(1) != b"\n"
        except FileNotFoundError:
            return False

    def __exit__(self, *exc) -> None:
        if self._out:
            self._out.close()
        if self._lock:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()

    def record(self, email: str, status: str, detail: str = "") -> None:
        entry = {"email": email, "status": status,
                 "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        if detail:
            entry["detail"] = detail
        self._out.write(json.dumps(entry) + "\n")
        self._out.flush()
        os.fsync(self._out.fileno())
        self.state[email.lower()] = status


# ----------------------------------------------------------------- transports

class MaildirOutbox:
    """Delivery into a Maildir folder: no server needed, easy to inspect."""

    def __init__(self, folder: Path):
        self.box = mailbox.Maildir(str(folder), create=True)
        self.where = f"outbox {folder}"

    def deliver(self, msg: EmailMessage, sender: str, recipient: str) -> None:
        self.box.add(msg)

    def close(self) -> None:
        pass


class _SMTP(smtplib.SMTP):
    """smtplib.SMTP that notes when the whole message (up to the final ".") is
    on the wire: from then on only the server knows whether it took it."""

    message_sent = False

    def data(self, msg):
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = re.sub(r"(?:\r\n|\n|\r(?!\n))", "\r\n", msg).encode("ascii")
        data = re.sub(rb"(?m)^\.", b"..", msg)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        self.send(data + b".\r\n")
        self.message_sent = True
        return self.getreply()


def is_loopback(host: str) -> bool:
    """True for a server on this machine (where a login needs no TLS)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SmtpTransport:
    """One SMTP session for the whole run, reopened when the server drops it."""

    def __init__(self, host: str, port: int, *, starttls: bool = False, user: str | None = None,
                 password: str | None = None, timeout: float = 30.0):
        self.host, self.port, self.starttls = host, port, starttls
        self.user, self.password, self.timeout = user, password, timeout
        self.where = f"smtp {host}:{port}"
        self._smtp: smtplib.SMTP | None = None

    def _lost(self, exc: BaseException) -> str:
        """Why the link broke: smtplib reports a timeout as a disconnection."""
        if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
            return f"no answer from {self.where} within {self.timeout:g} s"
        return f"{self.where} dropped the connection"

    def _connect(self) -> _SMTP:
        if self.user and self.password is None:
            raise SendError("--user is set but TIPWEEK_SMTP_PASSWORD is not")
        try:
            smtp = _SMTP(self.host, self.port, timeout=self.timeout)
        except smtplib.SMTPConnectError as exc:
            if 400 <= exc.smtp_code < 500:
                raise ServerUnavailable(f"{self.where} is busy: {exc.smtp_code} {_text(exc.smtp_error)}") from None
            raise SendError(f"{self.where} refused the connection: {exc.smtp_code} {_text(exc.smtp_error)}") from None
        except (smtplib.SMTPServerDisconnected, TimeoutError) as exc:
            raise ServerUnavailable(self._lost(exc)) from None
        except OSError as exc:
            raise SendError(f"cannot connect to {self.where}: {exc.strerror or exc}") from None
        try:
            code, reply = smtp.ehlo()
            if 400 <= code < 500:
                raise smtplib.SMTPResponseException(code, reply)
            if self.starttls:
                if not smtp.has_extn("starttls"):
                    raise SendError(f"{self.where} does not offer STARTTLS; refusing to send the password "
                                    "or the list in clear text")
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password)
        except SendError:
            smtp.close()
            raise
        except smtplib.SMTPAuthenticationError as exc:
            smtp.close()
            raise SendError(f"{self.where} refused the login for {self.user}: {exc.smtp_code} "
                            f"{_text(exc.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError as exc:
            smtp.close()
            raise SendError(f"{self.where}: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            smtp.close()
            if 400 <= exc.smtp_code < 500:
                raise ServerUnavailable(f"{self.where} is busy: {exc.smtp_code} {_text(exc.smtp_error)}") from None
            raise SendError(f"{self.where} refused the session: {exc.smtp_code} {_text(exc.smtp_error)}") from None
        except ssl.SSLError as exc:
            smtp.close()
            raise SendError(f"{self.where}: TLS failure: {exc}") from None
        except (smtplib.SMTPServerDisconnected, TimeoutError) as exc:
            smtp.close()
            raise ServerUnavailable(self._lost(exc)) from None
        except OSError as exc:
            smtp.close()
            raise SendError(f"{self.where}: network failure: {exc}") from None
        return smtp

    def deliver(self, msg: EmailMessage, sender: str, recipient: str) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        smtp = self._smtp
        smtp.message_sent = False
        try:
            smtp.send_message(msg, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = exc.recipients[recipient]
            self._reset()
            raise (TemporaryFailure if 400 <= code < 500 else PermanentFailure)(f"{code} {_text(reply)}") from None
        except smtplib.SMTPResponseException as exc:
            # The server answered: whatever the step, it did not take the message.
            self._drop() if exc.smtp_code == 421 else self._reset()
            raise (TemporaryFailure if 400 <= exc.smtp_code < 500 else PermanentFailure)(
                f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError as exc:  # e.g. an address that needs SMTPUTF8
            self._reset()
            raise PermanentFailure(f"{self.where}: {exc}") from None
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            reason = self._lost(exc) if isinstance(exc, (smtplib.SMTPServerDisconnected, TimeoutError)) \
                else f"network error: {exc}"
            if smtp.message_sent:
                raise UncertainDelivery(f"{reason} after the message was sent") from None
            raise TemporaryFailure(reason) from None

    def _reset(self) -> None:
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


# ----------------------------------------------------------------- the run

@dataclass
class Report:
    sent: int = 0
    already: int = 0
    unsubscribed: int = 0
    duplicates: int = 0
    invalid: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[tuple[str, str]] = field(default_factory=list)  # (address, why)
    aborted: str | None = None

    def summary(self, dry_run: bool = False) -> str:
        verb = "would send" if dry_run else "sent"
        parts = [f"{verb} {self.sent}"]
        if self.already:
            parts.append(f"{self.already} already sent earlier")
        parts.append(f"skipped {self.unsubscribed} unsubscribed")
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicate{'s' * (self.duplicates != 1)}")
        parts.append(f"{len(self.invalid)} invalid")
        if self.uncertain:
            parts.append(f"{len(self.uncertain)} uncertain")
        parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts)

    @property
    def exit_code(self) -> int:
        if self.aborted:
            return 2
        return 1 if self.failed or self.uncertain else 0


STOPPED_EARLIER = "a run stopped while sending to it"


def still_to_send(subscribers: Iterable[Subscriber], state: dict[str, str], report: Report) -> list[Subscriber]:
    """Those the ledger has not seen (or saw fail). Not those it has as sent,
    nor those that may have been delivered (an ``attempt`` with no outcome, or
    ``uncertain``): at most one message per address and week."""
    queue = []
    for sub in subscribers:
        status = state.get(sub.key)
        if status == "sent":
            report.already += 1
        elif status in ("attempt", "uncertain"):
            report.uncertain.append((sub.email, STOPPED_EARLIER if status == "attempt"
                                     else "the server may have taken it in an earlier run"))
        else:
            queue.append(sub)
    return queue


def deliver_all(subscribers: Iterable[Subscriber], make_message: Callable[[Subscriber], EmailMessage],
                sender: str, transport, ledger: Ledger, report: Report, *, retries: int = 3,
                backoff: float = 2.0, sleep: Callable[[float], None] = time.sleep,
                progress: Callable[[Subscriber], None] = lambda s: None) -> Report:
    """Send to each subscriber the ledger has not seen; retry temporary
    failures up to ``retries`` times, waiting ``backoff`` * 2**n seconds.
    When no session can be opened at all, the round ends for everyone and the
    run gives up (aborted) after ``retries`` + 1 such failures."""
    pending = [(sub, 0) for sub in still_to_send(subscribers, ledger.state, report)]
    round_ = 0
    unavailable = 0
    while pending:
        later: list[tuple[Subscriber, int]] = []
        if round_:
            sleep(backoff * 2 ** (round_ - 1))
        for index, (sub, tries) in enumerate(pending):
            msg = make_message(sub)
            ledger.record(sub.email, "attempt")
            try:
                transport.deliver(msg, sender, sub.email)
            except ServerUnavailable as exc:
                ledger.record(sub.email, "failed", f"temporary: {exc}")
                unavailable += 1
                if unavailable > retries:
                    report.aborted = f"{exc}; gave up after {unavailable} tries"
                    return report
                later.extend(pending[index:])  # nobody else can be sent this round either
                break
            except TemporaryFailure as exc:
                ledger.record(sub.email, "failed", f"temporary: {exc}")
                if tries + 1 <= retries:
                    later.append((sub, tries + 1))
                    continue
                report.failed.append((sub.email, f"gave up after {retries + 1} tries: {exc}"))
            except UncertainDelivery as exc:
                ledger.record(sub.email, "uncertain", str(exc))
                report.uncertain.append((sub.email, str(exc)))
            except PermanentFailure as exc:
                ledger.record(sub.email, "failed", f"permanent: {exc}")
                report.failed.append((sub.email, str(exc)))
            except SendError as exc:
                ledger.record(sub.email, "failed", f"aborted: {exc}")
                report.aborted = str(exc)
                return report
            else:
                ledger.record(sub.email, "sent")
                report.sent += 1
            progress(sub)  # once per subscriber, at its outcome
        pending = later
        round_ += 1
    return report
