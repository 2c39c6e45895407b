"""Which principles a blog's categories and tags stand for.

An editor says it with ``--map "customer recovery=ownership"`` (several
principles: ``=ownership,sincerity``; none, to ignore a category: ``=``) or
a YAML file of the same pairs. A category named like a principle (its slug
or its name) needs no mapping.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import yaml

from ..library.model import Principle


class MappingError(Exception):
    """A mapping the editor gave is unusable; the message says where and why."""


def normalise(name: str) -> str:
    """Compare category names as people read them: case, spacing and hyphens aside."""
    return re.sub(r"[\s_-]+", " ", name).strip().casefold()


@dataclass(frozen=True, slots=True)
class TagMap:
    pairs: dict[str, tuple[str, ...]]  # normalised category name -> principle slugs (empty: ignore it)
    principles: dict[str, Principle]

    def principles_for(self, category: str) -> tuple[str, ...] | None:
        """The principles a category stands for; () to ignore it; None if unknown."""
        key = normalise(category)
        if key in self.pairs:
            return self.pairs[key]
        for slug, principle in self.principles.items():
            if key in (normalise(slug), normalise(principle.name)):
                return (slug,)
        return None

    def suggestion(self, category: str) -> str | None:
        """The principle an unknown category most looks like, if any."""
        names = {normalise(slug): slug for slug in self.principles}
        names.update({normalise(p.name): slug for slug, p in self.principles.items()})
        words = normalise(category).split()
        for candidate in [normalise(category), *words]:
            close = difflib.get_close_matches(candidate, list(names), n=1, cutoff=0.6)
            if close:
                return names[close[0]]
        return None


def build_map(options: Iterable[str], map_file: str | None, principles: dict[str, Principle]) -> TagMap:
    """Pairs from a map file, then from each ``--map`` (which win); every
    principle named must exist."""
    pairs: dict[str, tuple[str, ...]] = {}
    if map_file:
        for name, value in _read_map_file(Path(map_file)).items():
            pairs[normalise(name)] = _principles(value, f"{map_file}: '{name}'", principles)
    for option in options:
        name, equals, value = option.partition("=")
        if not equals or not name.strip():
            raise MappingError(f"--map {option!r}: expected CATEGORY=PRINCIPLE, e.g. "
                               "--map \"customer recovery=ownership\"")
        pairs[normalise(name)] = _principles(value, f"--map {option!r}", principles)
    return TagMap(pairs, principles)


def _read_map_file(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: cannot be read ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise MappingError(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MappingError(f"{path}: expected 'category: principle' lines")
    return {str(k): v for k, v in data.items()}


def _principles(value, where: str, principles: dict[str, Principle]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MappingError(f"{where}: expected a principle or a list of principles")
    slugs = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    for slug in slugs:
        if slug not in principles:
            close = difflib.get_close_matches(slug, list(principles), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(principles)}"
            raise MappingError(f"{where}: '{slug}' is not a principle ({hint})")
    return slugs
