"""Benchmark: orders per second and latency of POST /v1/intake with concurrent clients against the real stack.

Starts `hotline serve` (uvicorn, N worker processes) on PostgreSQL and Redis unless --url is given, then sends
--requests reports from --clients concurrent clients (keep-alive HTTP/1.1) and prints throughput and p50/p95/p99.

    .venv/bin/python bench/intake.py                       # PostgreSQL test DB + Redis on this machine
    .venv/bin/python bench/intake.py --database sqlite     # embedded defaults instead
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [
    "我要反映一下，桂城街道海五路有个井盖丢了，晚上很黑，怕有人掉下去。",
    "千灯湖公园旁边天天有人摆摊占道经营，人行道都走不了。",
    "桂澜路和南海大道交界那个红绿灯坏了，一直闪黄灯。",
    "海八路的路灯好几盏都不亮了，已经一个星期了。",
    "南海广场附近的垃圾桶满了没人清理，垃圾堆在路边好臭。",
    "楼上邻居装修，晚上十一点还在电钻施工，太吵了。地点桂城街道南桂路。",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def run_load(url: str, key: str, clients: int, total: int) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for i in counter:
            body = {"text": TEXTS[i % len(TEXTS)], "channel": "web", "contact": {"phone": f"138{i:08d}"}}
            start = time.perf_counter()
            response = await client.post("/v1/intake", json=body, headers={"Idempotency-Key": f"bench-{i}-{secrets.token_hex(4)}"})
            latencies.append((time.perf_counter() - start) * 1000)
            if response.status_code != 201:
                errors += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, limits=limits, timeout=30) as client:
        start = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return latencies, elapsed, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="an already running service (needs --key)")
    parser.add_argument("--key", help="API key for --url")
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test", help="URL, or 'sqlite'")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()

    server = None
    url, key = args.url, args.key
    if url is None:
        key = "hk_bench_" + secrets.token_hex(8)
        port = 18000 + secrets.randbelow(1000)
        tmp = tempfile.mkdtemp(prefix="hotline-bench-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
        env.update(HOTLINE_DATA_DIR=tmp, HOTLINE_BOOTSTRAP_ADMIN_KEY=key, HOTLINE_DEPT_BASE_URL="http://127.0.0.1:9")
        if args.database != "sqlite":
            env["HOTLINE_DATABASE_URL"] = args.database
            env["HOTLINE_REDIS_URL"] = args.redis
        cmd = [sys.executable, "-m", "hotline", "serve", "--port", str(port), "--workers", str(args.workers)]
        server = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        else:
            server.kill()
            sys.exit("server did not become ready")
    try:
        asyncio.run(run_load(url, key, args.clients, args.warmup))
        latencies, elapsed, errors = asyncio.run(run_load(url, key, args.clients, args.requests))
    finally:
        if server is not None:
            server.terminate()
            server.wait(15)
    print(f"backend: {'sqlite + embedded redis' if args.database == 'sqlite' else args.database + ' + ' + args.redis}")
    print(f"server workers: {args.workers}; clients: {args.clients}; requests: {len(latencies)}; errors: {errors}")
    print(f"throughput: {len(latencies) / elapsed:.1f} orders/s")
    print(
        f"latency ms: p50 {percentile(latencies, 0.50):.1f}  p95 {percentile(latencies, 0.95):.1f}  "
        f"p99 {percentile(latencies, 0.99):.1f}  mean {statistics.fmean(latencies):.1f}"
    )


if __name__ == "__main__":
    main()
