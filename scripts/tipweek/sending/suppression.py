"""Addresses suppressed after a hard bounce.

One file for the whole project, read by every week's run, beside the weekly
ledgers (``.tipweek/ledger/suppressed.txt`` by default) so that whatever
keeps the ledgers between runs, such as the publish workflow's cache, keeps
it too. A line is ``address<TAB>week<TAB>the server's answer``; an operator
may also add a bare address by hand, and ``tipweek send --unsuppress ADDRESS``
takes one out again.
"""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import SendError
from ..outputs.atomic import write_atomic

HEADER = ("# Addresses tipweek no longer mails after a hard bounce (address, week, the server's answer).\n"
          "# 'tipweek send --unsuppress ADDRESS' mails one again from the next run.\n")


@dataclass(frozen=True, slots=True)
class Suppressed:
    email: str
    week: str = ""
    reason: str = ""


class SuppressionList:
    def __init__(self, path: Path):
        self.path = path
        self._threads = threading.Lock()

    def load(self) -> dict[str, Suppressed]:
        """address (lower case) -> why it is suppressed."""
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise SendError(f"{self.path}: cannot read the suppression list ({exc.strerror})") from None
        found: dict[str, Suppressed] = {}
        for line in text.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            email, week, reason = (line.split("\t", 2) + ["", ""])[:3]
            email = email.strip()
            if "@" in email:
                found.setdefault(email.lower(), Suppressed(email, week.strip(), reason.strip()))
        return found

    @contextmanager
    def _locked(self):
        """Runs of different weeks may add at the same time; keep them apart."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._threads, open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def add(self, email: str, week: str, reason: str) -> None:
        line = "\t".join((email, week, " ".join(reason.split()))) + "\n"
        with self._locked():
            new = not self.path.exists() or self.path.stat().st_size == 0
            with open(self.path, "a", encoding="utf-8") as out:
                out.write((HEADER if new else "") + line)
                out.flush()
                os.fsync(out.fileno())

    def remove(self, email: str) -> bool:
        """Take ``email`` off the list; False when it was not on it."""
        with self._locked():
            try:
                lines = self.path.read_text("utf-8").splitlines(keepends=True)
            except FileNotFoundError:
                return False
            except OSError as exc:
                raise SendError(f"{self.path}: cannot read the suppression list ({exc.strerror})") from None
            kept = [line for line in lines
                    if line.lstrip().startswith("#") or line.split("\t", 1)[0].strip().lower() != email.lower()]
            if len(kept) == len(lines):
                return False
            write_atomic(self.path, "".join(kept))
            return True
