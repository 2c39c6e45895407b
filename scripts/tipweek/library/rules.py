"""The rules a tip and the principle vocabulary must follow.

``loader`` reads the files; the functions here turn what it read into
records, appending every problem they find (with its line and a fix) to the
``errors`` list they are given, so one pass reports everything.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable

from .local_links import may_link
from .model import Principle, Tip, TipError
from .dates import Publishing, off_weekday
from .body_rules import CONTROL, body_problems

ALLOWED_KEYS = ("title", "date", "tags", "summary", "author", "draft", "evergreen", "source", "discuss", "try")
REQUIRED_KEYS = ("title", "date", "tags", "summary")
TEXT_KEYS = ("title", "summary", "author", "discuss", "try")
PRINCIPLE_KEYS = ("name", "definition", "description")
MAX_TITLE = 100
MAX_SUMMARY = 300
MAX_HUDDLE = 200  # discuss: and try:, read aloud in a team huddle
FILE_NAME = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_REQUIRED_HINTS = {
    "title": "add e.g. title: Own the mistake",
    "date": "add the publish date, e.g. date: 2026-11-24",
    "tags": "add the principles it teaches, e.g. tags: [ownership]",
    "summary": "add one sentence that says what the tip teaches",
}


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    import difflib  # (only for a word that is not known)

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


# --------------------------------------------------------------------------- principles

def principles(data: Any, key_lines: dict[str, int], where: str, errors: list[TipError]) -> dict[str, Principle]:
    """The vocabulary from the parsed principles.yml."""
    if not isinstance(data, dict) or not data:
        errors.append(TipError(where, 1, "expected a mapping of principle slugs to their name, "
                               "definition and description"))
        return {}
    found = {}
    for slug, entry in data.items():
        line = key_lines.get(str(slug), 0) + 1
        if not isinstance(slug, str) or not SLUG.match(slug):
            errors.append(TipError(where, line, f"principle slug {slug!r} is not lowercase words joined by hyphens"))
            continue
        if not isinstance(entry, dict):
            errors.append(TipError(where, line, f"principle '{slug}' needs name, definition and description"))
            continue
        count = len(errors)
        for key in entry:
            if key not in PRINCIPLE_KEYS:
                errors.append(TipError(where, line, f"principle '{slug}' has an unknown key '{key}'",
                                       did_you_mean(str(key), PRINCIPLE_KEYS)))
        for key in PRINCIPLE_KEYS:
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                errors.append(TipError(where, line, f"principle '{slug}' needs a text '{key}'"))
        if len(errors) == count:
            found[slug] = Principle(slug, entry["name"].strip(), entry["definition"].strip(),
                                    entry["description"].strip())
    return found


# --------------------------------------------------------------------------- one tip

@dataclass(frozen=True, slots=True)
class TipSource:
    """What ``loader`` read of one tip file."""
    where: str  # the path to show
    file_date: str  # from the file name
    slug: str
    folder: str  # the name of the folder it is in (the year)
    meta: dict
    key_lines: dict[str, int]  # 0-based, within the front matter
    body: str
    body_line: int
    item_lines: dict[str, tuple[int, ...]] = field(default_factory=dict)  # 0-based, per list item
    comments: dict[int, str] = field(default_factory=dict)  # 0-based line -> its text, for a ' #' after a value

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, 0) + 1

    def commented(self, key: str) -> bool:
        return key in self.key_lines and self.key_lines[key] in self.comments


def tip(src: TipSource, known: dict[str, Principle] | None, errors: list[TipError],
        publishing: Publishing | None = None) -> Tip | None:
    """The Tip, or None when it has problems (appended to ``errors``).
    ``known`` is None when the vocabulary could not be read: tags are then
    not checked, as its own error says what is wrong."""
    count = len(errors)
    _comments(src, errors)
    _keys(src, errors)
    title = _text(src, "title", errors)
    if title is not None:
        if "\n" in title or "\r" in title:
            errors.append(TipError(src.where, src.line_of("title"), "title must be one line"))
        elif len(title) > MAX_TITLE:
            errors.append(TipError(src.where, src.line_of("title"), f"title is {len(title)} characters; "
                                   f"at most {MAX_TITLE}", "move detail into the summary"))
    summary = _text(src, "summary", errors)
    if summary is not None and len(summary) > MAX_SUMMARY:
        errors.append(TipError(src.where, src.line_of("summary"), f"summary is {len(summary)} characters; "
                               f"at most {MAX_SUMMARY}", "one sentence is enough"))
    author = _text(src, "author", errors)
    if author is not None and ("\n" in author or "\r" in author):
        errors.append(TipError(src.where, src.line_of("author"), "author must be one line"))
    discuss, try_this = _huddle(src, errors)
    date = _date(src, errors)
    tags = _tags(src, known, errors)
    draft = src.meta.get("draft", False)
    if not isinstance(draft, bool):
        errors.append(TipError(src.where, src.line_of("draft"), "draft must be true or false"))
    evergreen = src.meta.get("evergreen", False)
    if not isinstance(evergreen, bool):
        errors.append(TipError(src.where, src.line_of("evergreen"), "evergreen must be true or false"))
    late = off_weekday(date, publishing) if date and publishing and draft is not True else None
    if late:
        errors.append(TipError(src.where, src.line_of("date"), late, "change the date and the file name"))
    source = src.meta.get("source")
    if "source" in src.meta and not (isinstance(source, str) and re.fullmatch(r"https?://\S+", source)):
        errors.append(TipError(src.where, src.line_of("source"), "source must be the http(s) address the tip "
                               "came from", "e.g. source: \"https://blog.example.org/2019/03/own-the-mistake/\""))
    for key, value in (("title", title), ("summary", summary), ("author", author), ("discuss", discuss),
                       ("try", try_this)):
        control = CONTROL.search(value) if value else None
        if control:
            errors.append(TipError(src.where, src.line_of(key), f"{key} contains the control character "
                                   f"U+{ord(control.group()):04X}", "delete it; retype the text"))
    if not src.body.strip():
        errors.append(TipError(src.where, src.body_line, "the tip has no body",
                               "write the tip below the closing '---'"))
    errors.extend(body_problems(src.body, src.body_line, src.where))
    if len(errors) > count or date is None or title is None or summary is None:
        return None
    return Tip(slug=src.slug, title=title.strip(), date=date, tags=tags, summary=summary.strip(),
               body=src.body.strip("\n") + "\n", path=src.where, author=author.strip() if author else None,
               draft=draft, evergreen=evergreen, source=src.meta.get("source"), local_links=may_link(src.body),
               discuss=discuss.strip() if discuss else None, try_this=try_this.strip() if try_this else None)


def _huddle(src: TipSource, errors: list[TipError]) -> tuple[str | None, str | None]:
    """``discuss:`` and ``try:``, for the tip's huddle card: each one line of at
    most MAX_HUDDLE characters, the first a question. Empty is the same as absent."""
    found = []
    for key, example in (("discuss", "e.g. discuss: What would you have said to this customer?"),
                         ("try", "e.g. try: Say the customer's name once in every call this week.")):
        value = _text(src, key, errors)
        if value is not None and not value.strip():
            value = None
        if value is None:
            found.append(None)
            continue
        line, text = src.line_of(key), value.strip()
        if "\n" in text or "\r" in text:
            errors.append(TipError(src.where, line, f"{key} must be one line", example))
        elif len(text) > MAX_HUDDLE:
            errors.append(TipError(src.where, line, f"{key} is {len(text)} characters; at most {MAX_HUDDLE}",
                                   "keep it short enough to read aloud in one breath"))
        elif key == "discuss" and not text.endswith("?"):
            errors.append(TipError(src.where, line, "discuss must be one question, ending in '?'", example))
        found.append(value)
    return found[0], found[1]


def _comments(src: TipSource, errors: list[TipError]) -> None:
    """YAML drops everything after ' #' as a comment: 'Be the #1 reason'
    would be published as 'Be the'. Refuse it, with the line to write."""
    owner = {line: key for key, line in src.key_lines.items()}
    for line, text in sorted(src.comments.items()):
        key = owner.get(line)
        value = text.split(":", 1)[1].strip() if key and ":" in text else ""
        if key in TEXT_KEYS and value and value[0] not in "\"'":
            hint = f'put the value in quotes: {key}: {json.dumps(value, ensure_ascii=False)}'
        else:
            hint = "delete the comment, or put the value in quotes"
        errors.append(TipError(src.where, line + 1, "the text after ' #' would be cut off: YAML reads it as a comment",
                               hint))


def _keys(src: TipSource, errors: list[TipError]) -> None:
    for key in src.meta:
        if key not in ALLOWED_KEYS:
            hint = did_you_mean(str(key), ALLOWED_KEYS) or f"allowed keys: {', '.join(ALLOWED_KEYS)}"
            errors.append(TipError(src.where, src.line_of(str(key)), f"unknown key '{key}'", hint))
    for key in REQUIRED_KEYS:
        if src.commented(key) and src.meta.get(key) in (None, ""):
            continue  # "title: #1 ..." is all comment; _comments says so
        if key not in src.meta or src.meta[key] is None or src.meta[key] == "":
            errors.append(TipError(src.where, src.line_of(key) if key in src.meta else 1, f"missing '{key}'",
                                   _REQUIRED_HINTS[key]))


def _text(src: TipSource, key: str, errors: list[TipError]) -> str | None:
    value = src.meta.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict)):
        kind = "a list" if isinstance(value, list) else "a mapping"
        errors.append(TipError(src.where, src.line_of(key), f"'{key}' must be text, not {kind}"))
    else:  # yes, 2026, 3.5: YAML read a word or number as something else
        errors.append(TipError(src.where, src.line_of(key), f"'{key}' must be text", "put it in quotes"))
    return None


def _date(src: TipSource, errors: list[TipError]) -> dt.date | None:
    raw = src.meta.get("date")
    if raw is None:
        return None
    if not isinstance(raw, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        errors.append(TipError(src.where, src.line_of("date"), f"write the date as YYYY-MM-DD, not {raw!r}",
                               "e.g. date: 2026-11-24"))
        return None
    try:
        date = dt.date.fromisoformat(raw)
    except ValueError:
        errors.append(TipError(src.where, src.line_of("date"), f"date {raw}: {no_such_day(raw)}",
                               "check the day and the month"))
        return None
    if src.file_date != raw:
        errors.append(TipError(src.where, src.line_of("date"), f"date {raw} differs from the file name's "
                               f"{src.file_date}", "rename the file or fix the date"))
    elif src.folder != raw[:4]:
        errors.append(TipError(src.where, 1, f"a tip dated {raw[:4]} belongs in the folder tips/{raw[:4]}/",
                               "move the file"))
    return date


def no_such_day(raw: str) -> str:
    """'there is no 30 February 2027' for a YYYY-MM-DD that is not a day."""
    year, month, day = (int(part) for part in raw.split("-"))
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    if year == 0:
        return "there is no year 0"
    return f"there is no {day} {dt.date(year, month, 1):%B} {year}"


def _tags(src: TipSource, known: dict[str, Principle] | None, errors: list[TipError]) -> tuple[str, ...]:
    raw = src.meta.get("tags")
    if raw is None or raw == "":
        return ()
    line = src.line_of("tags")
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        errors.append(TipError(src.where, line, "tags must be a list of principle slugs",
                               "e.g. tags: [ownership, empathy]"))
        return ()
    if not raw:
        errors.append(TipError(src.where, line, "tags is empty", "name at least one principle"))
        return ()
    item_lines = src.item_lines.get("tags", ())
    for number, tag in enumerate(raw):
        if known is not None and tag not in known:
            hint = did_you_mean(tag, known) or f"known principles: {', '.join(known)}"
            at = item_lines[number] + 1 if number < len(item_lines) else line
            errors.append(TipError(src.where, at, f"unknown tag '{tag}'", hint))
    if len(set(raw)) != len(raw):
        errors.append(TipError(src.where, line, "a tag is listed twice"))
    # One string per principle for the whole library: the tip cache then stores
    # each once (pickle keeps one copy of an object used again) and reads fewer.
    return tuple(sys.intern(tag) for tag in dict.fromkeys(raw))
