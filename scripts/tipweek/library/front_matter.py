"""YAML as an editor writes it in front matter and principles.yml: safe,
dates kept as text, a key given twice refused, and each key's line kept,
since every message names a line. Also what YAML silently drops (a ' #'
comment after a value) and what to say when it cannot read a line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml


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


def yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[int, str, str | None]:
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
