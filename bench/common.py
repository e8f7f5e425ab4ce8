"""What the service benchmarks share: a fresh PostgreSQL database per run, starting `hotline` processes, a client
tuned for measuring the server (not itself), varied realistic reports, percentiles."""

from __future__ import annotations

import itertools
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
HOTLINE = [sys.executable, "-m", "hotline"]

PLACES = ("海三路", "海四路", "海五路", "海六路", "海七路", "海八路", "灯湖东路", "灯湖西路", "南桂东路", "南桂西路",
          "桂和路", "佛平路", "天佑路", "石肯路", "叠滘大道", "桂澜路", "南海大道", "广佛路")
PROBLEMS = ("有个井盖丢了，晚上很危险", "路边天天有人摆摊占道经营", "路灯好几盏都不亮了", "垃圾堆在路边没人清理，好臭",
            "下雨后积水很深，车都过不去", "工地晚上十一点还在施工，太吵了", "红绿灯坏了，一直闪黄灯", "人行道的地砖坏了好几块")
OPENERS = ("我要反映一下，", "你好，", "", "麻烦你们管一下，", "我是附近居民，")


def reports(n: int, seed: int = 7) -> list[str]:
    """``n`` reports about 144 different problems (place × kind) in varied words: repeats of one problem are merged
    as duplicates, as they would be in a centre."""
    rng = random.Random(seed)
    combos = list(itertools.product(PLACES, PROBLEMS))
    return [f"{rng.choice(OPENERS)}桂城街道{place}{problem}。" for place, problem in (rng.choice(combos) for _ in range(n))]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one run (dropped afterwards), so runs do not see each other's orders."""
    name = f"hotline_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def base_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(HOTLINE_DATA_DIR=tempfile.mkdtemp(prefix="hotline-bench-"), **values)
    return env


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([*HOTLINE, *args], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(url: str, timeout_s: float = 60) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    sys.exit(f"{url} did not become ready")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client(url: str, key: str, clients: int) -> httpx.AsyncClient:
    """Keep-alive connections, one per simulated client, TCP_NODELAY (no Nagle delay on the client's side)."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    transport = httpx.AsyncHTTPTransport(limits=limits, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    return httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, transport=transport, timeout=60)
