"""p50/p95 of one chat-bot turn through /v1/chat (bar: p95 ≤ 300 ms on the 2-core VM).

Starts Redis, the stand-in product API (tests/bot/bot_fake_api.py; pass --api-url to use a running product API
instead), Rasa + the action server (.venv-rasa) and an API app serving connectors.api.routers.chat, then replays
full report conversations (greeting, problem, place, time, phone, confirmation → order) and times every turn.

    .venv/bin/python bench/chat.py --conversations 10
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "tests" / "bot")]

import httpx  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from bot.serve import BotServers, free_port  # noqa: E402
from bot_fake_api import ServerThread, Store, make_app  # noqa: E402

CONVERSATION = ["你好", "我家楼下井盖丢了", "海四路", "三天前", "幺三八零零幺三八零零零", "不对，是海五路不是海四路", "对",
                "谢谢"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--api-url", default=None, help="a running product API (default: the stand-in)")
    args = parser.parse_args()

    import os
    tmp = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    redis_port = free_port()
    redis = subprocess.Popen([str(REPO_ROOT / ".venv" / "bin" / "redis-server"), "--port", str(redis_port),
                              "--save", "", "--dir", str(tmp)], stdout=subprocess.DEVNULL)
    fake = None
    try:
        if args.api_url is None:
            fake = ServerThread(make_app(Store()), free_port()).__enter__()
        api_url = args.api_url or fake.url
        with BotServers(redis_url=f"redis://127.0.0.1:{redis_port}/0", rasa_port=free_port(), action_port=free_port(),
                        api_url=api_url, log_dir=tmp) as bot:
            os.environ["HOTLINE_RASA_URL"] = bot.rasa_url
            os.environ["HOTLINE_API_URL"] = api_url
            os.environ["HOTLINE_DATA_DIR"] = str(tmp)
            from connectors.api.routers import chat as chat_module
            app = FastAPI()
            app.include_router(chat_module.router)
            with ServerThread(app, free_port()) as chat_api, httpx.Client(timeout=60) as client:
                client.post(f"{chat_api.url}/v1/chat", json={"sender": "warmup", "message": "你好"})
                timings: list[float] = []
                for i in range(args.conversations):
                    sender = f"bench-{i}-{time.time_ns()}"
                    for text in CONVERSATION:
                        start = time.perf_counter()
                        reply = client.post(f"{chat_api.url}/v1/chat", json={"sender": sender, "message": text})
                        timings.append((time.perf_counter() - start) * 1000)
                        assert reply.status_code == 200 and not reply.json()["degraded"], reply.text
        print(f"turns {len(timings)}  p50 {statistics.median(timings):.0f} ms  p95 {percentile(timings, 0.95):.0f} ms"
              f"  max {max(timings):.0f} ms  (api: {'stand-in' if fake else api_url})")
    finally:
        if fake is not None:
            fake.__exit__(None, None, None)
        redis.terminate()
        redis.wait(timeout=10)


if __name__ == "__main__":
    main()
