"""The site's search: a Pagefind index built from the rendered tip and
principle pages, and the small script that drives the header's search box.

Pagefind indexes only the pages whose content carries ``data-pagefind-body``
(the templates put it on published tips and on principle pages), so the home
page, the archive and the handbook, which repeat every tip, stay out, and so do
the scheduled tips and drafts that `tipweek serve` shows. The index is split
into small compressed chunks that the browser fetches per query, so a search
downloads a few hundred kilobytes however large the library grows.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

import pagefind_bin
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

from .output import write_atomic

log = logging.getLogger("mkdocs.plugins.tipweek")

ASSETS = Path(__file__).parent / "assets"
SCRIPT = "assets/search.js"
STYLESHEET = "assets/search.css"
BUNDLE = "pagefind"
# Only these pages can hold a body; the glob spares Pagefind parsing the rest.
PAGES = "{tips,principles}/*/index.html"
# MkDocs copies Material's static files whether or not its search plugin runs.
MATERIAL_SEARCH = ("search", "assets/javascripts/lunr", "assets/javascripts/workers")
# Pagefind's own interfaces: ours is assets/search.js over pagefind.js.
UNUSED_BUNDLE = re.compile(r"pagefind-(component-ui|modular-ui|ui|highlight)\.(js|css)")


def write_search_index(config: MkDocsConfig) -> int:
    """Index the built site into site/pagefind/, put the search box's script
    and stylesheet beside the pages, and remove what MkDocs copied of
    Material's search (unless its plugin is on, as in the benchmark's
    comparison). Returns the number of pages indexed."""
    site = Path(config.site_dir)
    if "material/search" not in config.plugins:
        for leftover in MATERIAL_SEARCH:
            shutil.rmtree(site / leftover, ignore_errors=True)
    for asset in (SCRIPT, STYLESHEET):
        write_atomic(site / asset, (ASSETS / Path(asset).name).read_bytes())
    pages = _run_pagefind(site, site / f".{BUNDLE}.partial")
    log.info("tipweek: search index of %d pages written to %s/", pages, BUNDLE)
    return pages


def _run_pagefind(site: Path, out: Path) -> int:
    """Build the bundle in ``out`` and swap it in, so a failed run leaves the
    previous index in place."""
    shutil.rmtree(out, ignore_errors=True)
    command = [str(pagefind_bin.get_executable()), "--site", str(site), "--glob", PAGES,
               "--output-path", str(out), "--exclude-selectors", ".headerlink"]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PluginError(f"tipweek: the search index could not be built: {exc}") from None
    if run.returncode != 0:
        shutil.rmtree(out, ignore_errors=True)
        last = (run.stderr.strip() or run.stdout.strip() or "no message").splitlines()[-1]
        raise PluginError(f"tipweek: pagefind failed to index {site}: {last}")
    for path in out.iterdir():
        if UNUSED_BUNDLE.fullmatch(path.name):
            path.unlink()
    final = site / BUNDLE
    shutil.rmtree(final, ignore_errors=True)
    out.rename(final)
    found = re.search(r"Indexed (\d+) pages?", run.stdout)
    return int(found.group(1)) if found else 0
