"""The chat bot end to end against the REAL product: `hotline serve` (SQLite + the real Redis), Rasa and the action
server from `.venv-rasa`, a loopback department endpoint and the dispatcher. A citizen chats through the product's own
`/v1/chat`; a real order appears in the database with the right fields and reaches the department.

Needs `bash bot/setup.sh` first (the README's test command runs it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.serve import MODEL_PATH, RASA_VENV, REPO_ROOT, BotServers, free_port
from connectors.dispatch.department_server import DepartmentServer

pytestmark = pytest.mark.slow
HOTLINE = [sys.executable, "-m", "hotline"]


def _wait(url: str, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    if not (RASA_VENV / "bin" / "rasa").exists() or not MODEL_PATH.exists():
        pytest.fail(f"{RASA_VENV} or {MODEL_PATH} is missing: run `bash bot/setup.sh` (installs Rasa, trains the bot)")
    import redis

    redis_url = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/12"
    try:
        redis.Redis.from_url(redis_url).flushdb()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {redis_url} is not reachable: {exc}")
    tmp = tmp_path_factory.mktemp("bot-real")
    departments = DepartmentServer(("127.0.0.1", 0), secret="bot-e2e-secret").start()
    port, rasa_port, action_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        HOTLINE_DATA_DIR=str(tmp), HOTLINE_DATABASE_URL=f"sqlite:///{tmp / 'hotline.db'}", HOTLINE_REDIS_URL=redis_url,
        HOTLINE_DEPT_BASE_URL=departments.url, HOTLINE_DEPT_SECRET="bot-e2e-secret",
        HOTLINE_RASA_URL=f"http://127.0.0.1:{rasa_port}", HOTLINE_BOOTSTRAP_ADMIN_KEY="hk_admin_bot_e2e",
        PYTHONPATH=str(REPO_ROOT),
    )
    key = subprocess.run([*HOTLINE, "keys", "create", "--role", "citizen", "--name", "chat-bot"], env=env, cwd=REPO_ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    log = (tmp / "serve.log").open("w")
    server = subprocess.Popen([*HOTLINE, "serve", "--port", str(port)], env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    worker = subprocess.Popen([*HOTLINE, "worker", "--name", "bot-e2e"], env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    bots = BotServers(redis_url=redis_url, rasa_port=rasa_port, action_port=action_port, api_url=base, api_key=key, log_dir=tmp)
    try:
        _wait(f"{base}/readyz")
        bots.start(timeout_s=420)
        yield {"base": base, "key": key, "admin": {"X-API-Key": "hk_admin_bot_e2e"}, "departments": departments, "tmp": tmp}
    finally:
        bots.stop()
        for proc in (worker, server):
            proc.terminate()
            proc.wait(20)
        departments.stop()


def say(product: dict, sender: str, text: str) -> str:
    r = httpx.post(f"{product['base']}/v1/chat", json={"sender": sender, "message": text}, headers={"X-API-Key": product["key"]}, timeout=90)
    assert r.status_code == 200, r.text
    return "\n".join(m["text"] or "" for m in r.json()["messages"])


def orders_of(product: dict, phone: str) -> list[dict]:
    r = httpx.get(f"{product['base']}/v1/orders", params={"contact_phone": phone}, headers=product["admin"], timeout=30)
    return r.json()["items"]


def test_a_chat_report_becomes_a_real_routed_order(product: dict) -> None:
    sender = f"real-{time.time_ns()}"
    say(product, sender, "你好")
    assert "什么地方" in say(product, sender, "我家楼下井盖丢了")
    say(product, sender, "桂城街道海五路")
    say(product, sender, "今天早上")
    readback = say(product, sender, "幺三八零零幺三八七七七")
    assert "海五路" in readback
    done = say(product, sender, "对")
    (order,) = orders_of(product, "13800138777")
    assert order["number"] in done
    assert order["channel"] == "chat" and "井盖" in order["text"]
    assert order["location"]["street"] == "桂城街道" and "海五路" in (order["location"]["normalized"] or "")
    assert order["department"]["id"] == "nh-sz"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not product["departments"].orders():
        time.sleep(0.3)
    assert [o["order"]["number"] for o in product["departments"].orders()] == [order["number"]]
    # the citizen asks for progress in a new conversation and gets the real status
    asker = f"real-q-{time.time_ns()}"
    say(product, asker, "我想查一下工单进度")
    say(product, asker, order["number"])
    answer = say(product, asker, "13800138777")
    assert order["number"] in answer
