"""Read and validate the tip library: the only code that reads ``tips/``.

``load_library`` returns a :class:`Library` or raises :class:`LibraryError`
carrying every problem found in one pass, each a :class:`TipError` with the
file and line an editor has to open.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import frontmatter
import yaml

ALLOWED_KEYS = ("title", "date", "tags", "summary", "author", "draft", "source")
REQUIRED_KEYS = ("title", "date", "tags", "summary")
PRINCIPLE_KEYS = ("name", "definition", "description")
MAX_TITLE = 100
MAX_SUMMARY = 300
MAX_FILE_BYTES = 1_000_000
FILE_NAME = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
# Characters XML 1.0 cannot carry (feeds would break) and that no editor means to type.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Raw HTML that could run script in a reader's browser or mail client.
# The body `tipweek new` writes; a tip that still contains a line of it is not done.
SCAFFOLD_BODY = """\
Describe the situation in two or three sentences: who, where, what went wrong.

What to do:

- The first thing to say or do.
- The next step, and who takes it.

**Takeaway:** One sentence the reader should remember.
"""
SCAFFOLD_LINES = frozenset(line.strip() for line in SCAFFOLD_BODY.splitlines() if len(line.strip()) > 12)
UNSAFE_HTML = (
    (re.compile(r"<\s*(script|iframe|object|embed|frame|frameset|base|meta)\b", re.I),
     "raw <{0}> is not allowed in a tip", "write it in Markdown; embedded HTML that can run code is refused"),
    (re.compile(r"<[a-z][^>]*\s(on[a-z]+)\s*=", re.I),
     "HTML event-handler attribute '{0}' is not allowed", "remove the attribute"),
    (re.compile(r"(javascript|vbscript)\s*:", re.I),
     "a '{0}:' URL is not allowed", "link to an https:// address instead"),
)


# --------------------------------------------------------------------------- records

@dataclass(frozen=True, slots=True)
class TipError:
    """A problem in the content, with the place to fix it."""

    path: str
    line: int
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "message": self.message, "hint": self.hint}


class LibraryError(Exception):
    """Raised when the library has problems; ``errors`` lists them all."""

    def __init__(self, errors: Iterable[TipError]):
        self.errors = sorted(errors, key=lambda e: (e.path, e.line, e.message))
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass(frozen=True, slots=True)
class Principle:
    slug: str
    name: str
    definition: str
    description: str


@dataclass(frozen=True, slots=True)
class Tip:
    slug: str
    title: str
    date: dt.date
    tags: tuple[str, ...]
    summary: str
    body: str
    path: str
    author: str | None = None
    draft: bool = False

    @property
    def week(self) -> tuple[int, int]:
        """The ISO (year, week) the tip is published in."""
        year, week, _ = self.date.isocalendar()
        return year, week

    @property
    def url(self) -> str:
        """The tip's URL relative to the site root; never changes once published."""
        return f"tips/{self.slug}/"


@dataclass(frozen=True)
class Library:
    """Every tip (sorted by date, oldest first) and the principle vocabulary."""

    tips: tuple[Tip, ...]
    principles: dict[str, Principle]
    _by_slug: dict[str, Tip] = field(init=False, repr=False)
    _by_principle: dict[str, tuple[Tip, ...]] = field(init=False, repr=False)
    _by_week: dict[tuple[int, int], tuple[Tip, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_principle: dict[str, list[Tip]] = defaultdict(list)
        by_week: dict[tuple[int, int], list[Tip]] = defaultdict(list)
        for tip in self.tips:
            for tag in tip.tags:
                by_principle[tag].append(tip)
            by_week[tip.week].append(tip)
        object.__setattr__(self, "_by_slug", {t.slug: t for t in self.tips})
        object.__setattr__(self, "_by_principle", {k: tuple(v) for k, v in by_principle.items()})
        object.__setattr__(self, "_by_week", {k: tuple(v) for k, v in by_week.items()})

    def __len__(self) -> int:
        return len(self.tips)

    def tip(self, slug: str) -> Tip | None:
        return self._by_slug.get(slug)

    def with_principle(self, slug: str) -> tuple[Tip, ...]:
        """Tips tagged with a principle, oldest first."""
        return self._by_principle.get(slug, ())

    def in_week(self, year: int, week: int) -> tuple[Tip, ...]:
        return self._by_week.get((year, week), ())


# --------------------------------------------------------------------------- YAML

class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML that keeps dates as text (we validate them ourselves, with a
    line) and refuses a key given twice instead of keeping the last one."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class DuplicateKey(Exception):
    def __init__(self, key: str, line: int):
        self.key, self.line = key, line


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[str] = set()
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode):  # read the key's text; no need to build it twice
            if key_node.value in seen:
                raise DuplicateKey(key_node.value, key_node.start_mark.line)
            seen.add(key_node.value)
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(slots=True)
class _Yaml:
    data: Any
    key_lines: dict[str, int]  # top-level key -> 0-based line in the YAML text


def _parse_yaml(text: str) -> _Yaml:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return _Yaml(None, {})
        data = loader.construct_document(node)
        lines = {}
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    lines[key_node.value] = key_node.start_mark.line
        return _Yaml(data, lines)
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[int, str, str | None]:
    """(0-based line, message, hint) for a YAML error. The line is where the
    broken construct starts (an unclosed bracket or quote), not where the
    parser gave up, since that is the line an editor must fix."""
    context = getattr(exc, "context", None)
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    line = mark.line if mark else 0
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    lines = text.splitlines()
    if "\t" in problem or "tab" in problem or (0 <= line < len(lines) and "\t" in lines[line]):
        return line, "YAML error: a tab character is used for indentation", "indent with spaces"
    message = f"YAML error: {context}, {problem}" if context else f"YAML error: {problem}"
    hint = "check the brackets and quotes on this line; quote a value that contains ': ' or starts with [ { & * ! | > ' \" % @"
    return line, message, hint


# --------------------------------------------------------------------------- loading

def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _decode(raw: bytes, where: str, errors: list[TipError]) -> str | None:
    if raw.startswith(b"\xef\xbb\xbf"):
        errors.append(TipError(where, 1, "file starts with a byte-order mark (BOM)",
                               "save it as UTF-8 without BOM"))
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        errors.append(TipError(where, line, f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                               "save the file as UTF-8"))
        return None


def _did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def load_principles(path: Path, root: Path, errors: list[TipError]) -> dict[str, Principle]:
    where = _display(path, root)
    if not path.is_file():
        errors.append(TipError(where, 1, "principles file not found",
                               "create it, or set the plugin option 'principles' in mkdocs.yml"))
        return {}
    text = _decode(path.read_bytes(), where, errors)
    if text is None:
        return {}
    try:
        parsed = _parse_yaml(text)
    except DuplicateKey as dup:
        errors.append(TipError(where, dup.line + 1, f"principle '{dup.key}' is defined twice",
                               "keep one entry per slug"))
        return {}
    except yaml.YAMLError as exc:
        line, message, hint = _yaml_problem(exc, text)
        errors.append(TipError(where, line + 1, message, hint))
        return {}
    if not isinstance(parsed.data, dict) or not parsed.data:
        errors.append(TipError(where, 1, "expected a mapping of principle slugs to their name, "
                               "definition and description"))
        return {}
    principles = {}
    for slug, entry in parsed.data.items():
        line = parsed.key_lines.get(str(slug), 0) + 1
        if not isinstance(slug, str) or not SLUG.match(slug):
            errors.append(TipError(where, line, f"principle slug {slug!r} is not lowercase words joined by hyphens"))
            continue
        if not isinstance(entry, dict):
            errors.append(TipError(where, line, f"principle '{slug}' needs name, definition and description"))
            continue
        bad = False
        for key in entry:
            if key not in PRINCIPLE_KEYS:
                errors.append(TipError(where, line, f"principle '{slug}' has an unknown key '{key}'",
                                       _did_you_mean(str(key), PRINCIPLE_KEYS)))
                bad = True
        for key in PRINCIPLE_KEYS:
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                errors.append(TipError(where, line, f"principle '{slug}' needs a text '{key}'"))
                bad = True
        if not bad:
            principles[slug] = Principle(slug, entry["name"].strip(), entry["definition"].strip(),
                                         entry["description"].strip())
    return principles


def _body_problems(body: str, first_line: int, where: str) -> list[TipError]:
    """Raw HTML that could run script, control characters, scaffold lines.
    One pass of C-level searches over the whole body; lines are only walked
    (to name them) when something was found."""
    maybe_unsafe = ("<" in body or "script" in body.lower()) and _ANY_UNSAFE.search(body)
    if not (maybe_unsafe or CONTROL.search(body) or any(line in body for line in SCAFFOLD_LINES)):
        return []
    found = []
    for number, line in enumerate(body.splitlines(), start=first_line):
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


_ANY_UNSAFE = re.compile("|".join(f"(?:{p.pattern})" for p, _, _ in UNSAFE_HTML), re.I)


def load_tip(path: Path, root: Path, principles: dict[str, Principle], errors: list[TipError]) -> Tip | None:
    """Read one tip file; append its problems to ``errors``; None if it is unusable."""
    where = _display(path, root)
    name = FILE_NAME.match(path.name)
    if not name:
        errors.append(TipError(where, 1, "file name must be YYYY-MM-DD-slug.md",
                               "use lowercase ASCII letters, digits and hyphens, e.g. 2026-11-24-own-the-mistake.md"))
        return None
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        errors.append(TipError(where, 1, f"file is {size / 1e6:.1f} MB; a tip must be under "
                               f"{MAX_FILE_BYTES // 1_000_000} MB", "a tip is a few paragraphs"))
        return None
    text = _decode(path.read_bytes(), where, errors)
    if text is None:
        return None
    text = text.replace("\r\n", "\n")
    handler = frontmatter.YAMLHandler()
    if not handler.detect(text):
        errors.append(TipError(where, 1, "no front matter", "start the file with a '---' line, "
                               "then title, date, tags and summary, then another '---' line"))
        return None
    try:
        fm_text, body = handler.split(text)
    except ValueError:
        errors.append(TipError(where, 1, "front matter is not closed", "add a '---' line after the last key"))
        return None
    fence_line = fm_text.count("\n") + 1  # the closing '---' (fm_text starts after the opening one)
    body_line = fence_line + 1
    if body.startswith("\n"):  # the rest of the closing fence's line
        body = body[1:]
    try:
        parsed = _parse_yaml(fm_text)
    except DuplicateKey as dup:
        errors.append(TipError(where, dup.line + 1, f"key '{dup.key}' is given twice", "keep one"))
        return None
    except yaml.YAMLError as exc:
        line, message, hint = _yaml_problem(exc, fm_text)
        errors.append(TipError(where, line + 1, message, hint))
        return None
    meta = parsed.data
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        errors.append(TipError(where, 2, "front matter must be 'key: value' lines"))
        return None

    def line_of(key: str) -> int:
        return parsed.key_lines.get(key, 0) + 1

    count = len(errors)
    for key in meta:
        if key not in ALLOWED_KEYS:
            hint = _did_you_mean(str(key), ALLOWED_KEYS) or f"allowed keys: {', '.join(ALLOWED_KEYS)}"
            errors.append(TipError(where, line_of(str(key)), f"unknown key '{key}'", hint))
    for key in REQUIRED_KEYS:
        if key not in meta or meta[key] is None or meta[key] == "":
            errors.append(TipError(where, line_of(key) if key in meta else 1, f"missing '{key}'",
                                   _REQUIRED_HINTS[key]))

    title = _text(meta, "title", where, line_of, errors)
    if title is not None:
        if "\n" in title or "\r" in title:
            errors.append(TipError(where, line_of("title"), "title must be one line"))
        elif len(title) > MAX_TITLE:
            errors.append(TipError(where, line_of("title"), f"title is {len(title)} characters; "
                                   f"at most {MAX_TITLE}", "move detail into the summary"))
    summary = _text(meta, "summary", where, line_of, errors)
    if summary is not None and len(summary) > MAX_SUMMARY:
        errors.append(TipError(where, line_of("summary"), f"summary is {len(summary)} characters; "
                               f"at most {MAX_SUMMARY}", "one sentence is enough"))
    author = _text(meta, "author", where, line_of, errors)
    if author is not None and ("\n" in author or "\r" in author):
        errors.append(TipError(where, line_of("author"), "author must be one line"))

    date = None
    if meta.get("date") is not None:
        raw = meta["date"]
        try:
            if not isinstance(raw, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                raise ValueError
            date = dt.date.fromisoformat(raw)
        except ValueError:
            errors.append(TipError(where, line_of("date"), f"date {raw!r} is not a calendar date "
                                   "written YYYY-MM-DD", "e.g. date: 2026-11-24"))
        else:
            if name["date"] != raw:
                errors.append(TipError(where, line_of("date"), f"date {raw} differs from the file name's "
                                       f"{name['date']}", "rename the file or fix the date"))
            elif path.parent.name != raw[:4]:
                errors.append(TipError(where, 1, f"a tip dated {raw[:4]} belongs in the folder tips/{raw[:4]}/",
                                       "move the file"))

    tags: tuple[str, ...] = ()
    raw_tags = meta.get("tags")
    if raw_tags is not None and raw_tags != "":
        if not isinstance(raw_tags, list) or not all(isinstance(t, str) for t in raw_tags):
            errors.append(TipError(where, line_of("tags"), "tags must be a list of principle slugs",
                                   "e.g. tags: [ownership, empathy]"))
        elif not raw_tags:
            errors.append(TipError(where, line_of("tags"), "tags is empty", "name at least one principle"))
        else:
            for tag in raw_tags:
                if principles and tag not in principles:
                    hint = _did_you_mean(tag, principles) or f"known principles: {', '.join(principles)}"
                    errors.append(TipError(where, line_of("tags"), f"unknown tag '{tag}'", hint))
            if len(set(raw_tags)) != len(raw_tags):
                errors.append(TipError(where, line_of("tags"), "a tag is listed twice"))
            tags = tuple(dict.fromkeys(raw_tags))

    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        errors.append(TipError(where, line_of("draft"), "draft must be true or false"))
    if "source" in meta and not (isinstance(meta["source"], str) and re.fullmatch(r"https?://\S+", meta["source"])):
        errors.append(TipError(where, line_of("source"), "source must be the http(s) address the tip came from",
                               "e.g. source: \"https://blog.example.org/2019/03/own-the-mistake/\""))

    for key, value in (("title", title), ("summary", summary), ("author", author)):
        if value and CONTROL.search(value):
            errors.append(TipError(where, line_of(key), f"{key} contains the control character "
                                   f"U+{ord(CONTROL.search(value).group()):04X}", "delete it; retype the text"))
    if not body.strip():
        errors.append(TipError(where, body_line, "the tip has no body", "write the tip below the closing '---'"))
    errors.extend(_body_problems(body, body_line, where))

    if len(errors) > count or date is None or title is None or summary is None:
        return None
    return Tip(slug=name["slug"], title=title.strip(), date=date, tags=tags, summary=summary.strip(),
               body=body.strip("\n") + "\n", path=where, author=author.strip() if author else None,
               draft=draft)


_REQUIRED_HINTS = {
    "title": "add e.g. title: Own the mistake",
    "date": "add the publish date, e.g. date: 2026-11-24",
    "tags": "add the principles it teaches, e.g. tags: [ownership]",
    "summary": "add one sentence that says what the tip teaches",
}


def _text(meta: dict, key: str, where: str, line_of, errors: list[TipError]) -> str | None:
    value = meta.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    kind = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else type(value).__name__
    errors.append(TipError(where, line_of(key), f"'{key}' must be text, not {kind}",
                           "put quotes around it" if not isinstance(value, (list, dict)) else None))
    return None


def tip_files(tips_dir: Path) -> list[Path]:
    return sorted(p for p in tips_dir.rglob("*.md"))


def scan_library(tips_dir: Path, principles_file: Path, root: Path | None = None) -> tuple[Library, list[TipError]]:
    """Read every tip under ``tips_dir`` and the principle vocabulary.

    Returns the library of the tips that are valid and every problem found,
    sorted by file and line; paths are relative to ``root`` (the project
    folder) when given.
    """
    tips_dir, principles_file = Path(tips_dir), Path(principles_file)
    root = Path(root) if root else tips_dir.parent
    errors: list[TipError] = []
    principles = load_principles(principles_file, root, errors)
    tips: list[Tip] = []
    if not tips_dir.is_dir():
        errors.append(TipError(_display(tips_dir, root), 1, "tips folder not found",
                               "set the plugin option 'tips' in mkdocs.yml"))
        return Library((), principles), errors
    real_root = tips_dir.resolve()
    for path in tip_files(tips_dir):
        if path.is_symlink() and not path.resolve().is_relative_to(real_root):
            errors.append(TipError(_display(path, root), 1, "symbolic link points outside the tips folder",
                                   "copy the tip into tips/ instead of linking it"))
            continue
        tip = load_tip(path, root, principles, errors)
        if tip is not None:
            tips.append(tip)
    errors.extend(_library_problems(tips))
    tips.sort(key=lambda t: (t.date, t.slug))
    errors.sort(key=lambda e: (e.path, e.line, e.message))
    return Library(tuple(tips), principles), errors


def load_library(tips_dir: Path, principles_file: Path, root: Path | None = None) -> Library:
    """Like :func:`scan_library`, but raises :class:`LibraryError` on any problem."""
    library, errors = scan_library(tips_dir, principles_file, root)
    if errors:
        raise LibraryError(errors)
    return library


def _library_problems(tips: list[Tip]) -> list[TipError]:
    """Rules across files: one slug, one published tip per week."""
    problems = []
    by_slug: dict[str, list[Tip]] = defaultdict(list)
    by_week: dict[tuple[int, int], list[Tip]] = defaultdict(list)
    for tip in tips:
        by_slug[tip.slug].append(tip)
        if not tip.draft:
            by_week[tip.week].append(tip)
    for slug, same in by_slug.items():
        for tip in same[1:]:
            problems.append(TipError(tip.path, 1, f"slug '{slug}' is already used by {same[0].path}",
                                     "give the tip another name; the slug is its URL"))
    for (year, week), same in by_week.items():
        for tip in same[1:]:
            problems.append(TipError(tip.path, 1, f"week {year}-W{week:02d} already has a tip: {same[0].path}",
                                     "move one to a free week (tipweek schedule shows them) or mark it draft: true"))
    return problems
