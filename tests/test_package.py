"""The code's shape: one folder per stage, imports that run down the flow, no cycle,
and the plugin found by its entry point as existing sites name it."""

from __future__ import annotations

import ast
from importlib.metadata import entry_points
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "scripts" / "tipweek"
# The stages in the order the data flows (README, "How it fits together"): a module
# may import from its own stage and the ones before it, never from one after.
STAGES = ["library", "calendar", "edition", "outputs", "site", "sending", "list", "importer", "cli"]
# Beside the stages: the run's one load of mkdocs.yml and the plugin's options, which
# the plugin and the commands both ask (and what an unchanged mkdocs.yml gave), and the
# one address check, which the options, a send's CSV list and the list's sign-ups share.
BESIDE = {"project", "configcache", "addresses"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports, wherever in the file (lazy ones too)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        out |= {t for t in targets if t in modules and t != name and modules[t].name != "__init__.py"}
    return out


def _stage(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_sits_in_a_stage_or_is_one_of_the_few_beside_them():
    loose = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"}
    assert loose == BESIDE
    folders = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}
    assert folders == set(STAGES)


def test_imports_run_down_the_flow():
    modules = _modules()
    upward = []
    for name, path in modules.items():
        here = _stage(name)
        if here in BESIDE or here == "":
            continue
        for target in _imports(name, path, modules):
            there = _stage(target)
            if there in BESIDE or there == "":
                continue
            if STAGES.index(there) > STAGES.index(here):
                upward.append(f"{name} imports {target}")
    assert upward == []


def test_no_import_cycle():
    modules = _modules()
    edges = {name: _imports(name, path, modules) for name, path in modules.items() if path.name != "__init__.py"}
    done: set[str] = set()

    def walk(name: str, path: list[str]) -> list[str] | None:
        for target in sorted(edges.get(name, ())):
            if target in path:
                return path[path.index(target):] + [target]
            if target not in done:
                cycle = walk(target, path + [target])
                if cycle:
                    return cycle
        done.add(name)
        return None

    for name in sorted(edges):
        cycle = walk(name, [name])
        assert cycle is None, " -> ".join(cycle)


def test_the_plugin_is_found_by_the_name_existing_sites_use():
    """mkdocs.yml says `plugins: - tipweek`: MkDocs finds the class through the
    package's entry point, wherever the module lives."""
    from mkdocs.plugins import BasePlugin

    (found,) = entry_points(group="mkdocs.plugins", name="tipweek")
    plugin = found.load()
    assert plugin.__name__ == "TipweekPlugin" and issubclass(plugin, BasePlugin)
