"""Read the tip library from disk: the only code that reads ``tips/``.

Each file is decoded, its front matter split off and parsed as YAML (keeping
each key's line, which every message needs), then handed to ``rules`` to be
validated. ``scan_library`` returns the valid tips and every problem found in
one pass; ``load_library`` raises :class:`LibraryError` if there is any.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from . import rules
from .model import Library, LibraryError, Principle, Tip, TipError

MAX_FILE_BYTES = 1_000_000


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
class ParsedYaml:
    data: Any
    key_lines: dict[str, int]  # top-level key -> 0-based line in the YAML text
    item_lines: dict[str, tuple[int, ...]]  # top-level key holding a list -> each item's line
    comment_lines: tuple[int, ...] = ()  # lines where a ' #' comment follows a value


def parse_yaml(text: str) -> ParsedYaml:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return ParsedYaml(None, {}, {})
        data = loader.construct_document(node)
        lines, items = {}, {}
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    lines[key_node.value] = key_node.start_mark.line
                    if isinstance(value_node, yaml.SequenceNode):
                        items[key_node.value] = tuple(item.start_mark.line for item in value_node.value)
        return ParsedYaml(data, lines, items, _comment_lines(text, node))
    finally:
        loader.dispose()


_HASH = re.compile(r"(?<=[ \t])#")


def _comment_lines(text: str, node: yaml.Node) -> tuple[int, ...]:
    """Lines where YAML silently dropped the rest of a value as a comment: a
    ' #' outside every scalar, after something else on the line. (A line
    that is only a comment is left alone: nothing is lost there.)"""
    if "#" not in text:
        return ()
    spans = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.ScalarNode):
            spans.append((current.start_mark.index, current.end_mark.index))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            stack.extend(part for pair in current.value for part in pair)
    found = []
    for match in _HASH.finditer(text):
        at = match.start()
        if any(start <= at < end for start, end in spans):
            continue
        line_start = text.rfind("\n", 0, at) + 1
        if text[line_start:at].strip():
            line = text.count("\n", 0, at)
            if line not in found:
                found.append(line)
    return tuple(found)


# What to do about the YAML reader's complaints, most specific first: the
# editor reads this before the reader's own wording (kept in the hint).
_YAML_ADVICE = (
    ("mapping values are not allowed", "a value contains ': ': put the whole value in quotes"),
    ("flow sequence", "close the list with ']', or put the value in quotes"),
    ("flow mapping", "close the '{' with '}', or put the value in quotes"),
    ("quoted scalar", "a quote mark is not closed: close it, or quote the value with the other kind of quotes"),
    ("unknown escape", "a backslash in double quotes starts an escape: use single quotes, or write \\\\"),
    ("that cannot start any token", "put the value in quotes"),
    ("alias", "a value starting with * or & must be in quotes"),
)


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
        return line, "a tab character is used for indentation", "indent with spaces"
    said = f"{context}, {problem}" if context else problem
    advice = next((advice for clue, advice in _YAML_ADVICE if clue in said),
                  "check the brackets and quotes on this line; put a value in quotes if it contains ': ' "
                  "or starts with [ { & * ! | > ' \" % @")
    quoted = quoted_line(lines[line]) if 0 <= line < len(lines) and "quote" in advice else None
    if quoted:
        advice += f", e.g. {quoted}"
    return line, advice, f"the YAML reader says: {said}"


def quoted_line(line: str) -> str | None:
    """``key: value`` with the value in double quotes, or None if the line is
    not a simple key and value."""
    match = re.match(r"^([A-Za-z_][\w-]*):[ \t]+(\S.*?)\s*$", line)
    if not match or match.group(2)[0] in "\"'[{":
        return None
    return f"{match.group(1)}: {json.dumps(match.group(2), ensure_ascii=False)}"


def _read_yaml(text: str, where: str, line_offset: int, duplicate: tuple[str, str],
               errors: list[TipError]) -> ParsedYaml | None:
    """Parse ``text``; on failure add the problem and return None.
    ``duplicate`` is the (message with {key}, hint) for a key given twice."""
    try:
        return parse_yaml(text)
    except DuplicateKey as dup:
        message, hint = duplicate
        errors.append(TipError(where, dup.line + line_offset, message.format(key=dup.key), hint))
    except yaml.YAMLError as exc:
        line, message, hint = _yaml_problem(exc, text)
        errors.append(TipError(where, line + line_offset, message, hint))
    return None


# --------------------------------------------------------------------------- files

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


def load_principles(path: Path, root: Path, errors: list[TipError]) -> dict[str, Principle] | None:
    """The vocabulary, or None when principles.yml has a problem (so that
    tags are not also reported as unknown: one slip, one message)."""
    where = _display(path, root)
    count = len(errors)
    if not path.is_file():
        errors.append(TipError(where, 1, "principles file not found",
                               "create it, or set the plugin option 'principles' in mkdocs.yml"))
        return None
    text = _decode(path.read_bytes(), where, errors)
    if text is None:
        return None
    parsed = _read_yaml(text, where, 1, ("principle '{key}' is defined twice", "keep one entry per slug"),
                        errors)
    if parsed is None:
        return None
    found = rules.principles(parsed.data, parsed.key_lines, where, errors)
    return found if len(errors) == count else None


def load_tip(path: Path, root: Path, principles: dict[str, Principle] | None, errors: list[TipError],
             publishing: rules.Publishing | None = None) -> Tip | None:
    """Read one tip file; append its problems to ``errors``; None if it is unusable."""
    where = _display(path, root)
    name = rules.FILE_NAME.match(path.name)
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
    body_line = fm_text.count("\n") + 2  # the line after the closing '---' (fm_text starts after the opening one)
    if body.startswith("\n"):  # the rest of the closing fence's line
        body = body[1:]
    parsed = _read_yaml(fm_text, where, 1, ("key '{key}' is given twice", "keep one"), errors)
    if parsed is None:
        return None
    meta = {} if parsed.data is None else parsed.data
    if not isinstance(meta, dict):
        errors.append(TipError(where, 2, "front matter must be 'key: value' lines"))
        return None
    fm_lines = fm_text.splitlines()
    source = rules.TipSource(where=where, file_date=name["date"], slug=name["slug"], folder=path.parent.name,
                             meta=meta, key_lines=parsed.key_lines, body=body, body_line=body_line,
                             item_lines=parsed.item_lines,
                             comments={n: fm_lines[n] for n in parsed.comment_lines if n < len(fm_lines)})
    return rules.tip(source, principles, errors, publishing)


def tip_files(tips_dir: Path) -> list[Path]:
    return sorted(p for p in tips_dir.rglob("*.md") if p.suffix == ".md")


_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})-")


def misnamed_tips(tips_dir: Path, principles_file: Path) -> list[Path]:
    """Files that look like a tip (a date-prefixed name, or front matter)
    but are not ``*.md``, so nothing would read them. Hidden files, the
    vocabulary and YAML files (which may start with '---') are left alone."""
    found = []
    skip = principles_file.resolve()
    for path in sorted(tips_dir.rglob("*")):
        if path.suffix == ".md" or path.name.startswith(".") or not path.is_file() or path.resolve() == skip:
            continue
        if _DATED.match(path.name):
            found.append(path)
        elif path.suffix.lower() not in (".yml", ".yaml"):
            with open(path, "rb") as head:
                if head.read(3) == b"---":
                    found.append(path)
    return found


def dated_files(tips_dir: Path) -> dict[dt.date, list[Path]]:
    """Every tip file by the date in its name, finished or not: a week whose
    tip does not pass the checker yet is still taken."""
    found: dict[dt.date, list[Path]] = {}
    for path in tip_files(tips_dir) if tips_dir.is_dir() else ():
        match = _DATED.match(path.name)
        try:
            day = dt.date.fromisoformat(match.group(1)) if match else None
        except ValueError:
            continue
        if day:
            found.setdefault(day, []).append(path)
    return found


def scan_library(tips_dir: Path, principles_file: Path, root: Path | None = None, *,
                 weekday: str | None = None, today: dt.date | None = None) -> tuple[Library, list[TipError]]:
    """Read every tip under ``tips_dir`` and the principle vocabulary.

    Returns the library of the tips that are valid and every problem found:
    the vocabulary's first, then by file and line; paths are relative to
    ``root`` (the project folder) when given. With ``weekday`` and ``today``,
    a tip dated after ``today`` must fall on that weekday.
    """
    tips_dir, principles_file = Path(tips_dir), Path(principles_file)
    root = Path(root) if root else tips_dir.parent
    errors: list[TipError] = []
    principles = load_principles(principles_file, root, errors)
    vocabulary_problems = len(errors)
    tips: list[Tip] = []
    if not tips_dir.is_dir():
        errors.append(TipError(_display(tips_dir, root), 1, "tips folder not found",
                               "set the plugin option 'tips' in mkdocs.yml"))
        return Library((), principles or {}), errors
    publishing = rules.Publishing(weekday, today) if weekday and today else None
    real_root = tips_dir.resolve()
    for path in tip_files(tips_dir):
        if path.is_symlink() and not path.resolve().is_relative_to(real_root):
            errors.append(TipError(_display(path, root), 1, "symbolic link points outside the tips folder",
                                   "copy the tip into tips/ instead of linking it"))
            continue
        tip = load_tip(path, root, principles, errors, publishing)
        if tip is not None:
            tips.append(tip)
    for path in misnamed_tips(tips_dir, principles_file):
        right = path.name.split(".")[0] + ".md"
        errors.append(TipError(_display(path, root), 1, "this looks like a tip but is not read: "
                               "a tip's file name ends in .md", f"rename it {right}"))
    errors.extend(rules.library_problems(tips))
    tips.sort(key=lambda t: (t.date, t.slug))
    first = errors[:vocabulary_problems]
    rest = sorted(errors[vocabulary_problems:], key=lambda e: (e.path, e.line, e.message))
    return Library(tuple(tips), principles or {}), first + rest


def load_library(tips_dir: Path, principles_file: Path, root: Path | None = None, *,
                 weekday: str | None = None, today: dt.date | None = None) -> Library:
    """Like :func:`scan_library`, but raises :class:`LibraryError` on any problem."""
    library, errors = scan_library(tips_dir, principles_file, root, weekday=weekday, today=today)
    if errors:
        raise LibraryError(errors)
    return library
