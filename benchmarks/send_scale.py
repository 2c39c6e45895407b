#!/usr/bin/env python3
"""tipweek send at list sizes: the peak memory (RSS) of the whole `tipweek send`
process and its messages per second, for a CSV list and for the list's store on
PostgreSQL, to a local SMTP sink that answers at once and to one that waits
50 ms before answering each message (a relay some way off).

Each send is a child process (peak RSS from os.wait4's rusage of that child)
with a fresh ledger, on the repository's test fixture library, over
``--connections`` connections. The sink is a separate process (a bare asyncio
SMTP server that keeps nothing), so its work is not the sender's. PostgreSQL is
a throw-away cluster (tests/list_support.py's), filled with COPY.

    .venv/bin/python benchmarks/send_scale.py [--sizes 10000,100000,1000000] [--sources csv,postgres]
        [--connections 4] [--slow 2000]

Results: benchmarks/results/send_scale.json and send_scale.md (also printed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
FIXTURE = ROOT / "tests" / "fixtures" / "library"
TODAY = "2026-11-22"
TIPWEEK = Path(sys.executable).parent / "tipweek"
SECRET = "bench-secret-for-the-list-0123456789"

SINK = r'''
import asyncio, sys, time
delay = float(sys.argv[1])
stats = {"count": 0, "first": None, "last": None}

async def session(reader, writer):
    writer.write(b"220 sink\r\n")
    while True:
        line = await reader.readline()
        if not line:
            break
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            writer.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go on\r\n")
            while True:
                data = await reader.readline()
                if data in (b".\r\n", b""):
                    break
            if delay:
                await asyncio.sleep(delay)
            now = time.monotonic()
            stats["count"] += 1
            stats["first"] = stats["first"] or now
            stats["last"] = now
            writer.write(b"250 2.0.0 taken\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 ok\r\n")
        await writer.drain()
    writer.close()

async def main():
    server = await asyncio.start_server(session, "127.0.0.1", 0, limit=1 << 20)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, sys.stdin.readline)
        if command.strip() == "stats":
            print(f"{stats['count']} {stats['first'] or 0} {stats['last'] or 0}", flush=True)
            stats.update(count=0, first=None, last=None)
        else:
            return

asyncio.run(main())
'''


class Sink:
    def __init__(self, delay_s: float):
        self.proc = subprocess.Popen([sys.executable, "-c", SINK, str(delay_s)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())

    def taken(self) -> tuple[int, float]:
        """(messages taken, seconds from the first to the last) since the last call."""
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        count, first, last = self.proc.stdout.readline().split()
        return int(count), float(last) - float(first)

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(10)


def write_csv(path: Path, count: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write("email,name\n")
        for i in range(count):
            out.write(f"reader{i:07}@example.org,Reader {i}\n")


def fill_postgres(url: str, count: int) -> None:
    import psycopg

    from tipweek.list.database import open_store

    open_store(url)  # the schema
    at = "2026-11-01T09:00:00.000000Z"
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY subscribers (email, email_key, name, state, created_at, updated_at) FROM STDIN") as copy:
            for i in range(count):
                email = f"reader{i:07}@example.org"
                copy.write_row((email, email, f"Reader {i}", "confirmed", at, at))


def one_send(project: Path, source: list[str], sink: Sink, connections: int, count: int, label: str) -> dict:
    ledger = project / "ledger"
    shutil.rmtree(ledger, ignore_errors=True)
    env = {**os.environ, "TIPWEEK_TODAY": TODAY, "TIPWEEK_LIST_SECRET": SECRET}
    env.pop("TIPWEEK_SMTP_PASSWORD", None)
    start = time.monotonic()
    proc = subprocess.Popen([str(TIPWEEK), "send", *source, "--smtp", f"127.0.0.1:{sink.port}",
                             "--connections", str(connections), "--ledger", str(ledger), "--timeout", "60",
                             "-f", str(project / "mkdocs.yml")],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    taken, span = sink.taken()
    if proc.returncode != 0 or taken != count:
        raise SystemExit(f"{label}: exit {proc.returncode}, {taken} of {count} taken: {out[-300:]}")
    row = {"run": label, "subscribers": count, "connections": connections, "wall_s": round(wall, 1),
           "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
           "send_rate": round((taken - 1) / span, 1) if span else None,
           "overall_rate": round(count / wall, 1), "summary": out.strip().splitlines()[-1]}
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def markdown(meta: dict, rows: list[dict]) -> str:
    lines = [f"tipweek send at list sizes, {meta['connections']} connections, {meta['cpus']} CPUs (load average "
             f"{meta['load_average_after']} at the end), Python {meta['python']}, {meta['date']}.", "",
             "| run | subscribers | peak RSS | messages/s (sending) | whole command | messages/s (whole command) |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['run']} | {r['subscribers']:,} | {r['peak_rss_mb']:.0f} MB | {r['send_rate']} "
                     f"| {r['wall_s']:.0f} s | {r['overall_rate']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--sources", default="csv,postgres")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--slow", type=int, default=2000, help="subscribers for the 50 ms sink (0: skip)")
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    sources = args.sources.split(",")
    rows: list[dict] = []
    cluster = None
    fast, slow = Sink(0.0), Sink(0.05)
    try:
        with tempfile.TemporaryDirectory(prefix="tipweek-send-scale-") as tmp:
            project = Path(tmp) / "proj"
            shutil.copytree(FIXTURE, project)
            config = project / "mkdocs.yml"
            config.write_text(config.read_text().replace(
                "list_id: tips.example.org", "list_id: tips.example.org\n      list_url: https://list.example.org"))
            csv = project / "subscribers.csv"
            if "postgres" in sources:
                sys.path.insert(0, str(ROOT / "tests"))
                from list_support import PostgresCluster, _postgres_bin
                cluster = PostgresCluster(_postgres_bin()).start()
            for size in sizes:
                if "csv" in sources:
                    write_csv(csv, size)
                    rows.append(one_send(project, ["--subscribers", str(csv)], fast, args.connections, size,
                                         "CSV, sink"))
                if "postgres" in sources:
                    url = cluster.new_database()
                    fill_postgres(url, size)
                    rows.append(one_send(project, ["--list", url], fast, args.connections, size, "PostgreSQL, sink"))
            if args.slow:
                write_csv(csv, args.slow)
                rows.append(one_send(project, ["--subscribers", str(csv)], slow, args.connections, args.slow,
                                     "CSV, sink waiting 50 ms"))
    finally:
        fast.stop()
        slow.stop()
        if cluster is not None:
            cluster.stop()
    meta = {"connections": args.connections, "cpus": os.cpu_count(), "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d"), "load_average_after": round(os.getloadavg()[0], 1)}
    report = markdown(meta, rows)
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    (results / "send_scale.json").write_text(json.dumps({"meta": meta, "runs": rows}, indent=2) + "\n", "utf-8")
    (results / "send_scale.md").write_text(report, "utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
