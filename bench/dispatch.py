"""Benchmark: intake to department, end to end, on the real stack.

Starts `hotline serve` (uvicorn workers) and `hotline worker` processes on PostgreSQL + Redis, a department
endpoint on loopback that answers at once, then files --requests reports from --clients concurrent clients and
waits until the department has received every one. Prints orders/s end to end and the delivery latency
(request sent → department received) p50/p95/p99.

    .venv/bin/python bench/dispatch.py [--requests 2000] [--clients 32] [--server-workers 2] [--dispatchers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import client, percentile, reports  # noqa: E402
from connectors.dispatch.department_server import DepartmentServer  # noqa: E402


async def file_all(url: str, key: str, clients: int, total: int) -> dict[str, float]:
    """File ``total`` reports; return the send time of each order that was queued for dispatch (merged repeats of a
    problem already dispatched are not sent again, by design)."""
    sent: dict[str, float] = {}
    texts = iter(reports(total, seed=11))

    async def loop(http: httpx.AsyncClient) -> None:
        for text in texts:
            start = time.time()
            r = await http.post("/v1/intake", json={"text": text})
            if r.status_code == 201 and r.json()["dispatch"]["state"] == "queued":
                sent[r.json()["number"]] = start

    async with client(url, key, clients) as http:
        await asyncio.gather(*(loop(http) for _ in range(clients)))
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--dispatchers", type=int, default=2)
    args = parser.parse_args()

    dbname = f"hotline_bench_{secrets.token_hex(4)}"
    with psycopg.connect(args.postgres, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    db_url = args.postgres.rsplit("/", 1)[0] + "/" + dbname
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    redis.Redis.from_url(redis_url).flushdb()
    departments = DepartmentServer(("127.0.0.1", 0), secret="bench-secret").start()
    key = "hk_bench_" + secrets.token_hex(8)
    port = 18000 + secrets.randbelow(1000)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        HOTLINE_DATA_DIR=tempfile.mkdtemp(prefix="hotline-bench-"), HOTLINE_DATABASE_URL=db_url, HOTLINE_REDIS_URL=redis_url,
        HOTLINE_BOOTSTRAP_ADMIN_KEY=key, HOTLINE_DEPT_BASE_URL=departments.url, HOTLINE_DEPT_SECRET="bench-secret",
        # every report must be dispatched here (this measures delivery), so repeats are not merged
        HOTLINE_DUPLICATE_ENABLED="false",
    )
    hotline = [sys.executable, "-m", "hotline"]
    procs = [subprocess.Popen([*hotline, "serve", "--port", str(port), "--workers", str(args.server_workers)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        env["HOTLINE_AUTO_MIGRATE"] = "false"
        procs += [
            subprocess.Popen([*hotline, "worker", "--name", f"bench-{i}"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for i in range(args.dispatchers)
        ]
        time.sleep(3)  # workers up
        start = time.time()
        sent = asyncio.run(file_all(url, key, args.clients, args.requests))
        deadline = time.time() + 300
        while time.time() < deadline and len(departments.orders()) < len(sent):
            time.sleep(0.1)
        received = {o["order"]["number"]: o["received_at"] for o in departments.orders()}
        end = max(received.values()) if received else time.time()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(15)
        departments.stop()
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    latencies = [(received[n] - t) * 1000 for n, t in sent.items() if n in received]
    print(f"stack: PostgreSQL + Redis; server workers {args.server_workers}, dispatchers {args.dispatchers}, clients {args.clients}")
    print(f"reports {args.requests} (duplicate merging off); queued for dispatch {len(sent)} (the rest held for review)")
    print(f"delivered {len(received)}; repeats dropped by the department {departments.duplicates}")
    print(f"end to end: {len(received) / (end - start):.1f} orders/s")
    if latencies:
        print(f"delivery latency ms: p50 {percentile(latencies, 0.5):.0f}  p95 {percentile(latencies, 0.95):.0f}  p99 {percentile(latencies, 0.99):.0f}")


if __name__ == "__main__":
    main()
