"""Read the tip library from disk: the only code that reads ``tips/``.

Each file is decoded, its front matter split off and parsed as YAML (keeping
each key's line, which every message needs), then handed to ``rules`` to be
validated. ``scan_library`` returns the valid tips and every problem found in
one pass; ``load_library`` raises :class:`LibraryError` if there is any.
"""

from __future__ import annotations

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


def parse_yaml(text: str) -> ParsedYaml:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return ParsedYaml(None, {})
        data = loader.construct_document(node)
        lines = {}
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    lines[key_node.value] = key_node.start_mark.line
        return ParsedYaml(data, lines)
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


def load_principles(path: Path, root: Path, errors: list[TipError]) -> dict[str, Principle]:
    where = _display(path, root)
    if not path.is_file():
        errors.append(TipError(where, 1, "principles file not found",
                               "create it, or set the plugin option 'principles' in mkdocs.yml"))
        return {}
    text = _decode(path.read_bytes(), where, errors)
    if text is None:
        return {}
    parsed = _read_yaml(text, where, 1, ("principle '{key}' is defined twice", "keep one entry per slug"),
                        errors)
    if parsed is None:
        return {}
    return rules.principles(parsed.data, parsed.key_lines, where, errors)


def load_tip(path: Path, root: Path, principles: dict[str, Principle], errors: list[TipError]) -> Tip | None:
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
    source = rules.TipSource(where=where, file_date=name["date"], slug=name["slug"], folder=path.parent.name,
                             meta=meta, key_lines=parsed.key_lines, body=body, body_line=body_line)
    return rules.tip(source, principles, errors)


def tip_files(tips_dir: Path) -> list[Path]:
    return sorted(p for p in tips_dir.rglob("*.md"))


def scan_library(tips_dir: Path, principles_file: Path, root: Path | None = None,
                 cache=None) -> tuple[Library, list[TipError]]:
    """Read every tip under ``tips_dir`` and the principle vocabulary.

    Returns the library of the tips that are valid and every problem found,
    sorted by file and line; paths are relative to ``root`` (the project
    folder) when given. With ``cache`` (a :class:`tipweek.tipcache.TipCache`)
    an unchanged file is not read again.
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
        if cache is None:
            tip = load_tip(path, root, principles, errors)
        else:
            tip = cache.load(path, lambda found, p=path: load_tip(p, root, principles, found), errors)
        if tip is not None:
            tips.append(tip)
    if cache is not None:
        cache.save()
    errors.extend(rules.library_problems(tips))
    tips.sort(key=lambda t: (t.date, t.slug))
    errors.sort(key=lambda e: (e.path, e.line, e.message))
    return Library(tuple(tips), principles), errors


def load_library(tips_dir: Path, principles_file: Path, root: Path | None = None, cache=None) -> Library:
    """Like :func:`scan_library`, but raises :class:`LibraryError` on any problem."""
    library, errors = scan_library(tips_dir, principles_file, root, cache)
    if errors:
        raise LibraryError(errors)
    return library
