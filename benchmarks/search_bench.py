#!/usr/bin/env python3
"""Search in Chromium: Material's built-in search against tipweek's Pagefind box.

For the real library and each synthetic size it builds the same tipweek
project twice: as it is (Pagefind, the header box over pagefind.js) and as it
was before (Material's search plugin, its header and search box, copied at run
time from the installed theme). Each site is served from 127.0.0.1 by a plain
static server (no compression, like opening the files); for each engine and
word, a fresh browser context (cold cache) opens the home page, waits for its
load event, clicks the search box and types the word at 60 ms a key. Measured:

* first results: from the first keydown to the first result in the page
  (a MutationObserver in the page stamps both), typing and loading included;
* bytes: what the search downloaded (response bodies and headers of its own
  files: Material's index, worker and lunr; Pagefind's bundle and our script).

Run on its own (after benchmarks/run.py made benchmarks/work/N/, or it makes them):

    .venv/bin/python benchmarks/search_bench.py --tips 1000,5000 [--repeat 3]

`make bench` runs it after the build timings (benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# An ordinary word (in about a quarter of the real tips) and one in nearly every tip.
WORDS = ("refund", "customer")
KEY_DELAY_MS = 60
# At the real library, also a reader who looks at the page for a moment before
# clicking into the box (the old search built its index during the page load;
# Pagefind loads once the page is shown).
READ_FIRST_S = 1.0
ENGINES = {
    # name: (site folder, the search's own files)
    "material": ("site-material-search", re.compile(r"/search/search_index\.json|/javascripts/workers/search|"
                                                    r"/javascripts/lunr/")),
    "pagefind": ("site", re.compile(r"/pagefind/|/assets/search\.(js|css)")),
}
LABELS = {"material": "Material search (lunr)", "pagefind": "Pagefind"}
TARGET_S, TARGET_BYTES = 1.0, 1024 * 1024  # at 5000 tips

# Stamps the first keydown and the first search result the page shows.
OBSERVER = """
window.__bench = {first: null, shown: null};
addEventListener("keydown", () => { if (window.__bench.first === null) window.__bench.first = performance.now(); },
                 true);
new MutationObserver(() => {
  if (window.__bench.first !== null && window.__bench.shown === null
      && document.querySelector(".md-search-result__item")) window.__bench.shown = performance.now();
}).observe(document, {childList: true, subtree: true});
"""


# --------------------------------------------------------------------------- the sites

def real_project(log) -> Path:
    """benchmarks/work/real/tipweek: the repository's own tips, docs and mkdocs.yml."""
    dest = WORK / "real" / "tipweek"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for part in ("docs", "tips"):
        shutil.copytree(ROOT / part, dest / part)
    shutil.copy(ROOT / "mkdocs.yml", dest / "mkdocs.yml")
    return dest


def material_variant(project: Path) -> str:
    """mkdocs-material-search.yml beside the project's mkdocs.yml: the search
    plugin back, and Material's own header and search partials in a custom_dir,
    so the page is what staff had before Pagefind."""
    material = Path(__import__("material").__file__).parent / "templates" / "partials"
    overrides = project / "material-search-overrides" / "partials"
    overrides.mkdir(parents=True, exist_ok=True)
    for name in ("header.html", "search.html"):
        shutil.copy(material / name, overrides / name)
    config = (project / "mkdocs.yml").read_text("utf-8")
    config, n1 = re.subn(r"(?m)^(\s+)custom_dir:.*$", r"\1custom_dir: material-search-overrides", config)
    config, n2 = re.subn(r"(?m)^plugins:\n", "plugins:\n  - search\n", config)
    config, n3 = re.subn(r"(?m)^(\s+)features:\n", r"\1features:\n\1  - search.suggest\n\1  - search.highlight\n",
                         config)
    if (n1, n2, n3) != (1, 1, 1):
        raise SystemExit("benchmarks: could not turn mkdocs.yml into its Material-search variant")
    (project / "mkdocs-material-search.yml").write_text(config, "utf-8")
    return "mkdocs-material-search.yml"


def build(project: Path, config: str, site: str) -> None:
    tipweek = str(Path(sys.executable).parent / "tipweek")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIPWEEK_")}
    if project.parent.name != "real":
        env["TIPWEEK_TODAY"] = "2026-07-01"  # as benchmarks/run.py: every synthetic tip is published
    run = subprocess.run([tipweek, "build", "-q", "-f", config, "-d", site], cwd=project, env=env,
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"benchmarks: tipweek build -f {config} failed in {project}:\n{run.stderr[-2000:]}")


def prepare(project: Path, log) -> None:
    """Both sites of ``project``: site/ (as `tipweek build` makes it) and
    site-material-search/, built afresh: a site left by an earlier run may
    hold an older search box."""
    log(f"search: building {project.relative_to(WORK)}/site")
    build(project, "mkdocs.yml", "site")
    log(f"search: building {project.relative_to(WORK)}/site-material-search")
    build(project, material_variant(project), "site-material-search")


# --------------------------------------------------------------------------- measuring

class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def one_search(browser, url: str, word: str, own_files: re.Pattern, read_first_s: float = 0.0) -> dict:
    """A first visit: open the home page, (wait ``read_first_s``,) click the box, type ``word``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.add_init_script(OBSERVER)
        finished = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
        page.goto(url, wait_until="load")
        if read_first_s:
            page.wait_for_timeout(read_first_s * 1000)
        page.locator("input.md-search__input").first.click()
        page.keyboard.type(word, delay=KEY_DELAY_MS)
        page.wait_for_function("window.__bench.shown !== null", timeout=120_000, polling=50)
        stamps = page.evaluate("window.__bench")
        page.wait_for_load_state("networkidle")
        own = [r for r in finished if own_files.search(r.url)]
        sizes = [r.sizes() for r in own]
        return {"first_results_s": (stamps["shown"] - stamps["first"]) / 1000,
                "bytes": sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes),
                "requests": len(own)}
    finally:
        context.close()


def measure(projects: dict[str, Path], repeat: int, log) -> dict:
    """{size label: {engine: {word: {median first results, bytes, samples}}}}."""
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for label, project in projects.items():
                results[label] = {}
                for engine, (folder, own_files) in ENGINES.items():
                    server, url = serve(project / folder)
                    try:
                        results[label][engine] = {}
                        one_search(browser, url, WORDS[0], own_files)  # warm-up: the server's and the disk's caches
                        for word in WORDS:
                            runs = [one_search(browser, url, word, own_files) for _ in range(repeat)]
                            cell = {"first_results_s": statistics.median(r["first_results_s"] for r in runs),
                                    "bytes": statistics.median(r["bytes"] for r in runs),
                                    "requests": runs[-1]["requests"],
                                    "samples_s": [round(r["first_results_s"], 3) for r in runs]}
                            results[label][engine][word] = cell
                            log(f"search [{label}] {engine} {word!r}: {cell['first_results_s']:.2f} s, "
                                f"{cell['bytes'] / 1024:.0f} KB in {cell['requests']} requests")
                        if label == "real":
                            for word in WORDS:
                                runs = [one_search(browser, url, word, own_files, READ_FIRST_S)
                                        for _ in range(repeat)]
                                first = statistics.median(r["first_results_s"] for r in runs)
                                results[label][engine].setdefault("after_reading", {})[word] = first
                                log(f"search [{label}] {engine} {word!r}, typing {READ_FIRST_S:g} s after the "
                                    f"load: {first:.2f} s")
                    finally:
                        server.shutdown()
        finally:
            browser.close()
    return results


def run(sizes: list[int], repeat: int, log) -> dict | None:
    """Measure search at the real library and at each synthetic size in
    benchmarks/work/<size>/ (generated by benchmarks/run.py). None without Chromium."""
    if not Path(CHROMIUM).exists():
        log(f"search: skipped, {CHROMIUM} is not installed (apt-get install chromium)")
        return None
    projects = {"real": real_project(log)}
    for size in sizes:
        project = WORK / str(size) / "tipweek"
        if not project.is_dir():
            from run import generate  # benchmarks/run.py, beside this file
            log(f"search: generating {size} tips")
            generate(size)
        projects[str(size)] = project
    for project in projects.values():
        prepare(project, log)
    real_tips = sum(1 for _ in (ROOT / "tips").rglob("*.md"))
    load_before = os.getloadavg()[1]
    results = measure(projects, repeat, log)
    # Browser timings move with the machine's load far more than build timings do: say what it was.
    load = (round(load_before, 1), round(os.getloadavg()[1], 1))
    return {"words": list(WORDS), "key_delay_ms": KEY_DELAY_MS, "repeat": repeat, "real_tip_files": real_tips,
            "load_average_5min": load, "sizes": results}


# --------------------------------------------------------------------------- report

def targets(search: dict) -> list[dict]:
    out = []
    sizes = search["sizes"]
    if "5000" in sizes:
        for word in search["words"]:
            cell = sizes["5000"]["pagefind"][word]
            s, kb = cell["first_results_s"], cell["bytes"] / 1024
            out.append({"target": f"Pagefind first results ≤ 1.0 s, '{word}' (5000 tips)", "value": s,
                        "limit": TARGET_S, "pass": s <= TARGET_S, "shown": f"{s:.2f} s"})
            out.append({"target": f"Pagefind download ≤ 1 MB, '{word}' (5000 tips)", "value": kb,
                        "limit": 1024, "pass": cell["bytes"] <= TARGET_BYTES, "shown": f"{kb:.0f} KB"})
    for word in search["words"]:
        new, old = (sizes["real"][e][word]["first_results_s"] for e in ("pagefind", "material"))
        out.append({"target": f"Pagefind no slower than Material search, '{word}' (real library)",
                    "value": new, "limit": old, "pass": new <= old, "shown": f"{new:.2f} s vs {old:.2f} s"})
    for word in search["words"]:
        after = {e: sizes["real"][e].get("after_reading", {}).get(word) for e in ("pagefind", "material")}
        if None not in after.values():
            new, old = after["pagefind"], after["material"]
            out.append({"target": f"Pagefind no slower than Material search, '{word}' (real library, typing "
                                  f"{READ_FIRST_S:g} s after the load)", "value": new, "limit": old,
                        "pass": new <= old, "shown": f"{new:.2f} s vs {old:.2f} s"})
    return out


def report_lines(search: dict) -> list[str]:
    labels = list(search["sizes"])
    names = {"real": f"real library ({search['real_tip_files']} files)"}
    lines = [f"Search in Chromium: first results after the first keystroke (typing at {search['key_delay_ms']} ms "
             f"a key included), and what the search downloaded for the query, cold cache, served without "
             f"compression; median of {search['repeat']}; the machine's 5-minute load average went from "
             f"{search.get('load_average_5min', ('?', '?'))[0]} to {search.get('load_average_5min', ('?', '?'))[1]} "
             f"on {os.cpu_count()} CPUs.", "",
             "| search | " + " | ".join(names.get(k, f"{k} tips") for k in labels) + " |",
             "|---" * (len(labels) + 1) + "|"]
    for word in search["words"]:
        for engine in ENGINES:
            cells = [search["sizes"][k][engine][word] for k in labels]
            lines.append(f"| {LABELS[engine]}, '{word}' | " + " | ".join(
                f"{c['first_results_s']:.2f} s, {_size(c['bytes'])}" for c in cells) + " |")
    for word in search["words"]:
        for engine in ENGINES:
            after = search["sizes"]["real"][engine].get("after_reading", {}).get(word)
            if after is not None:
                lines.append(f"| {LABELS[engine]}, '{word}', typing {READ_FIRST_S:g} s after the load | "
                             f"{after:.2f} s |" + " |" * (len(labels) - 1))
    return lines


def _size(n: float) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tips", default="1000,5000", help="synthetic sizes besides the real library")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def log(msg: str) -> None:
        print(f"{time.perf_counter() - started:7.1f}s  {msg}", flush=True)

    search = run(sorted({int(s) for s in args.tips.split(",") if s.strip()}), args.repeat, log)
    if search is None:
        return 1
    print("\n".join(report_lines(search)))
    for t in targets(search):
        print(f"{'PASS' if t['pass'] else 'MISS'}  {t['target']}: {t['shown']}")
    (WORK / "search.json").write_text(json.dumps(search, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
