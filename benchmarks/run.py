#!/usr/bin/env python3
"""tipweek benchmark: tipweek's commands against a Material blog doing the same job.

For each library size it generates a deterministic synthetic library (seeded)
into benchmarks/work/<N>/, as

* a tipweek project (the repository's mkdocs.yml and docs/ pages, pointed at
  the synthetic tips; tips/principles.yml is the real one), and
* the same tips as a Material blog (docs/blog/posts/*.md; plugins search, blog,
  tags), plus a variant with mkdocs-rss-plugin (the newest 20 posts, dates
  from front matter, no git).

The peers run from their own virtual environment, benchmarks/work/peer-venv,
with the project's own versions of mkdocs, mkdocs-material, Markdown,
pymdown-extensions and Jinja2, so only the plugins differ. They are not
dependencies of tipweek.

Every command is a child process timed from spawn to exit; its peak RSS comes
from os.wait4 (ru_maxrss, KB). After one warm-up run of every command at every
size, --repeat rounds follow; each round runs every command at every size once,
in an order rotated from round to round, so a slow minute of the machine does
not land on one command and ratios across sizes compare runs made close
together. Medians are reported; ratios are computed from medians of the same
run. The blog builds above 1000 tips (minutes each, no target depends on them)
run in at most --peer-repeat rounds and skip their warm-up (--warmup-limit),
and sit out a round rather than push the run past --budget minutes.

Run it with the project's venv python (``make bench``):

    .venv/bin/python benchmarks/run.py --tips 100,1000,5000 [--repeat 3]

Results: benchmarks/results/latest.json and latest.md (also printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import gzip
import json
import math
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from importlib import metadata
from pathlib import Path

import search_bench
import weekly

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
RESULTS = HERE / "results"
PEER_VENV = WORK / "peer-venv"

SEED = 20260701
TODAY = dt.date(2026, 7, 1)  # a Wednesday; fixed TIPWEEK_TODAY for every command
LAST_TIP = dt.date(2026, 6, 2)  # the newest synthetic tip: a Tuesday four weeks before TODAY
RSS_PLUGIN = "mkdocs-rss-plugin==1.19.0"
# The peers get the same versions as the project's venv, so only the plugins differ.
PINNED_FROM_PROJECT = ("mkdocs", "mkdocs-material", "Markdown", "pymdown-extensions", "Jinja2")

# Targets: (key, description); evaluated in evaluate().
GMAIL_CLIP = 102 * 1024

COMMANDS = ("check", "build", "feed", "email", "blog", "blog_rss", "floor_read", "floor_frontmatter")
TIPWEEK_COMMANDS = ("check", "build", "feed", "email")
LABELS = {
    "check": "tipweek check",
    "build": "tipweek build (full site)",
    "feed": "tipweek feed --out X",
    "email": "tipweek email --out X",
    "blog": "Material blog+tags+search build",
    "blog_rss": "Material blog+tags+search+rss build",
    "floor_read": "floor: read all tip files",
    "floor_frontmatter": "floor: parse front matter only",
}


# --------------------------------------------------------------------------- synthetic text

def _corpus_tokens() -> list[str]:
    """Words and sentence punctuation of the project's real tip bodies."""
    tokens: list[str] = []
    for path in sorted((ROOT / "tips").rglob("*.md")):
        text = path.read_text("utf-8")
        if text.startswith("---\n"):
            text = text.split("\n---\n", 1)[-1]
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links -> their text
        text = re.sub(r"[*_`#>]", " ", text)
        text = re.sub(r"^\s*-\s+", " ", text, flags=re.M)
        tokens += re.findall(r"[A-Za-z][A-Za-z'’-]*|[.,;:?!]", text)
    return tokens


class TextMaker:
    """A bigram chain over the real tips: text with the shape (and the gzip
    ratio, which matters for the search index) of the real thing."""

    END = {".", "?", "!"}

    def __init__(self, rng: random.Random):
        self.rng = rng
        tokens = _corpus_tokens()
        if len(tokens) < 200:
            raise SystemExit("benchmarks: the project's tips/ are needed as a text corpus")
        self.next: dict[str, list[str]] = {}
        for a, b in zip(tokens, tokens[1:]):
            self.next.setdefault(a, []).append(b)
        self.starts = [b for a, b in zip(tokens, tokens[1:]) if a in self.END and b[0].isupper()]
        self.words = [t for t in tokens if t[0].isalpha() and len(t) > 3]

    def sentence(self, max_words: int = 28) -> tuple[str, int]:
        word = self.rng.choice(self.starts)
        out, words = [word], 1
        while True:
            nxt = self.rng.choice(self.next.get(word) or ["."])
            if nxt in self.END or words >= max_words:
                out.append("." if nxt not in self.END else nxt)
                break
            if nxt in ",;:" and out[-1] in ",;:":
                continue
            out.append(nxt)
            if nxt[0].isalpha():
                words += 1
            word = nxt
        text = " ".join(out)
        text = re.sub(r" ([.,;:?!])", r"\1", text)
        return text[0].upper() + text[1:], words

    def paragraph(self, target_words: int) -> tuple[str, int]:
        parts, words = [], 0
        while words < target_words:
            s, n = self.sentence(min(28, max(6, target_words - words + 4)))
            parts.append(s)
            words += n
        return " ".join(parts), words

    def title(self) -> str:
        n = self.rng.randint(3, 7)
        words = [self.rng.choice(self.words).strip("'’-") or "tip" for _ in range(n)]
        return " ".join(words).capitalize()


def slug_of(title: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", title.lower())[:8])


def principle_slugs() -> list[str]:
    import yaml

    data = yaml.safe_load((ROOT / "tips" / "principles.yml").read_text("utf-8"))
    return list(data)


def principle_names() -> dict[str, str]:
    import yaml

    data = yaml.safe_load((ROOT / "tips" / "principles.yml").read_text("utf-8"))
    return {slug: entry["name"] for slug, entry in data.items()}


def make_tips(count: int) -> list[dict]:
    """``count`` tips, one a week on Tuesdays, the newest on LAST_TIP. Each has
    300-500 words in 3-5 paragraphs and one bulleted list, 1-3 principles."""
    rng = random.Random(f"{SEED}-{count}")
    maker = TextMaker(rng)
    slugs = principle_slugs()
    tips, used = [], set()
    for i in range(count):
        day = LAST_TIP - dt.timedelta(weeks=count - 1 - i)
        title = maker.title()
        slug = slug_of(title) or "tip"
        base, n = slug, 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        tags = rng.sample(slugs, rng.randint(1, 3))
        summary, _ = maker.sentence(24)
        total = rng.randint(300, 490)  # + list markers and the takeaway label: 300-500 words
        items = [maker.sentence(rng.randint(6, 14)) for _ in range(rng.randint(3, 5))]
        list_words = sum(n for _, n in items)
        takeaway, take_words = maker.sentence(16)
        paragraphs_n = rng.randint(3, 5)
        left = max(total - list_words - take_words, 60 * paragraphs_n)
        paragraphs = []
        for p in range(paragraphs_n):
            share = left // (paragraphs_n - p)
            text, words = maker.paragraph(share)
            left -= words
            paragraphs.append(text)
        where = rng.randint(1, paragraphs_n - 1)  # the list sits after a paragraph, never first
        blocks = paragraphs[:where] + ["\n".join(f"- {s}" for s, _ in items)] + paragraphs[where:]
        blocks.append(f"**Takeaway:** {takeaway}")
        tips.append({"date": day, "slug": slug, "title": title, "tags": tags, "summary": summary,
                     "blocks": blocks})
    return tips


def _yaml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def write_tipweek_project(dest: Path, tips: list[dict]) -> None:
    """The repository's mkdocs.yml and docs/ with the synthetic tips/."""
    dest.mkdir(parents=True)
    shutil.copytree(ROOT / "docs", dest / "docs")
    config = (ROOT / "mkdocs.yml").read_text("utf-8")
    # Point the plugin at the synthetic tips (a copy of the real principles beside them).
    config, n1 = re.subn(r"(?m)^(\s+tips:)\s*\S+\s*$", r"\1 tips", config)
    config, n2 = re.subn(r"(?m)^(\s+principles:)\s*\S+\s*$", r"\1 tips/principles.yml", config)
    if (n1, n2) != (1, 1):
        raise SystemExit("benchmarks: could not find the tipweek plugin's tips/principles options in mkdocs.yml")
    (dest / "mkdocs.yml").write_text(config, "utf-8")
    tips_dir = dest / "tips"
    tips_dir.mkdir()
    shutil.copy(ROOT / "tips" / "principles.yml", tips_dir / "principles.yml")
    for tip in tips:
        folder = tips_dir / str(tip["date"].year)
        folder.mkdir(exist_ok=True)
        front = (f"---\ntitle: {_yaml_str(tip['title'])}\ndate: {tip['date'].isoformat()}\n"
                 f"tags: [{', '.join(tip['tags'])}]\nsummary: {_yaml_str(tip['summary'])}\n---\n")
        (folder / f"{tip['date'].isoformat()}-{tip['slug']}.md").write_text(
            front + "\n\n".join(tip["blocks"]) + "\n", "utf-8")


def _peer_config(extra_plugins: str, site_dir: str) -> str:
    """The Material blog's mkdocs.yml: the tipweek project's theme and Markdown
    extensions, Material's own plugins instead of tipweek."""
    import yaml

    text = (ROOT / "mkdocs.yml").read_text("utf-8")
    theme = re.search(r"(?ms)^theme:\n.*?(?=^\S)", text).group(0)
    theme = re.sub(r"(?m)^\s+custom_dir:.*\n", "", theme)
    md_ext = re.search(r"(?ms)^markdown_extensions:\n.*?(?=^\S)", text).group(0)
    site = {k: yaml.safe_load(text)[k] for k in ("site_name", "site_url", "site_description", "site_author")}
    head = "".join(f"{k}: {_yaml_str(v)}\n" for k, v in site.items())
    return (f"# Generated by benchmarks/run.py: the peer of the tipweek project.\n{head}"
            f"site_dir: {site_dir}\n\n{theme}\n"
            f"plugins:\n  - search\n  - blog\n  - tags\n{extra_plugins}\n{md_ext}")


RSS_PLUGIN_CONFIG = """\
  - rss:
      match_path: blog/posts/.*
      date_from_meta:
        as_creation: date
      length: 20
      use_git: false
      categories:
        - categories
        - tags
"""


def write_blog_project(dest: Path, tips: list[dict]) -> None:
    """The same tips as Material blog posts; mkdocs.yml (search, blog, tags)
    and mkdocs-rss.yml (the same + rss) share docs/."""
    names = principle_names()
    docs = dest / "docs"
    posts = docs / "blog" / "posts"
    posts.mkdir(parents=True)
    for page in ("index.md", "about.md", "subscribe.md", "editors-guide.md"):
        shutil.copy(ROOT / "docs" / page, docs / page)
    (docs / "blog" / "index.md").write_text("# Tips\n", "utf-8")
    (docs / "tags.md").write_text("# Principles\n\n<!-- material/tags -->\n", "utf-8")
    for tip in tips:
        cats = "".join(f"  - {names[t]}\n" for t in tip["tags"])
        front = (f"---\ntitle: {_yaml_str(tip['title'])}\ndate: {tip['date'].isoformat()}\n"
                 f"description: {_yaml_str(tip['summary'])}\n"
                 f"categories:\n{cats}tags: [{', '.join(tip['tags'])}]\n---\n\n")
        blocks = tip["blocks"]
        # The usual blog post: the first paragraph is the excerpt on index pages.
        body = blocks[0] + "\n\n<!-- more -->\n\n" + "\n\n".join(blocks[1:])
        (posts / f"{tip['date'].isoformat()}-{tip['slug']}.md").write_text(
            front + f"# {tip['title']}\n\n" + body + "\n", "utf-8")
    (dest / "mkdocs.yml").write_text(_peer_config("", "site"), "utf-8")
    (dest / "mkdocs-rss.yml").write_text(_peer_config(RSS_PLUGIN_CONFIG, "site-rss"), "utf-8")


FLOOR_READ = """\
import sys
from pathlib import Path
total = 0
for path in sorted(Path(sys.argv[1]).rglob("*.md")):
    total += len(path.read_bytes())
print(total)
"""

FLOOR_FRONTMATTER = """\
import sys
from pathlib import Path
import yaml
Loader = yaml.CSafeLoader
count = 0
for path in sorted(Path(sys.argv[1]).rglob("*.md")):
    text = path.read_bytes().decode("utf-8")
    _, front, _body = text.split("---\\n", 2)
    meta = yaml.load(front, Loader=Loader)
    count += len(meta)
print(count)
"""


def generate(size: int) -> Path:
    """benchmarks/work/<size>/: tipweek/, blog/, floors/, out/ (made afresh)."""
    base = WORK / str(size)
    if base.exists():
        shutil.rmtree(base)
    tips = make_tips(size)
    write_tipweek_project(base / "tipweek", tips)
    write_blog_project(base / "blog", tips)
    (base / "floors").mkdir()
    (base / "floors" / "read.py").write_text(FLOOR_READ, "utf-8")
    (base / "floors" / "frontmatter.py").write_text(FLOOR_FRONTMATTER, "utf-8")
    (base / "out").mkdir()
    return base


# --------------------------------------------------------------------------- environments

def peer_requirements() -> list[str]:
    return [f"{name}=={metadata.version(name)}" for name in PINNED_FROM_PROJECT] + [RSS_PLUGIN]


def ensure_peer_venv(log) -> Path:
    """benchmarks/work/peer-venv with the peers' packages; reused while the
    pinned requirements are unchanged."""
    reqs = peer_requirements()
    stamp = PEER_VENV / ".bench-requirements"
    python = PEER_VENV / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text() == "\n".join(reqs):
        return PEER_VENV
    log(f"creating {PEER_VENV.relative_to(ROOT)} ({', '.join(reqs)})")
    if PEER_VENV.exists():
        shutil.rmtree(PEER_VENV)
    base_python = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base_python, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *reqs],
                   check=True)
    stamp.write_text("\n".join(reqs))
    return PEER_VENV


# --------------------------------------------------------------------------- measuring

def _busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy (all CPUs), from /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# A small process that starts every measured command. A child's ru_maxrss counts the
# memory of the process it was forked from (Linux records the old address space's
# high-water mark at exec), so forking from this harness, which holds the generated
# libraries, would put a floor of ~40 MB under every peak RSS. The launcher is a bare
# `python -S -I` (~8 MB): it forks, execs the command, reaps it with os.wait4 and
# reports the wall time and rusage as one JSON line.
LAUNCHER = r"""
import json, os, sys, time
for line in sys.stdin:
    job = json.loads(line)
    out = os.open(job["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(job["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(job["cwd"])
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.execve(job["argv"][0], job["argv"], job["env"])
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    os.close(out)
    os.close(err)
    print(json.dumps({"wall": wall, "code": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss,
                      "user": usage.ru_utime, "sys": usage.ru_stime}), flush=True)
"""


class Launcher:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-S", "-I", "-c", LAUNCHER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.tmp = tempfile.TemporaryDirectory(prefix="tipweek-bench-")

    def run(self, argv: list[str], cwd: Path, env: dict) -> dict:
        out, err = Path(self.tmp.name) / "out", Path(self.tmp.name) / "err"
        self.proc.stdin.write(json.dumps({"argv": argv, "cwd": str(cwd), "env": env, "out": str(out),
                                          "err": str(err)}) + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise SystemExit("benchmarks: the launcher process died")
        result = json.loads(reply)
        result["stdout"] = out.read_text(errors="replace")[-400:]
        result["stderr_tail"] = err.read_text(errors="replace")[-4000:]
        return result

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()
        self.tmp.cleanup()


_launcher: Launcher | None = None


def run_child(argv: list[str], cwd: Path, env: dict) -> dict:
    """Run one command: its wall time (s) and, from os.wait4 on it, its CPU
    time and peak RSS (KB). ``other_cpu_s`` is the CPU time the rest of the
    machine used meanwhile: another job on this 2-core machine makes timings
    unreliable."""
    global _launcher
    if _launcher is None:
        _launcher = Launcher()
    busy = _busy_cpu_s()
    result = _launcher.run(argv, cwd, env)
    result["other_cpu_s"] = max(0.0, _busy_cpu_s() - busy - result["user"] - result["sys"])
    if result["code"] != 0:
        raise SystemExit(f"benchmarks: {' '.join(argv)} (in {cwd}) exited {result['code']}:\n"
                         f"{result['stderr_tail']}")
    return result


def contended(sample: dict) -> bool:
    """Other processes used more than 20% of a core during this run (besides
    the harness itself and the kernel's own bookkeeping)."""
    return sample["other_cpu_s"] > 0.2 * sample["wall"] + 0.05


def commands(base: Path) -> dict[str, tuple[list[str], Path]]:
    venv_bin = Path(sys.executable).parent
    tipweek = str(venv_bin / "tipweek")
    peer_mkdocs = str(PEER_VENV / "bin" / "mkdocs")
    project = base / "tipweek"
    tips = str(project / "tips")
    return {
        "check": ([tipweek, "check", "-f", "mkdocs.yml"], project),
        "build": ([tipweek, "build", "-f", "mkdocs.yml"], project),
        "feed": ([tipweek, "feed", "-f", "mkdocs.yml", "--out", str(base / "out" / "feeds")], project),
        "email": ([tipweek, "email", "-f", "mkdocs.yml", "--out", str(base / "out" / "week.eml")], project),
        "blog": ([peer_mkdocs, "build", "-q", "-f", "mkdocs.yml"], base / "blog"),
        "blog_rss": ([peer_mkdocs, "build", "-q", "-f", "mkdocs-rss.yml"], base / "blog"),
        "floor_read": ([sys.executable, str(base / "floors" / "read.py"), tips], base),
        "floor_frontmatter": ([sys.executable, str(base / "floors" / "frontmatter.py"), tips], base),
    }


def child_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIPWEEK_", "PYTHON"))}
    env.update(TIPWEEK_TODAY=TODAY.isoformat(), NO_MKDOCS_2_WARNING="1", PYTHONHASHSEED="0")
    return env


PEERS = ("blog", "blog_rss")
TARGET_PEER_SIZE = 1000  # the size the build-vs-blog targets are read at


def extrapolate(name: str, size: int, known: dict[int, float]) -> float | None:
    """Seconds for one run of ``name`` at ``size``, from the times known at
    smaller sizes (a power law through the last two, linear from one)."""
    smaller = sorted(s for s in known if s < size)
    if not smaller:
        return None
    s2 = smaller[-1]
    k = 1.0
    if len(smaller) >= 2:
        s1 = smaller[-2]
        k = min(2.0, max(1.0, math.log(known[s2] / known[s1]) / math.log(s2 / s1)))
    return known[s2] * (size / s2) ** k


def measure(sizes: list[int], repeat: int, peer_repeat: int, warmup_limit: float, budget_s: float,
            started: float, log) -> dict[int, dict]:
    """Warm up, then ``repeat`` rounds; every round runs every command at every
    size once (so ratios across sizes, like the 5000/1000 growth, compare runs
    made minutes apart, not a quarter of an hour apart), in an order rotated
    from round to round.

    The blog builds above TARGET_PEER_SIZE feed no target and take minutes
    each: they run in at most ``peer_repeat`` rounds (at least one), and sit out
    a round when their run would push the whole benchmark past ``budget_s``."""
    bases, cmds = {}, {}
    for size in sizes:
        t0 = time.perf_counter()
        bases[size] = generate(size)
        cmds[size] = commands(bases[size])
        log(f"[{size}] generated in {time.perf_counter() - t0:.1f}s")
    env = child_env()
    warm: dict[str, dict[int, float]] = {name: {} for name in COMMANDS}
    expected: dict[tuple[int, str], float] = {}
    for size in sizes:
        for name in COMMANDS:
            guess = extrapolate(name, size, warm[name])
            # One warm-up per command and size (caches, .pyc files, and a previous site/ for a
            # build to replace, as in steady state). A peer build expected to take longer than
            # warmup_limit is not warmed again: its code was warmed at the smaller size and the
            # fresh library is in the page cache.
            if name in PEERS and guess is not None and guess > warmup_limit:
                expected[size, name] = guess
                log(f"[{size}] warm-up {name:18s} skipped (expected {guess:.0f}s > {warmup_limit:.0f}s; "
                    "warmed at the smaller size)")
                continue
            argv, cwd = cmds[size][name]
            r = run_child(argv, cwd, env)
            warm[name][size] = expected[size, name] = r["wall"]
            log(f"[{size}] warm-up {name:18s} {r['wall']:7.2f}s {r['maxrss_kb'] / 1024:7.1f} MB")

    def limited(size: int, name: str) -> bool:
        return name in PEERS and size > TARGET_PEER_SIZE

    items = [(size, name) for size in sizes for name in COMMANDS]
    samples: dict[tuple[int, str], list[dict]] = {item: [] for item in items}

    def guess(item) -> float:
        done = samples[item]
        return statistics.median(s["wall"] for s in done) if done else expected[item]

    for rnd in range(repeat):
        shift = rnd * len(items) // repeat
        order = items[shift:] + items[:shift]
        for pos, item in enumerate(order):
            size, name = item
            if limited(size, name):
                if len(samples[item]) >= peer_repeat:
                    continue
                if samples[item]:
                    # What is still to run after this: the rest of this round and the later rounds,
                    # without the other limited runs; 30 s for reading the outputs.
                    rest = sum(guess(i) for i in order[pos + 1:] if not limited(*i))
                    rest += (repeat - rnd - 1) * sum(guess(i) for i in items if not limited(*i))
                    left = budget_s - (time.perf_counter() - started) - rest - 30
                    if guess(item) > left:
                        log(f"[{size}] round {rnd + 1}: {name} sits out ({guess(item):.0f}s > {max(left, 0):.0f}s "
                            "left in the --budget)")
                        continue
            argv, cwd = cmds[size][name]
            samples[item].append(run_child(argv, cwd, env))
        for size in sizes:
            done = [f"{n} {samples[size, n][-1]['wall']:.2f}s" for n in COMMANDS if len(samples[size, n]) > rnd]
            log(f"[{size}] round {rnd + 1}/{repeat}: " + ", ".join(done))

    by_size = {}
    for size in sizes:
        result = {"tips": size, "commands": {}}
        for name in COMMANDS:
            runs = samples[size, name]
            walls = [s["wall"] for s in runs]
            result["commands"][name] = {
                "label": LABELS[name],
                "median_s": statistics.median(walls),
                "min_s": min(walls),
                "max_s": max(walls),
                "samples_s": walls,
                "runs": len(walls),
                "warm_up": size in warm[name],
                "peak_rss_mb": max(s["maxrss_kb"] for s in runs) / 1024,
                "cpu_s_median": statistics.median(s["user"] + s["sys"] for s in runs),
                "other_cpu_s": [round(s["other_cpu_s"], 2) for s in runs],
                "contended_runs": sum(contended(s) for s in runs),
            }
        result["outputs"] = outputs(bases[size], size)
        by_size[size] = result
    return by_size


def _gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def outputs(base: Path, size: int) -> dict:
    """Sizes of what the last runs wrote: search indexes, the email's HTML part."""
    site = base / "tipweek" / "site"
    # Pagefind's chunks are gzip already; its script and WebAssembly are the same at any size.
    index = sum(p.stat().st_size for p in (site / "pagefind").rglob("*.pf_*"))
    blog_index = base / "blog" / "site" / "search" / "search_index.json"
    eml = base / "out" / "week.eml"
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    html = msg.get_body(("html",)).get_content().encode("utf-8")
    handbook = site / "handbook" / "index.html"
    # Sanity: every command did the whole job.
    tip_pages = sum(1 for _ in (site / "tips").glob("*/index.html"))
    posts = sum(1 for _ in (base / "blog" / "site" / "blog").glob("[0-9]*/*/*/*/index.html"))
    rss_items = (base / "blog" / "site-rss" / "feed_rss_created.xml").read_text("utf-8").count("<item>")
    feed_items = (base / "out" / "feeds" / "feed.xml").read_text("utf-8").count("<item>")
    if (tip_pages, posts, rss_items, feed_items) != (size, size, min(20, size), min(20, size)):
        raise SystemExit(f"benchmarks: incomplete outputs at {size} tips: {tip_pages} tip pages, {posts} blog "
                         f"posts, {rss_items} rss-plugin items, {feed_items} tipweek feed items")
    return {
        "search_index_gz_bytes": index,
        "search_index_gz_per_tip": index / size,
        "blog_search_index_gz_per_tip": _gz(blog_index) / size,
        "email_html_bytes": len(html),
        "site_files": sum(1 for _ in site.rglob("*") if _.is_file()),
        "handbook_bytes": handbook.stat().st_size if handbook.exists() else None,
    }


# --------------------------------------------------------------------------- report

def evaluate(by_size: dict[int, dict]) -> tuple[dict, list[dict]]:
    """Ratios from medians of this run, and the targets they are held to."""
    def med(size, name):
        return by_size[size]["commands"][name]["median_s"]

    ratios: dict = {"per_size": {}, "growth_5000_over_1000": {}}
    for size, res in by_size.items():
        ratios["per_size"][size] = {
            "build_over_blog": med(size, "build") / med(size, "blog"),
            "build_over_blog_rss": med(size, "build") / med(size, "blog_rss"),
            "feed_plus_email_over_frontmatter_floor":
                (med(size, "feed") + med(size, "email")) / med(size, "floor_frontmatter"),
            "ms_per_tip": {n: 1000 * med(size, n) / size for n in COMMANDS},
        }
    targets: list[dict] = []

    def target(name, value, limit, ok, shown):
        targets.append({"target": name, "value": value, "limit": limit, "pass": ok, "shown": shown})

    if 1000 in by_size:
        r = ratios["per_size"][1000]
        target("build ≤ 0.8× blog+tags (1000 tips)", r["build_over_blog"], 0.8,
               r["build_over_blog"] <= 0.8, f"{r['build_over_blog']:.2f}×")
        target("build ≤ 0.55× blog+tags+rss (1000 tips)", r["build_over_blog_rss"], 0.55,
               r["build_over_blog_rss"] <= 0.55, f"{r['build_over_blog_rss']:.2f}×")
    if 5000 in by_size:
        v = ratios["per_size"][5000]["feed_plus_email_over_frontmatter_floor"]
        target("feed+email ≤ 1.5× front-matter floor (5000 tips)", v, 1.5, v <= 1.5, f"{v:.2f}×")
    if 1000 in by_size and 5000 in by_size:
        for name in TIPWEEK_COMMANDS:
            g = med(5000, name) / med(1000, name)
            ratios["growth_5000_over_1000"][name] = g
            target(f"growth 5000/1000 ≤ 5.5: {LABELS[name]}", g, 5.5, g <= 5.5, f"{g:.2f}")
        for name in ("blog", "blog_rss", "floor_read", "floor_frontmatter"):
            ratios["growth_5000_over_1000"][name] = med(5000, name) / med(1000, name)
    for size, res in by_size.items():
        per_tip = res["outputs"]["search_index_gz_per_tip"] / 1024
        target(f"search index ≤ 0.7 KB gz per tip ({size} tips)", per_tip, 0.7, per_tip <= 0.7,
               f"{per_tip:.2f} KB")
    for size, res in by_size.items():
        kb = res["outputs"]["email_html_bytes"] / 1024
        target(f"email HTML < 102 KB ({size} tips)", kb, 102, res["outputs"]["email_html_bytes"] < GMAIL_CLIP,
               f"{kb:.1f} KB")
    return ratios, targets


def markdown_report(meta: dict, by_size: dict[int, dict], ratios: dict, targets: list[dict],
                    search: dict | None = None) -> str:
    sizes = sorted(by_size)
    lines = [f"tipweek benchmark, {meta['tips']} tips, median of {meta['repeat']} runs after one warm-up; "
             f"{meta['cpus']} CPUs, Python {meta['python']}, mkdocs {meta['versions']['mkdocs']}, "
             f"mkdocs-material {meta['versions']['mkdocs-material']}, {meta['rss_plugin']}; "
             f"TIPWEEK_TODAY={meta['today']}.", ""]
    head = "| command | " + " | ".join(f"{s} tips: s (peak MB)" for s in sizes) + " | ms/tip at " \
        + str(sizes[-1]) + " |"
    lines += [head, "|---" * (len(sizes) + 2) + "|"]
    for name in COMMANDS:
        cells = [f"{c['median_s']:.2f}{'' if c['warm_up'] else '†'}{'' if c['runs'] >= meta['repeat'] else '‡'}"
                 f" ({c['peak_rss_mb']:.0f})"
                 for c in (by_size[s]["commands"][name] for s in sizes)]
        per_tip = ratios["per_size"][sizes[-1]]["ms_per_tip"][name]
        lines.append(f"| {LABELS[name]} | " + " | ".join(cells) + f" | {per_tip:.2f} |")
    if any(not c["warm_up"] for r in by_size.values() for c in r["commands"].values()):
        lines += ["", f"† no warm-up run at that size: expected to take over {meta['warmup_limit_s']:.0f} s, "
                  "its code was warmed at the smaller size (see benchmarks/README.md)."]
    short = [(s, n, c["runs"]) for s, r in by_size.items() for n, c in r["commands"].items()
             if c["runs"] < meta["repeat"]]
    if short:
        lines += ["", "‡ fewer timed runs: " + "; ".join(
            f"{LABELS[n]} at {s} tips: {k} run{'s' * (k != 1)}" for s, n, k in short)
                  + " (--peer-repeat / --budget: the blog builds above 1000 tips feed no target; "
                  "see benchmarks/README.md)."]
    busy = [(s, n, c["contended_runs"], c["runs"]) for s, r in by_size.items() for n, c in r["commands"].items()
            if c["contended_runs"]]
    if busy:
        lines += ["", "Caution: other processes used over 20% of a core during "
                  + ", ".join(f"{k}/{m} runs of {LABELS[n]} at {s} tips" for s, n, k, m in busy)
                  + "; this machine has 2 cores, so those timings are not from a quiet machine "
                  "(other_cpu_s in latest.json)."]
    lines += ["", "CPU time of the same runs (user + sys, median, s); where it is well below the wall time "
              "above, the command waited for the disk:", "",
              "| command | " + " | ".join(f"{s} tips" for s in sizes) + " |", "|---" * (len(sizes) + 1) + "|"]
    for name in COMMANDS:
        lines.append(f"| {LABELS[name]} | " + " | ".join(
            f"{by_size[s]['commands'][name]['cpu_s_median']:.2f}" for s in sizes) + " |")
    lines += ["", "| ratio | " + " | ".join(f"{s} tips" for s in sizes) + " |", "|---" * (len(sizes) + 1) + "|"]
    rows = [
        ("build / blog+tags", "build_over_blog", "{:.2f}×"),
        ("build / blog+tags+rss", "build_over_blog_rss", "{:.2f}×"),
        ("(feed+email) / front-matter floor", "feed_plus_email_over_frontmatter_floor", "{:.2f}×"),
    ]
    for label, key, fmt in rows:
        lines.append(f"| {label} | " + " | ".join(fmt.format(ratios["per_size"][s][key]) for s in sizes) + " |")
    out_rows = [
        ("search index, gzipped KB per tip (tipweek: Pagefind's chunks)",
         lambda o: f"{o['search_index_gz_per_tip'] / 1024:.2f}"),
        ("search index, gzipped KB per tip (Material blog)",
         lambda o: f"{o['blog_search_index_gz_per_tip'] / 1024:.2f}"),
        ("weekly email HTML part, KB", lambda o: f"{o['email_html_bytes'] / 1024:.1f}"),
        ("handbook page, KB", lambda o: f"{(o['handbook_bytes'] or 0) / 1024:.0f}"),
    ]
    for label, fn in out_rows:
        lines.append(f"| {label} | " + " | ".join(fn(by_size[s]["outputs"]) for s in sizes) + " |")
    if ratios["growth_5000_over_1000"]:
        lines += ["", "| growth 5000/1000 (linear = 5.0) | " + " | ".join(
            LABELS[n] for n in ratios["growth_5000_over_1000"]) + " |",
            "|---" * (len(ratios["growth_5000_over_1000"]) + 1) + "|",
            "| time ratio | " + " | ".join(f"{g:.2f}" for g in ratios["growth_5000_over_1000"].values()) + " |"]
    lines += ["", "| target | value | result |", "|---|---|---|"]
    for t in targets:
        lines.append(f"| {t['target']} | {t['shown']} | {'PASS' if t['pass'] else 'MISS'} |")
    if search:
        lines += [""] + search_bench.report_lines(search)
    lines += ["", f"Whole run: {meta['total_s'] / 60:.1f} min (generation, peer venv check, warm-ups, "
              f"{meta['repeat']} rounds with every size in each round, outputs)."]
    return "\n".join(lines) + "\n"


def weekly_bases(sizes: list[int]) -> dict[str, Path]:
    """The real library, then each generated size (generated by measure() or here)."""
    bases = {"62": weekly.real_library()}
    for size in sizes:
        base = WORK / str(size)
        if not (base / "tipweek" / "mkdocs.yml").is_file():
            generate(size)
        bases[str(size)] = base
    return bases


def weekly_only(sizes: list[int], what: set[str], args, log, started: float) -> int:
    """--only: the weekly jobs and/or the preview, without the site builds and their peers."""
    for size in sizes:
        generate(size)
        log(f"[{size}] generated")
    extra = weekly.measure(weekly_bases(sizes), args.repeat, args.edits, child_env(), log, what)
    lines = [f"tipweek weekly jobs and preview, {args.repeat} rounds after a warm-up, {args.edits} edits; "
             f"{os.cpu_count()} CPUs, Python {platform.python_version()}; TIPWEEK_TODAY={TODAY.isoformat()}.",
             *weekly.table(extra), "", "| target | value | result |", "|---|---|---|"]
    lines += [f"| {t['target']} | {t['shown']} | {'PASS' if t['pass'] else 'MISS'} |" for t in weekly.targets(extra)]
    report = "\n".join(lines) + f"\n\nWhole run: {(time.perf_counter() - started) / 60:.1f} min.\n"
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    (results / "weekly.json").write_text(json.dumps(extra, indent=2, default=str) + "\n", "utf-8")
    (results / "weekly.md").write_text(report, "utf-8")
    print()
    print(report)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tips", default="100,1000,5000",
                        help="comma-separated library sizes (default: 100,1000,5000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds after the warm-up (default: 3)")
    parser.add_argument("--results", default=str(RESULTS), help="folder for latest.json and latest.md")
    parser.add_argument("--peer-repeat", type=int, default=2, metavar="N",
                        help="at most N timed runs of the two blog builds above 1000 tips, where they take "
                             "minutes each and feed no target (default: 2; at most --repeat; at least 1)")
    parser.add_argument("--budget", type=float, default=19.0, metavar="MINUTES",
                        help="a blog build above 1000 tips sits out a round (after its first run) when it "
                             "would push the whole run past this; 0 = no limit (default: 19)")
    parser.add_argument("--warmup-limit", type=float, default=60.0, metavar="SECONDS",
                        help="no warm-up for a blog build expected to take longer than this (it was warmed "
                             "at the smaller size); 0 = always warm up (default: 60)")
    parser.add_argument("--no-search", action="store_true",
                        help="skip the search timings in Chromium (benchmarks/search_bench.py)")
    parser.add_argument("--edits", type=int, default=5, metavar="N",
                        help="one-tip edits timed in tipweek serve at each size (default: 5)")
    parser.add_argument("--only", metavar="WHAT",
                        help="measure only some of: feed,email,preview (the weekly jobs against the "
                             "front-matter floor, the preview's edit latency), at the real library and --tips; "
                             "writes results/weekly.{json,md}")
    parser.add_argument("--from-json", metavar="PATH",
                        help="measure nothing: rewrite the table from a results JSON of an earlier run")
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text("utf-8"))
        by_size = {int(k): v for k, v in saved["sizes"].items()}
        ratios, targets = evaluate(by_size)
        search = saved.get("search")
        targets += search_bench.targets(search) if search else []
        report = markdown_report(saved["meta"], by_size, ratios, targets, search)
        results = Path(args.results)
        results.mkdir(parents=True, exist_ok=True)
        (results / "latest.md").write_text(report, "utf-8")
        print(report)
        return 0
    sizes = sorted({int(s) for s in args.tips.split(",") if s.strip()})
    if not sizes or min(sizes) < 2 or args.repeat < 1:
        parser.error("--tips needs sizes of at least 2 and --repeat at least 1")
    try:
        import tipweek  # noqa: F401
    except ImportError:
        parser.error("run it with the project's venv python (.venv/bin/python), or `make bench`")

    started = time.perf_counter()

    def log(msg: str) -> None:
        print(f"{time.perf_counter() - started:7.1f}s  {msg}", flush=True)

    WORK.mkdir(parents=True, exist_ok=True)
    if args.only:
        what = {w.strip() for w in args.only.split(",") if w.strip()}
        if not what or what - {"feed", "email", "preview"}:
            parser.error("--only takes a comma-separated list of feed, email, preview")
        return weekly_only(sizes, what, args, log, started)
    ensure_peer_venv(log)
    peer_repeat = max(1, min(args.peer_repeat, args.repeat))
    by_size = measure(sizes, args.repeat, peer_repeat, args.warmup_limit or math.inf,
                      args.budget * 60 if args.budget else math.inf, started, log)
    meta = {
        "tips": ",".join(map(str, sizes)),
        "repeat": args.repeat,
        "today": TODAY.isoformat(),
        "seed": SEED,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.platform(),
        "versions": {name: metadata.version(name) for name in PINNED_FROM_PROJECT + ("tipweek",)},
        "rss_plugin": RSS_PLUGIN,
        "warmup_limit_s": args.warmup_limit,
        "peer_repeat_above_1000": peer_repeat,
        "budget_min": args.budget,
        "total_s": time.perf_counter() - started,
    }
    search = None if args.no_search else search_bench.run(sizes, args.repeat, log)
    extra = weekly.measure(weekly_bases(sizes), args.repeat, args.edits, child_env(), log,
                           {"feed", "email", "preview"})
    meta["total_s"] = time.perf_counter() - started
    ratios, targets = evaluate(by_size)
    targets += (search_bench.targets(search) if search else []) + weekly.targets(extra)
    report = markdown_report(meta, by_size, ratios, targets, search) + "\n".join(weekly.table(extra)) + "\n"
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    (results / "latest.json").write_text(json.dumps(
        {"meta": meta, "sizes": {str(k): v for k, v in by_size.items()}, "search": search,
         "ratios": json.loads(json.dumps(ratios, default=str)), "targets": targets, "weekly_and_preview": extra},
        indent=2, default=str) + "\n", "utf-8")
    (results / "latest.md").write_text(report, "utf-8")
    print()
    print(report)
    print(textwrap.dedent(f"""\
        wrote {(results / 'latest.json').relative_to(ROOT) if results.is_relative_to(ROOT) else results / 'latest.json'}
        and latest.md; {sum(t['pass'] for t in targets)}/{len(targets)} targets PASS;
        total {meta['total_s'] / 60:.1f} min"""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
