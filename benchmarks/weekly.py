"""The weekly jobs and the preview, at the real library and the synthetic sizes.

* feed + email: `tipweek feed --out X` then `tipweek email --out X` (each a
  child process, as a cron job runs them) against the front-matter floor,
  one warm-up then ``repeat`` rounds, medians; the warm-up fills
  .tipweek/cache as the previous week's run would have. Then, up to three
  times, the same two right after an old tip's file changed.
* preview: a one-tip edit in a running `tipweek serve` until the tip's page
  shows it (benchmarks/preview.py), median of ``edits`` edits of different
  tips; also the CPU time the serve process spent per edit, which a busy
  machine inflates far less than the wall time.

"62" stands for the project's own library: its tips/, docs/ and mkdocs.yml
copied to benchmarks/work/real/ (the edits must not touch the real tips).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path

from preview import edit_latency

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"


def real_library() -> Path:
    """A copy of the project itself, with the floor scripts beside it."""
    import run

    base = WORK / "real"
    if base.exists():
        shutil.rmtree(base)
    project = base / "tipweek"
    project.mkdir(parents=True)
    for name in ("tips", "docs"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    (base / "floors").mkdir()
    (base / "floors" / "frontmatter.py").write_text(run.FLOOR_FRONTMATTER, "utf-8")
    (base / "out").mkdir()
    return base


def measure(bases: dict[str, Path], repeat: int, edits: int, env: dict, log, what: set[str]) -> dict:
    """``bases``: label ("62", "1000", ...) -> a folder with tipweek/, floors/ and out/."""
    import run

    tipweek = str(Path(sys.executable).parent / "tipweek")
    results: dict[str, dict] = {label: {} for label in bases}
    if what & {"feed", "email"}:
        def argv(label: str) -> dict[str, tuple[list[str], Path]]:
            base = bases[label]
            project = base / "tipweek"
            return {
                "feed": ([tipweek, "feed", "-f", "mkdocs.yml", "--out", str(base / "out" / "feeds")], project),
                "email": ([tipweek, "email", "-f", "mkdocs.yml", "--out", str(base / "out" / "week.eml")], project),
                "floor_frontmatter": ([sys.executable, str(base / "floors" / "frontmatter.py"),
                                       str(project / "tips")], base),
            }
        samples: dict[tuple[str, str], list[float]] = {}
        for rnd in range(repeat + 1):  # round 0 is the warm-up
            for label in bases:
                for name, (cmd, cwd) in argv(label).items():
                    wall = run.run_child(cmd, cwd, env)["wall"]
                    if rnd:
                        samples.setdefault((label, name), []).append(wall)
            if rnd:
                log("weekly round " + f"{rnd}/{repeat}: " + ", ".join(
                    f"{label}: feed {samples[label, 'feed'][-1]:.2f}s email {samples[label, 'email'][-1]:.2f}s "
                    f"floor {samples[label, 'floor_frontmatter'][-1]:.2f}s" for label in bases))
        changed = _after_a_change(bases, argv, min(repeat, CHANGED_ROUNDS), env, log)
        for label in bases:
            med = {name: statistics.median(samples[label, name]) for name in ("feed", "email", "floor_frontmatter")}
            after = statistics.median(changed[label])
            results[label]["weekly"] = {**{f"{k}_s": v for k, v in med.items()},
                                        "ratio": (med["feed"] + med["email"]) / med["floor_frontmatter"],
                                        "runs": repeat, "after_change_s": after, "after_change_runs": len(changed[label]),
                                        "after_change_ratio": after / med["floor_frontmatter"]}
    if "preview" in what:
        for label, base in bases.items():
            try:
                result = edit_latency(base / "tipweek", tipweek, env, edits=edits)
            except SystemExit as exc:  # one size that could not be measured does not lose the others
                log(f"[{label}] preview not measured: {exc}")
                continue
            results[label]["preview"] = result
            log(f"[{label}] preview: edit visible after {result['median_s']:.2f}s (median of {result['edits']}; "
                f"serve CPU {result['cpu_median_s']:.2f}s per edit; first build {result['first_build_s']:.1f}s)")
    return results


CHANGED_ROUNDS = 3
RACY_S = 2.1  # the tip cache does not keep a file changed within 2 s of its reading (tipcache.RACY_NS)


def _after_a_change(bases: dict[str, Path], argv, rounds: int, env: dict, log) -> dict[str, list[float]]:
    """feed + email right after one old tip's file changed (an edit merged
    since the last run): the first command reads that file again and
    rewrites the tip cache; the body cache is not involved, the tip being in
    no feed. Each round touches another tip and waits until the change is
    old enough to be cached, as it is when the merge came hours before."""
    import os

    import run

    found: dict[str, list[float]] = {label: [] for label in bases}
    for label, base in bases.items():
        tips = sorted((base / "tipweek" / "tips").rglob("*.md"))
        for rnd in range(rounds):
            os.utime(tips[rnd])  # (its text stays; its times and ctime move, so the cache reads it again)
            time.sleep(RACY_S)
            commands = argv(label)
            found[label].append(sum(run.run_child(*commands[name], env)["wall"] for name in ("feed", "email")))
        log(f"[{label}] feed + email after an old tip was edited: "
            + ", ".join(f"{wall:.2f}s" for wall in found[label]))
    return found


def table(results: dict[str, dict]) -> list[str]:
    labels = list(results)
    head = ["", "| weekly jobs and preview | " + " | ".join(
        "62 tips (the real library)" if label == "62" else f"{label} tips" for label in labels) + " |",
        "|---" * (len(labels) + 1) + "|"]
    rows = []

    def row(title: str, key: str, fmt) -> None:
        if any(key in results[label] for label in labels):
            rows.append(f"| {title} | " + " | ".join(
                fmt(results[label][key]) if key in results[label] else "not measured" for label in labels) + " |")

    row("preview: a one-tip edit visible in the browser, median (s)", "preview",
        lambda r: f"{r['median_s']:.2f} ({r['edits']} edits)")
    row("preview: serve CPU per edit, median (s)", "preview", lambda r: f"{r['cpu_median_s']:.2f}")
    row("tipweek feed + tipweek email (s)", "weekly", lambda r: f"{r['feed_s']:.2f} + {r['email_s']:.2f}")
    row("floor: parse front matter only (s)", "weekly", lambda r: f"{r['floor_frontmatter_s']:.2f}")
    row("(feed + email) / front-matter floor", "weekly", lambda r: f"{r['ratio']:.2f}×")
    row("feed + email the run after an old tip was edited (s; / floor)", "weekly",
        lambda r: f"{r['after_change_s']:.2f}; {r['after_change_ratio']:.2f}×" if "after_change_s" in r else "—")
    return head + rows if rows else []


def targets(results: dict[str, dict]) -> list[dict]:
    found = []
    if "preview" in results.get("1000", {}):
        v = results["1000"]["preview"]["median_s"]
        found.append({"target": "preview: one-tip edit visible ≤ 2 s (1000 tips)", "value": v, "limit": 2.0,
                      "pass": v <= 2.0, "shown": f"{v:.2f} s"})
    if "weekly" in results.get("5000", {}):
        v = results["5000"]["weekly"]["ratio"]
        found.append({"target": "feed+email ≤ 1.5× front-matter floor (5000 tips, cache warm)", "value": v,
                      "limit": 1.5, "pass": v <= 1.5, "shown": f"{v:.2f}×"})
    return found
