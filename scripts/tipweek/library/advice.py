"""Advice on a tip that does not stop `tipweek check` (it still passes, and says so):
a level-1 heading in a tip, which would sit beside the tip's own title."""

from __future__ import annotations

import re
from typing import Iterable

from .model import Tip, TipError

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HASH_ONE = re.compile(r"^ {0,3}#(?:[ \t]|$)")  # '# Heading' (not '##', not '#hashtag')
_EQUALS_UNDERLINE = re.compile(r"^ {0,3}=+[ \t]*$")  # a line of '=' under text: its heading is level 1


def level_one_headings(body: str) -> list[int]:
    """The 0-based lines of ``body`` that Markdown makes level-1 headings
    ('# Heading', or text underlined with '==='), outside fenced code."""
    if "#" not in body and "=" not in body:
        return []
    found: list[int] = []
    fence, previous = "", ""
    for number, line in enumerate(body.split("\n")):
        opening = _FENCE.match(line)
        if fence:
            if opening and line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = ""
        elif opening:
            fence = opening.group(1)
        elif _HASH_ONE.match(line):
            found.append(number)
        elif _EQUALS_UNDERLINE.match(line) and previous.strip() and not previous.startswith(("    ", "\t")):
            found.append(number - 1)
        previous = "" if fence else line
    return found


def heading_warnings(tips: Iterable[Tip], root) -> list[TipError]:
    """A level-1 heading in a tip's body: the tip's title is the one level-1
    heading wherever the tip is shown (the site lowers a body's headings
    under it, so nothing breaks; the warning keeps the source as it shows).
    ``root`` is the folder the tips' paths are relative to; a file is read
    again only when its body has such a heading, to name the line."""
    from pathlib import Path

    found = []
    for tip in tips:
        lines = level_one_headings(tip.body)
        if not lines:
            continue
        try:
            text = (Path(root) / tip.path).read_text(encoding="utf-8").replace("\r\n", "\n")
        except (OSError, UnicodeDecodeError):  # gone or changed since it was read: the next check says
            continue
        at = text.rfind(tip.body.strip("\n"))
        first = text.count("\n", 0, at) + 1 if at >= 0 else 1  # the body's first line in the file
        body = tip.body.split("\n")
        for line in lines:
            heading = body[line].strip().lstrip("#").strip()
            if _HASH_ONE.match(body[line]):
                hint = f"write it '## {heading}'" if heading else "write '## ' and the heading"
            else:
                hint = "underline it with '---' instead of '===', or write it '## ' + the heading"
            found.append(TipError(tip.path, first + line, f"'{heading}' is a level-1 heading; in a tip only the "
                                  "title is one, and the tip's headings go below it", hint))
    return found


def unloaded_heading_warnings(paths: Iterable[str], root) -> list[TipError]:
    """:func:`heading_warnings` for tip files that did not load (an error in
    their front matter, say): read from the body after the front matter, so
    an error does not hide a warning of the same file."""
    from pathlib import Path
    from types import SimpleNamespace

    import frontmatter

    found = []
    for where in paths:
        try:
            text = (Path(root) / where).read_text(encoding="utf-8").replace("\r\n", "\n")
            _, body = frontmatter.YAMLHandler().split(text)
        except (OSError, UnicodeDecodeError, ValueError):  # no body to look in: the error says why
            continue
        found += heading_warnings([SimpleNamespace(path=where, body=body.removeprefix("\n"))], root)
    return found
