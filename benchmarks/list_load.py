#!/usr/bin/env python3
"""The list service under load: sign-ups a second and answer times (p50, p99)
with 8, 64 and 256 sign-ups in flight at once, on SQLite and on PostgreSQL,
with one service instance and with two sharing the database.

Each instance is `tipweek list serve` in a child process (confirmation emails
into a Maildir outbox, the per-IP limit out of the way); PostgreSQL is a
throw-away cluster (initdb + pg_ctl, as the tests start it). The load comes
from this process: asyncio, one connection per sign-up (as a browser posting
the form), every sign-up a new address from a visitor of its own (an
X-Forwarded-For address, as a web server on this machine passes it on),
spread over the instances in turn.
Answer time is from opening the connection to the end of the answer. After
that, 1,000 stalled connections (headers never finished) are opened against
one SQLite instance and one real sign-up is timed.

    .venv/bin/python benchmarks/list_load.py [--signups 1000] [--concurrency 8,64,256]

Results: benchmarks/results/list_load.json and list_load.md (also printed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
FIXTURE = ROOT / "tests" / "fixtures" / "library"
TIPWEEK = Path(sys.executable).parent / "tipweek"
sys.path.insert(0, str(ROOT / "tests"))

from list_support import HOST, PostgresCluster, _postgres_bin, free_socket, wait_for  # noqa: E402
from tipweek.outputs.atomic import write_atomic  # noqa: E402


def start(project: Path, db: str) -> tuple[subprocess.Popen, int]:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "TIPWEEK_LIST_SECRET": "bench-secret-bench-secret-bench-secret"}
    proc = subprocess.Popen([str(TIPWEEK), "list", "serve", "--db", db, "--port", str(port), "--ip-limit",
                             "100000000", "--outbox", str(project / "outbox"), "-f", str(project / "mkdocs.yml")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up() -> bool:
        try:
            return asyncio.run(post(port, "GET", b""))[0] == 200
        except OSError:
            return False

    wait_for(up, "the service to answer", 60)
    return proc, port


async def post(port: int, method: str, body: bytes, path: str = "/subscribe", visitor: str = "") -> tuple[int, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(HOST, port)
    forwarded = f"X-Forwarded-For: {visitor}\r\n" if visitor else ""
    head = (f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n{forwarded}"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n")
    writer.write(head.encode() + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, time.perf_counter() - started


async def load(ports: list[int], count: int, concurrency: int, tag: str) -> dict:
    queue = iter(range(count))
    times: list[float] = []
    statuses: dict[int, int] = {}

    async def worker() -> None:
        for n in queue:
            body = urlencode({"email": f"{tag}-{n}@example.org", "name": f"Bench {n}"}).encode()
            try:
                # Each from a visitor of its own, as through a web server on this machine.
                status, took = await post(ports[n % len(ports)], "POST", body, visitor=f"10.{n >> 16 & 255}."
                                          f"{n >> 8 & 255}.{n & 255}")
            except OSError:
                status, took = 0, 0.0
            statuses[status] = statuses.get(status, 0) + 1
            times.append(took)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    times.sort()
    return {"signups": count, "per_second": round(count / wall, 1), "p50": round(statistics.median(times), 3),
            "p99": round(times[int(len(times) * 0.99) - 1], 3), "max": round(times[-1], 3),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "errors_5xx": sum(v for k, v in statuses.items() if k >= 500), "refused": statuses.get(0, 0)}


def stalled_probe(project: Path) -> dict:
    """1,000 connections that never finish their headers, then one real sign-up."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    db = f"sqlite:///{project}/stalled.sqlite3"
    proc, port = start(project, db)

    async def probe() -> dict:
        held = []
        for _ in range(1000):
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(b"POST /subscribe HTTP/1.1\r\nHost: x\r\n")
            held.append(writer)
        await asyncio.sleep(0.5)  # let the service take them all in
        status, took = await post(port, "POST", b"email=real%40example.org")
        for writer in held:
            writer.close()
        return {"stalled": len(held), "status": status, "answer_s": round(took, 3)}

    try:
        return asyncio.run(probe())
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def markdown(meta: dict, rows: list[dict], stalled: dict) -> str:
    lines = [f"List service load, {meta['date']}, {meta['cpus']} CPUs, Python {meta['python']}, load average "
             f"{meta['load_before']} before and {meta['load_after']} after: {meta['signups']} sign-ups per row, "
             "one connection each, every one a new address.", "",
             "| database | instances | at once | sign-ups/s | p50 | p99 | max | 5xx | statuses |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['database']} | {r['instances']} | {r['concurrency']} | {r['per_second']} | "
                     f"{r['p50']:.3f} s | {r['p99']:.3f} s | {r['max']:.3f} s | {r['errors_5xx']} | "
                     f"{', '.join(f'{k}: {v}' for k, v in r['statuses'].items())} |")
    if stalled:
        lines += ["", f"With {stalled['stalled']} stalled connections open (headers never finished), one real "
                      f"sign-up answered {stalled['status']} in {stalled['answer_s']:.3f} s (SQLite, one instance)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signups", type=int, default=1000, help="sign-ups per row")
    parser.add_argument("--concurrency", default="8,64,256", help="comma-separated sign-ups in flight")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--instances", default="1,2", help="comma-separated instance counts")
    parser.add_argument("--no-stalled", action="store_true", help="skip the stalled-connections probe")
    parser.add_argument("--results", default=str(RESULTS), help="folder for list_load.json and list_load.md")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",")]
    load_before = round(os.getloadavg()[0], 1)
    work = Path(tempfile.mkdtemp(prefix="tipweek-list-load-"))
    project = work / "proj"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns(".tipweek"))
    cluster = PostgresCluster(_postgres_bin()).start() if _postgres_bin() else None
    rows = []
    try:
        wanted = args.databases.split(",")
        databases = [("SQLite", lambda n: f"sqlite:///{project}/load-{n}.sqlite3")] if "sqlite" in wanted else []
        if "postgresql" in wanted and cluster:
            databases.append(("PostgreSQL", lambda n: cluster.new_database()))
        elif "postgresql" in wanted:
            print("PostgreSQL is not installed: SQLite only", file=sys.stderr)
        run = 0
        for name, new_db in databases:
            for instances in [int(i) for i in args.instances.split(",")]:
                for concurrency in levels:
                    run += 1
                    db = new_db(run)
                    procs = [start(project, db) for _ in range(instances)]
                    try:
                        row = asyncio.run(load([p for _, p in procs], args.signups, concurrency, f"r{run}"))
                    finally:
                        for proc, _ in procs:
                            proc.send_signal(signal.SIGTERM)
                            proc.wait(30)
                    row = {"database": name, "instances": instances, "concurrency": concurrency, **row}
                    print(row, file=sys.stderr)
                    rows.append(row)
        stalled = None if args.no_stalled else stalled_probe(project)
    finally:
        if cluster:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    meta = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(), "python": platform.python_version(),
            "signups": args.signups, "load_before": load_before, "load_after": round(os.getloadavg()[0], 1)}
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    write_atomic(results / "list_load.json", json.dumps({"meta": meta, "rows": rows, "stalled": stalled},
                                                       indent=2) + "\n")
    table = markdown(meta, rows, stalled)
    write_atomic(results / "list_load.md", table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
