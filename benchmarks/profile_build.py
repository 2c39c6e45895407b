#!/usr/bin/env python3
"""Profile the full tipweek build (mkdocs build) on a synthetic library with cProfile.

    .venv/bin/python benchmarks/profile_build.py --tips 1000 [--tips 5000] [--top 30]

Uses (or generates) benchmarks/work/<N>/tipweek from run.py, runs
``python -m cProfile -o benchmarks/work/profile-<N>.prof -m mkdocs build``
there with the same TIPWEEK_TODAY, and prints the top cumulative and top
tottime entries that belong to tipweek, MkDocs, Material, Markdown or Jinja.
With two sizes it also prints the functions whose time grew faster than the
library (a sign of quadratic work).
"""

from __future__ import annotations

import argparse
import io
import os
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (the benchmark's generator and environment)

OURS = ("tipweek", "mkdocs", "material", "markdown", "pymdownx", "jinja2", "templates")


def profile(size: int) -> Path:
    base = run.WORK / str(size)
    if not (base / "tipweek" / "mkdocs.yml").exists():
        run.generate(size)
    out = run.WORK / f"profile-{size}.prof"
    with tempfile.TemporaryDirectory(prefix="tipweek-profile-") as site:
        subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "mkdocs", "build", "-q",
                        "-f", "mkdocs.yml", "-d", site], cwd=base / "tipweek", env=run.child_env(), check=True)
    return out


def short(func: tuple) -> str:
    path, line, name = func
    for marker in ("site-packages/", "/scripts/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{line}({name})"


def ours(func: tuple) -> bool:
    return any(part in func[0] for part in OURS)


def top(stats: pstats.Stats, key: int, count: int) -> list[str]:
    """key: 2 = tottime, 3 = cumulative (pstats' tuple layout)."""
    rows = sorted(((v, k) for k, v in stats.stats.items() if ours(k)), key=lambda r: -r[0][key])[:count]
    return [f"{v[1]:>9} {v[2]:8.3f} {v[3]:8.3f}  {short(k)}" for v, k in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tips", type=int, action="append", help="library size (repeatable; default 1000)")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    sizes = sorted(set(args.tips or [1000]))
    os.environ.update(run.child_env())
    stats = {}
    for size in sizes:
        path = profile(size)
        stats[size] = pstats.Stats(str(path), stream=io.StringIO())
        total = sum(v[2] for v in stats[size].stats.values())
        print(f"\n== {size} tips: {total:.1f} s under cProfile ({path.relative_to(run.ROOT)})")
        print("   ncalls  tottime  cumtime  (tipweek / MkDocs / Material / Markdown / Jinja only)")
        print("-- top cumulative")
        print("\n".join(top(stats[size], 3, args.top)))
        print("-- top tottime")
        print("\n".join(top(stats[size], 2, args.top)))
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        factor = large / small
        a, b = stats[small].stats, stats[large].stats
        print(f"\n== growth {large}/{small} (linear = {factor:.1f}); functions over 0.2 s, fastest-growing first")
        rows = []
        for func, v in b.items():
            if func in a and v[3] > 0.2 and ours(func):
                rows.append((v[3] / max(a[func][3], 1e-9), v[1] / max(a[func][1], 1), func, a[func][3], v[3]))
        print("   (a template compiled in two Jinja environments, tipweek's tip header and MkDocs' pages,\n"
              "    has one label for both, and pstats keeps one of them: calls growing far faster than the\n"
              "    library there is that artefact, not quadratic work)")
        for grow, calls, func, t1, t2 in sorted(rows, key=lambda r: -r[0])[:args.top]:
            flag = ""
            if calls > 2 * factor and func[0].endswith(".html"):
                flag = "  <-- label collision?"
            elif grow > 1.3 * factor:
                flag = "  <-- superlinear"
            print(f"time x{grow:5.2f}  calls x{calls:5.2f}  {t1:7.2f} -> {t2:7.2f} s  {short(func)}{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
