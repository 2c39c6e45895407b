#!/usr/bin/env python3
"""tipweek send throughput: messages per second to a local SMTP server that
waits 50 ms before answering each message (a relay some way off), over 1, 4
and 8 connections, for 2,000 subscribers.

The server is aiosmtpd on 127.0.0.1 in this process; each `tipweek send` is
a child process with a fresh ledger, on the repository's test fixture
library. Two figures per run: the send rate, from the server's clock
(messages after the first / time from the first to the last message taken),
and the whole command's wall time, start-up and rendering included.

    .venv/bin/python benchmarks/throughput.py [--subscribers 2000] [--connections 1,4,8] [--delay-ms 50]

Results: benchmarks/results/throughput.json and throughput.md (also printed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
FIXTURE = ROOT / "tests" / "fixtures" / "library"
TODAY = "2026-11-22"
TIPWEEK = Path(sys.executable).parent / "tipweek"


class SlowRelay:
    """Accept every message, answering each only after ``delay`` seconds."""

    def __init__(self, delay: float):
        self.delay = delay
        self.taken: list[float] = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        self.taken.append(time.monotonic())
        return "250 2.0.0 OK: queued"


class LocalRelay(Controller):
    def __init__(self, handler):
        super().__init__(handler, hostname="127.0.0.1", port=0, ready_timeout=20)

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]  # the port the system picked
        super()._trigger_server()


def one_run(project: Path, csv: Path, relay: LocalRelay, connections: int, count: int) -> dict:
    relay.handler.taken.clear()
    ledger = project / f"ledger-{connections}"
    shutil.rmtree(ledger, ignore_errors=True)
    env = {**os.environ, "TIPWEEK_TODAY": TODAY}
    env.pop("TIPWEEK_SMTP_PASSWORD", None)
    start = time.monotonic()
    done = subprocess.run(
        [str(TIPWEEK), "send", "--subscribers", str(csv), "--smtp", f"127.0.0.1:{relay.port}",
         "--connections", str(connections), "--ledger", str(ledger), "--timeout", "30",
         "-f", str(project / "mkdocs.yml")],
        env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    taken = relay.handler.taken
    if done.returncode != 0 or len(taken) != count:
        raise SystemExit(f"the run with {connections} connections failed (exit {done.returncode}, "
                         f"{len(taken)} of {count} taken): {done.stderr[-500:]}")
    span = taken[-1] - taken[0]
    return {"connections": connections, "messages": count, "wall_s": round(wall, 2),
            "send_rate": round((count - 1) / span, 1), "overall_rate": round(count / wall, 1)}


def markdown(meta: dict, rows: list[dict]) -> str:
    base = rows[0]["send_rate"]
    lines = [f"tipweek send throughput: {meta['subscribers']} subscribers to a local SMTP server that waits "
             f"{meta['delay_ms']} ms before answering each message; {meta['cpus']} CPUs (load average "
             f"{meta['load_average_after']} at the end), Python {meta['python']}.",
             "",
             "| connections | messages/s (sending) | speed-up | whole command | messages/s (whole command) |",
             "|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['connections']} | {row['send_rate']:.1f} | {row['send_rate'] / base:.1f}× "
                     f"| {row['wall_s']:.1f} s | {row['overall_rate']:.1f} |")
    if meta["delay_ms"]:
        ceiling = ", ".join(f"{1000 * r['connections'] / meta['delay_ms']:.0f}" for r in rows)
        lines += ["", f"The server's wait alone allows at most {ceiling} messages/s with "
                  f"{', '.join(str(r['connections']) for r in rows)} connections."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--connections", default="1,4,8", help="comma-separated connection counts")
    parser.add_argument("--delay-ms", type=int, default=50, help="the server's wait before each answer")
    parser.add_argument("--results", default=str(RESULTS), help="folder for throughput.json and throughput.md")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.connections.split(",")]
    relay = LocalRelay(SlowRelay(args.delay_ms / 1000))
    relay.start()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="tipweek-throughput-") as tmp:
            project = Path(tmp) / "proj"
            shutil.copytree(FIXTURE, project)
            csv = project / "subscribers.csv"
            csv.write_text("email,name\n" + "".join(f"reader{i:05}@example.org,Reader {i}\n"
                                                     for i in range(args.subscribers)), "utf-8")
            for connections in counts:
                rows.append(one_run(project, csv, relay, connections, args.subscribers))
                print(f"{connections} connection(s): {rows[-1]['send_rate']} messages/s", file=sys.stderr)
    finally:
        relay.stop()
    meta = {"subscribers": args.subscribers, "delay_ms": args.delay_ms, "cpus": os.cpu_count(),
            "python": platform.python_version(), "date": time.strftime("%Y-%m-%d"),
            "load_average_after": round(os.getloadavg()[0], 1)}
    report = markdown(meta, rows)
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    (results / "throughput.json").write_text(json.dumps({"meta": meta, "runs": rows}, indent=2) + "\n", "utf-8")
    (results / "throughput.md").write_text(report, "utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
