"""Read the tip library from disk: the only code that reads ``tips/``.

Each file is decoded, its front matter split off and parsed as YAML by
``front_matter`` (keeping each key's line, which every message needs), then
handed to ``rules`` to be validated. ``scan_library`` returns the valid tips
and every problem found in one pass; ``load_library`` raises
:class:`LibraryError` if there is any.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from typing import TYPE_CHECKING

from . import rules_across_files
from .model import Library, LibraryError, Principle, Tip, TipError
from .dates import Publishing
from .tip_files import DATED, TipsFolder

if TYPE_CHECKING:
    from .front_matter import ParsedYaml
# (YAML, python-frontmatter and each file's rules are imported when a file is
# read: a run whose tips and vocabulary all come from the cache does without them.)

MAX_FILE_BYTES = 1_000_000


def _read_yaml(text: str, where: str, line_offset: int, duplicate: tuple[str, str],
               errors: list[TipError]) -> ParsedYaml | None:
    """Parse ``text``; on failure add the problem and return None.
    ``duplicate`` is the (message with {key}, hint) for a key given twice."""
    import yaml

    from .front_matter import DuplicateKey, parse_yaml, yaml_problem

    try:
        return parse_yaml(text)
    except DuplicateKey as dup:
        message, hint = duplicate
        errors.append(TipError(where, dup.line + line_offset, message.format(key=dup.key), hint))
    except yaml.YAMLError as exc:
        line, message, hint = yaml_problem(exc, text)
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
    from . import rules

    found = rules.principles(parsed.data, parsed.key_lines, where, errors)
    return found if len(errors) == count else None


def load_tip(path: Path, root: Path, principles: dict[str, Principle] | None, errors: list[TipError],
             publishing: Publishing | None = None) -> Tip | None:
    """Read one tip file; append its problems to ``errors``; None if it is unusable."""
    from . import rules

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
    import frontmatter

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
    fm_lines = fm_text.split("\n")  # YAML's lines: not split at \x1c-\x1e as str.splitlines does
    source = rules.TipSource(where=where, file_date=name["date"], slug=name["slug"], folder=path.parent.name,
                             meta=meta, key_lines=parsed.key_lines, body=body, body_line=body_line,
                             item_lines=parsed.item_lines,
                             comments={n: fm_lines[n] for n in parsed.comment_lines if n < len(fm_lines)})
    return rules.tip(source, principles, errors, publishing)


def _dated(folder: TipsFolder, root: Path) -> dict[str, dt.date]:
    """Each tip file (shown path) by the date in its name."""
    found = {}
    for entry in folder.tips:
        match = DATED.match(entry.name)
        try:
            found[_display(Path(entry.path), root)] = dt.date.fromisoformat(match.group(1))
        except (AttributeError, ValueError):
            continue
    return found


def scan_library(tips_dir: Path, principles_file: Path, root: Path | None = None, *,
                 weekday: str | None = None, today: dt.date | None = None,
                 cache=None) -> tuple[Library, list[TipError]]:
    """Read every tip under ``tips_dir`` and the principle vocabulary.

    Returns the library of the tips that are valid and every problem found:
    the vocabulary's first, then by file and line; paths are relative to
    ``root`` (the project folder) when given. With ``weekday`` and ``today``,
    a tip dated after ``today`` must fall on that weekday. With ``cache`` (a
    :class:`tipweek.tipcache.TipCache` made for the same weekday and today)
    an unchanged file is not read again.
    """
    tips_dir, principles_file = Path(tips_dir), Path(principles_file)
    root = Path(root) if root else tips_dir.parent
    errors: list[TipError] = []
    if cache is None:
        principles = load_principles(principles_file, root, errors)
    else:
        principles = cache.vocabulary(lambda found: load_principles(principles_file, root, found), errors)
    vocabulary_problems = len(errors)
    if not tips_dir.is_dir():
        errors.append(TipError(_display(tips_dir, root), 1, "tips folder not found",
                               "set the plugin option 'tips' in mkdocs.yml"))
        return Library((), principles or {}), errors
    publishing = Publishing(weekday, today) if weekday and today else None
    real_root = tips_dir.resolve()
    folder = TipsFolder(tips_dir)
    files = []
    for entry in folder.tips:
        if entry.is_symlink() and not Path(entry.path).resolve().is_relative_to(real_root):
            errors.append(TipError(_display(Path(entry.path), root), 1, "symbolic link points outside the "
                                   "tips folder", "copy the tip into tips/ instead of linking it"))
        else:
            files.append(entry)

    def read(entry: os.DirEntry, found: list[TipError]) -> Tip | None:  # (a Path only for a file read)
        return load_tip(Path(entry.path), root, principles, found, publishing)

    if cache is None:
        tips = [tip for tip in (read(entry, errors) for entry in files) if tip is not None]
    else:
        tips = [tip for tip in cache.load_all(files, read, errors) if tip is not None]
        cache.save()
    for path in folder.misnamed(principles_file):
        right = path.name.split(".")[0] + ".md"
        errors.append(TipError(_display(path, root), 1, "this looks like a tip but is not read: "
                               "a tip's file name ends in .md", f"rename it {right}"))
    errors.extend(rules_across_files.library_problems(tips))
    if publishing and any(": use " in e.message for e in errors):  # (a date off the weekday: name a free week)
        errors = rules_across_files.free_week_hints(errors, _dated(folder, root), weekday)
    tips.sort(key=lambda t: (t.date, t.slug))
    first = errors[:vocabulary_problems]
    rest = sorted(errors[vocabulary_problems:], key=lambda e: (e.path, e.line, e.message))
    return Library(tuple(tips), principles or {}), first + rest


def load_library(tips_dir: Path, principles_file: Path, root: Path | None = None, *,
                 weekday: str | None = None, today: dt.date | None = None, cache=None) -> Library:
    """Like :func:`scan_library`, but raises :class:`LibraryError` on any problem."""
    library, errors = scan_library(tips_dir, principles_file, root, weekday=weekday, today=today, cache=cache)
    if errors:
        raise LibraryError(errors)
    return library
