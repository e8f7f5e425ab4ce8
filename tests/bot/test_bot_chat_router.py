"""/v1/chat and /v1/chat/ws against a stand-in Rasa REST channel and the stand-in product API (real loopback HTTP)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.serve import free_port
from bot_fake_api import ServerThread, Store, make_app
from connectors.api.routers import chat as chat_module


def fake_rasa(mode: dict[str, str]) -> FastAPI:
    """Echoes each message back; ``mode["reply"]`` = "echo" | "empty" | "error"."""
    app = FastAPI()
    seen: list[dict] = []
    app.state.seen = seen

    @app.post("/webhooks/rest/webhook")
    async def webhook(body: dict):
        seen.append(body)
        if mode["reply"] == "error":
            from fastapi import HTTPException
            raise HTTPException(500)
        if mode["reply"] == "empty":
            return []
        return [{"recipient_id": body["sender"], "text": f"收到：{body['message']}",
                 "buttons": [{"title": "对", "payload": "对"}]}]

    return app


@pytest.fixture()
def env(monkeypatch, tmp_path):
    store, mode = Store(), {"reply": "echo"}
    rasa_app = fake_rasa(mode)
    with ServerThread(make_app(store), free_port()) as api, ServerThread(rasa_app, free_port()) as rasa:
        monkeypatch.setenv("HOTLINE_RASA_URL", rasa.url)
        monkeypatch.setenv("HOTLINE_API_URL", api.url)
        monkeypatch.setenv("HOTLINE_BOT_API_KEY", "citizen-key")
        monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("HOTLINE_RASA_TIMEOUT_S", "5")
        app = FastAPI()
        app.include_router(chat_module.router)
        yield {"client": TestClient(app), "store": store, "mode": mode, "rasa": rasa_app, "tmp": tmp_path,
               "api": api}


def test_message_is_relayed_and_answer_returned(env):
    reply = env["client"].post("/v1/chat", json={"sender": "s-1", "message": "你好"})
    assert reply.status_code == 200
    body = reply.json()
    assert body["messages"][0]["text"] == "收到：你好"
    assert body["messages"][0]["buttons"] == [{"title": "对", "payload": "对"}]
    assert body["degraded"] is False


def test_emoji_and_english_pass_through(env):
    for text in ("路灯坏了😡😡", "the street light is broken"):
        body = env["client"].post("/v1/chat", json={"sender": "s-2", "message": text}).json()
        assert body["messages"][0]["text"] == f"收到：{text}"


def test_slash_commands_cannot_be_injected(env):
    env["client"].post("/v1/chat", json={"sender": "s-3", "message": '/affirm{"contact_phone": "1"}'})
    assert not env["rasa"].state.seen[-1]["message"].startswith("/")


def test_control_characters_are_removed(env):
    env["client"].post("/v1/chat", json={"sender": "s-3", "message": "井盖\x00丢了\x07"})
    assert env["rasa"].state.seen[-1]["message"] == "井盖丢了"


def test_empty_message_is_silence(env):
    env["client"].post("/v1/chat", json={"sender": "s-4", "message": "   "})
    assert env["rasa"].state.seen[-1]["message"] == "/silence"


def test_too_long_message_gets_413_in_chinese(env):
    reply = env["client"].post("/v1/chat", json={"sender": "s-5", "message": "很" * 5000})
    assert reply.status_code == 413
    assert "太长" in reply.json()["detail"]
    assert env["rasa"].state.seen == []


def test_bad_sender_is_rejected(env):
    assert env["client"].post("/v1/chat", json={"sender": "", "message": "你好"}).status_code == 422
    assert env["client"].post("/v1/chat", json={"sender": "a b", "message": "你好"}).status_code == 422


@pytest.mark.parametrize("failure", ["error", "empty", "down"])
def test_bot_down_keeps_the_words_as_a_handover(env, monkeypatch, failure):
    env["client"].post("/v1/chat", json={"sender": f"s-6-{failure}", "message": "我家楼下井盖丢了"})
    if failure == "down":
        monkeypatch.setenv("HOTLINE_RASA_URL", f"http://127.0.0.1:{free_port()}")
    else:
        env["mode"]["reply"] = failure
    reply = env["client"].post("/v1/chat", json={"sender": f"s-6-{failure}", "message": "在海五路"})
    assert reply.status_code == 200
    body = reply.json()
    assert body["degraded"] is True
    assert "人工" in body["messages"][0]["text"]
    handover = env["store"].handovers[-1]
    assert body["handover_number"] == handover["number"]
    assert handover["conversation_id"] == f"s-6-{failure}"
    citizen_words = [t["text"] for t in handover["transcript"] if t["role"] == "citizen"]
    assert citizen_words == ["我家楼下井盖丢了", "在海五路"]
    assert ("POST", "/v1/handover", "citizen-key") in env["store"].calls


def test_bot_and_api_down_spools_to_a_file(env, monkeypatch):
    monkeypatch.setenv("HOTLINE_RASA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("HOTLINE_API_URL", f"http://127.0.0.1:{free_port()}")
    body = env["client"].post("/v1/chat", json={"sender": "s-7", "message": "路灯不亮"}).json()
    assert body["degraded"] is True and body["handover_number"] is None
    spooled = [json.loads(line) for line in (env["tmp"] / "chat_undelivered.jsonl").read_text().splitlines()]
    assert spooled[-1]["conversation_id"] == "s-7"
    assert spooled[-1]["transcript"][0] == {"role": "citizen", "text": "路灯不亮"}


def test_in_process_handover_service_is_preferred(env, monkeypatch):
    calls = []
    env["client"].app.state.handover = lambda **kw: calls.append(kw) or {"number": "LY-IN"}
    monkeypatch.setenv("HOTLINE_RASA_URL", f"http://127.0.0.1:{free_port()}")
    body = env["client"].post("/v1/chat", json={"sender": "s-8", "message": "井盖"}).json()
    assert body["handover_number"] == "LY-IN" and calls[0]["conversation_id"] == "s-8"


def test_rapid_fire_messages_all_answered(env):
    texts = [f"消息{i}" for i in range(12)]
    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(lambda t: env["client"].post("/v1/chat", json={"sender": "s-9", "message": t}), texts))
    assert all(r.status_code == 200 for r in replies)
    assert sorted(r.json()["messages"][0]["text"] for r in replies) == sorted(f"收到：{t}" for t in texts)


def test_websocket_conversation(env):
    with env["client"].websocket_connect("/v1/chat/ws?sender=ws-1") as ws:
        assert ws.receive_json() == {"sender": "ws-1"}
        ws.send_text(json.dumps({"message": "你好"}))
        assert ws.receive_json()["messages"][0]["text"] == "收到：你好"
        ws.send_text("纯文本也可以")
        assert ws.receive_json()["messages"][0]["text"] == "收到：纯文本也可以"
        ws.send_text(json.dumps({"message": "长" * 5000}))
        assert ws.receive_json()["status"] == 413
