"""What a check of `tipweek doctor` found, and the exit status of them all."""

from __future__ import annotations

from dataclasses import asdict, dataclass


OK, MISSING, WRONG, ERROR = "ok", "missing", "wrong", "error"
SKIPPED = "skipped"  # not checked, on purpose (not the list service's endpoint); no effect on the exit status


@dataclass
class Finding:
    check: str  # SPF, DKIM, DMARC, return-path, list_url, one-click, SMTP
    status: str  # ok, missing, wrong, error (the check could not be made)
    found: str  # what was found, in a sentence
    fix: str = ""  # what to do: the record or setting to add

    def line(self) -> str:
        text = f"{self.found}: {self.fix}" if self.fix else self.found
        return f"{self.status:<8} {self.check:<11} {text}"

    def as_dict(self) -> dict:
        return asdict(self)


def exit_code(findings: list[Finding]) -> int:
    """2 when a DNS check could not be made, 1 when something is missing or wrong, else 0."""
    if any(f.status == ERROR for f in findings):
        return 2
    return 1 if any(f.status in (MISSING, WRONG) for f in findings) else 0
