"""Preview edit latency: how long after an editor saves a tip `tipweek serve`
shows the change.

Starts `tipweek serve` on a free port in a generated project, waits for the
first build, then edits one tip at a time (a different tip each time, its
body gets a new sentence) and polls that tip's page every 20 ms until the
sentence is there. The time from the write to the first response that shows
it includes MkDocs noticing the change (its watcher waits for edits to settle),
the rebuild and the server's reply: what an editor with the page open waits.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return None


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def edit_latency(project: Path, tipweek: str, env: dict, edits: int = 5, timeout: float = 300.0,
                 seed: int = 1, first_build_timeout: float = 1800.0) -> dict:
    """Median seconds from saving a tip to its page showing the edit, over ``edits`` edits."""
    port = _free_port()
    log = open(project.parent / "serve.log", "w")
    child = subprocess.Popen([tipweek, "serve", "-f", "mkdocs.yml", "-a", f"127.0.0.1:{port}"], cwd=project,
                             env=env, stdout=subprocess.DEVNULL, stderr=log)
    files = sorted((project / "tips").rglob("*.md"))
    chosen = random.Random(seed).sample(files, min(edits, len(files)))
    samples, cpu, started = [], [], time.perf_counter()
    try:
        first = f"http://127.0.0.1:{port}/tips/{chosen[0].stem[11:]}/"
        while _get(first) is None:
            if child.poll() is not None or time.perf_counter() - started > first_build_timeout:
                raise SystemExit(f"benchmarks: tipweek serve did not come up in {project} (see serve.log)")
            time.sleep(0.1)
        first_build = time.perf_counter() - started
        for n, path in enumerate(chosen):
            url = f"http://127.0.0.1:{port}/tips/{path.stem[11:]}/"
            marker = f"Edited for the benchmark, round {n} {time.time_ns()}."
            text = path.read_text("utf-8")
            time.sleep(0.5)  # let the watcher settle after the previous rebuild
            c0 = _cpu_s(child.pid)
            t0 = time.perf_counter()
            path.write_text(text.rstrip("\n") + f"\n\n{marker}\n", "utf-8")
            while True:
                page = _get(url)
                if page and marker in page:
                    break
                if time.perf_counter() - t0 > timeout:
                    raise SystemExit(f"benchmarks: an edit of {path.name} did not show in {timeout:.0f} s")
                time.sleep(0.02)
            samples.append(time.perf_counter() - t0)
            cpu.append(_cpu_s(child.pid) - c0)
            path.write_text(text, "utf-8")  # put it back, and wait for that rebuild before the next edit
            while marker in (_get(url) or marker):
                if time.perf_counter() - t0 > 2 * timeout:
                    raise SystemExit(f"benchmarks: restoring {path.name} did not show")
                time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        log.close()
    return {"median_s": statistics.median(samples), "samples_s": samples, "first_build_s": first_build,
            "cpu_median_s": statistics.median(cpu), "cpu_s": cpu, "edits": len(samples)}


if __name__ == "__main__":  # a quick look: python benchmarks/preview.py benchmarks/work/1000/tipweek
    import sys
    from pathlib import Path as _P

    venv_tipweek = str(_P(sys.executable).parent / "tipweek")
    environment = {**os.environ, "TIPWEEK_TODAY": "2026-07-01", "NO_MKDOCS_2_WARNING": "1"}
    print(edit_latency(_P(sys.argv[1]).resolve(), venv_tipweek, environment, edits=int(sys.argv[2]) if len(sys.argv) > 2 else 5))
