"""The site's search: a Pagefind index built from the rendered tip and
principle pages, and the small script that drives the header's search box.

Pagefind indexes only the pages whose content carries ``data-pagefind-body``
(the templates put it on published tips and on principle pages), so the home
page, the archive and the handbook, which repeat every tip, stay out, and so do
the scheduled tips and drafts that `tipweek serve` shows. The index is split
into small compressed chunks that the browser fetches per query, so a search
downloads a few hundred kilobytes however large the library grows.

A large library is indexed in parts (``search_part_size`` pages each, at
most ``MAX_PARTS``): a bundle each, in ``pagefind/`` and ``pagefind/part-N/``,
listed in ``pagefind/tipweek-parts.json``. The box searches them at once, each
in its own worker, and merges the answers by score, as Pagefind's own
``mergeIndex`` does; a word found in nearly every tip then costs each core a
part of the work instead of one core all of it.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pagefind_bin
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

from .atomic import write_atomic

log = logging.getLogger("mkdocs.plugins.tipweek")

ASSETS = Path(__file__).parent.parent / "site" / "assets"
SCRIPT = "assets/search.js"
STYLESHEET = "assets/search.css"
BUNDLE = "pagefind"
# What assets/search.js reads to find the parts and how many pages they hold.
MANIFEST = "tipweek-parts.json"
# Only these pages can hold a body; the glob spares Pagefind parsing the rest.
PAGES = "{tips,principles}/*/index.html"
BODY = re.compile(rb"<[a-z][^>]*\sdata-pagefind-body[\s/>=]")  # the attribute, not the words in a text
# Each part is searched by a worker of its own: more parts than a reader's
# cores gain nothing, and each costs its own copy of Pagefind's script and
# WebAssembly (about 160 KB, 60 KB compressed).
MAX_PARTS = 4
# MkDocs copies Material's static files whether or not its search plugin runs.
MATERIAL_SEARCH = ("search", "assets/javascripts/lunr", "assets/javascripts/workers")
# Pagefind's own interfaces: ours is assets/search.js over pagefind.js.
UNUSED_BUNDLE = re.compile(r"pagefind-(component-ui|modular-ui|ui|highlight)\.(js|css)")


def write_search_index(config: MkDocsConfig, part_size: int) -> int:
    """Index the built site into site/pagefind/ (in parts of ``part_size``
    pages), put the search box's script and stylesheet beside the pages, and
    remove what MkDocs copied of Material's search (unless its plugin is on,
    as in the benchmark's comparison). Returns the number of pages indexed."""
    site = Path(config.site_dir)
    if "material/search" not in config.plugins:
        for leftover in MATERIAL_SEARCH:
            shutil.rmtree(site / leftover, ignore_errors=True)
    for asset in (SCRIPT, STYLESHEET):
        write_atomic(site / asset, (ASSETS / Path(asset).name).read_bytes())
    pages = _indexable(site)
    count = part_count(len(pages), part_size)
    parts = [pages[start::count] for start in range(count)]
    work = site / f".{BUNDLE}.partial"
    shutil.rmtree(work, ignore_errors=True)
    try:
        indexed = _index_parts(site, parts, work)
        _write_manifest(work / "part-1", indexed, len(parts))
        final = site / BUNDLE
        shutil.rmtree(final, ignore_errors=True)
        (work / "part-1").rename(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("tipweek: search index of %d pages in %d part%s written to %s/", indexed, len(parts),
             "" if len(parts) == 1 else "s", BUNDLE)
    return indexed


def part_count(pages: int, part_size: int) -> int:
    """How many parts an index of ``pages`` pages is split into."""
    return max(1, min(MAX_PARTS, math.ceil(pages / part_size)))


def _indexable(site: Path) -> list[Path]:
    """The pages Pagefind will index (those with a body), sorted by path."""
    pages = []
    for folder in ("tips", "principles"):
        try:
            entries = sorted(os.scandir(site / folder), key=lambda entry: entry.name)
        except FileNotFoundError:
            continue
        for entry in entries:
            page = Path(entry.path) / "index.html"
            try:
                if BODY.search(page.read_bytes()):
                    pages.append(page)
            except (FileNotFoundError, NotADirectoryError):
                continue
    return pages


def _index_parts(site: Path, parts: list[list[Path]], work: Path) -> int:
    """Index each part into ``work``/part-N/ at once (one Pagefind each), then
    nest parts 2.. inside part 1, which becomes site/pagefind/. Each part is
    indexed from a folder of hard links to its pages: Pagefind takes a folder,
    not a list of files, and a folder holding only pages with a body is also
    never indexed whole (Pagefind indexes every page when none has one)."""
    jobs = []
    for number, pages in enumerate(parts, start=1):
        source = work / f"pages-{number}"
        source.mkdir(parents=True)
        for page in pages:
            _link(page, source / page.relative_to(site))
        jobs.append((source, work / f"part-{number}"))
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        indexed = sum(pool.map(lambda job: _run_pagefind(site, *job), jobs))
    first = work / "part-1"
    for number in range(2, len(parts) + 1):
        (work / f"part-{number}").rename(first / f"part-{number}")
    return indexed


def _write_manifest(bundle: Path, pages: int, parts: int) -> None:
    """What assets/search.js reads first: the other parts, and how large the
    index is (a small one is searched from the first letter, and fetched
    whole, its word chunks and page texts, once the page has loaded)."""
    def weight(pattern: str) -> int:
        return sum(path.stat().st_size for path in bundle.glob(pattern))

    manifest = {"pages": pages, "parts": [f"part-{number}/" for number in range(2, parts + 1)],
                "index_bytes": weight("**/index/*.pf_index"), "fragment_bytes": weight("**/fragment/*.pf_fragment")}
    (bundle / MANIFEST).write_text(json.dumps(manifest) + "\n", "utf-8")


def _link(page: Path, to: Path) -> None:
    to.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(page, to)
    except OSError:  # a file system without hard links
        shutil.copyfile(page, to)


def _run_pagefind(site: Path, source: Path, out: Path) -> int:
    """Index the pages under ``source`` into the bundle ``out``; returns the
    number of pages indexed."""
    command = [str(pagefind_bin.get_executable()), "--site", str(source), "--glob", PAGES,
               "--output-path", str(out), "--exclude-selectors", ".headerlink"]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PluginError(f"tipweek: the search index could not be built: {exc}") from None
    if run.returncode != 0:
        last = (run.stderr.strip() or run.stdout.strip() or "no message").splitlines()[-1]
        raise PluginError(f"tipweek: pagefind failed to index {site}: {last}")
    for path in out.iterdir():
        if UNUSED_BUNDLE.fullmatch(path.name):
            path.unlink()
    found = re.search(r"Indexed (\d+) pages?", run.stdout)
    return int(found.group(1)) if found else 0
