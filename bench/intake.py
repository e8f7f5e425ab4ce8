"""Benchmark: orders per second and latency of POST /v1/intake with concurrent clients against the real stack.

Starts `hotline serve` (uvicorn, --workers processes) on a fresh PostgreSQL database and Redis, then sends
--requests reports (144 different problems in varied words; repeats are merged as duplicates, as in a real centre)
from --clients concurrent keep-alive clients and prints throughput and p50/p95/p99.

    .venv/bin/python bench/intake.py [--requests 4000] [--clients 32] [--workers 2] [--no-duplicates]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import base_env, client, free_port, fresh_database, percentile, reports, start, wait_ready  # noqa: E402


async def run_load(url: str, key: str, clients: int, texts: list[str]) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    errors = 0
    queue = iter(enumerate(texts))

    async def client_loop(http) -> None:  # type: ignore[no-untyped-def]
        nonlocal errors
        for i, text in queue:
            body = {"text": text, "channel": "web", "contact": {"phone": f"138{i:08d}"}}
            start_t = time.perf_counter()
            response = await http.post("/v1/intake", json=body, headers={"Idempotency-Key": f"bench-{i}-{secrets.token_hex(4)}"})
            latencies.append((time.perf_counter() - start_t) * 1000)
            errors += response.status_code not in (200, 201)

    async with client(url, key, clients) as http:
        began = time.perf_counter()
        await asyncio.gather(*(client_loop(http) for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return latencies, elapsed, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test", help="admin URL (a fresh database is made)")
    parser.add_argument("--redis-db", type=int, default=14)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--no-duplicates", action="store_true", help="turn duplicate merging off (pure intake path)")
    args = parser.parse_args()

    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    redis.Redis.from_url(redis_url).flushdb()
    key = "hk_bench_" + secrets.token_hex(8)
    with fresh_database(args.postgres) as db_url:
        env = base_env(HOTLINE_DATABASE_URL=db_url, HOTLINE_REDIS_URL=redis_url, HOTLINE_BOOTSTRAP_ADMIN_KEY=key,
                       HOTLINE_DEPT_BASE_URL="http://127.0.0.1:9")
        if args.no_duplicates:
            env["HOTLINE_DUPLICATE_ENABLED"] = "false"
        port = free_port()
        server = start(["serve", "--port", str(port), "--workers", str(args.workers)], env)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url)
            texts = reports(args.warmup + args.requests)
            asyncio.run(run_load(url, key, args.clients, texts[: args.warmup]))
            latencies, elapsed, errors = asyncio.run(run_load(url, key, args.clients, texts[args.warmup :]))
        finally:
            server.terminate()
            server.wait(15)
    print(f"backend: PostgreSQL (fresh database) + {redis_url}; duplicates {'off' if args.no_duplicates else 'on'}")
    print(f"server workers: {args.workers}; clients: {args.clients}; requests: {len(latencies)}; errors: {errors}")
    print(f"throughput: {len(latencies) / elapsed:.1f} orders/s")
    print(
        f"latency ms: p50 {percentile(latencies, 0.50):.1f}  p95 {percentile(latencies, 0.95):.1f}  "
        f"p99 {percentile(latencies, 0.99):.1f}  mean {statistics.fmean(latencies):.1f}"
    )


if __name__ == "__main__":
    main()
