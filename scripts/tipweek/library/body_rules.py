"""What a tip's body (and its text fields) must not hold: raw HTML that could run
script in a reader's browser or mail client, characters XML cannot carry, and
the scaffold's placeholder lines."""

from __future__ import annotations

import re

from .model import TipError
from .starter import SCAFFOLD_LINES

# Characters XML 1.0 cannot carry (feeds would break) and that no editor means to type.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
# Raw HTML that could run script in a reader's browser or mail client.
UNSAFE_HTML = (
    (re.compile(r"<\s*(script|iframe|object|embed|frame|frameset|base|meta)\b", re.I),
     "raw <{0}> is not allowed in a tip", "write it in Markdown; embedded HTML that can run code is refused"),
    (re.compile(r"<[a-z][^>]*\s(on[a-z]+)\s*=", re.I),
     "HTML event-handler attribute '{0}' is not allowed", "remove the attribute"),
    (re.compile(r"(javascript|vbscript)\s*:", re.I),
     "a '{0}:' URL is not allowed", "link to an https:// address instead"),
)
_ANY_UNSAFE = re.compile("|".join(f"(?:{p.pattern})" for p, _, _ in UNSAFE_HTML), re.I)


def body_problems(body: str, first_line: int, where: str) -> list[TipError]:
    """Raw HTML that could run script, control characters, scaffold lines.
    One pass of C-level searches over the whole body; lines are only walked
    (to name them) when something was found."""
    maybe_unsafe = ("<" in body or "script" in body.lower()) and _ANY_UNSAFE.search(body)
    if not (maybe_unsafe or CONTROL.search(body) or any(line in body for line in SCAFFOLD_LINES)):
        return []
    found = []
    for number, line in enumerate(body.split("\n"), start=first_line):
        for pattern, message, hint in UNSAFE_HTML:
            match = pattern.search(line)
            if match:
                found.append(TipError(where, number, message.format(match.group(1).lower()), hint))
        control = CONTROL.search(line)
        if control:
            found.append(TipError(where, number, f"the body contains the control character "
                                  f"U+{ord(control.group()):04X}", "delete it; retype the text"))
        if line.strip() in SCAFFOLD_LINES:
            found.append(TipError(where, number, "placeholder text from 'tipweek new' is still there",
                                  "replace it with the tip"))
    return found
