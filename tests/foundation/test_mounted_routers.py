"""The routers other parts ship, mounted in the real app: auth applies, limits apply, failures degrade cleanly."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest
from sqlalchemy import select

from triage.models import WorkOrder
from tests.support.stack import Stack


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hotline.db'}"


def test_chat_with_the_bot_down_keeps_the_words_as_an_order(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_RASA_URL", "http://127.0.0.1:9")  # nothing listens there
    assert stack.client.post("/v1/chat", json={"sender": "c1", "message": "你好"}).status_code == 401
    r = stack.client.post("/v1/chat", json={"sender": "c1", "message": "海五路的井盖丢了，快来看看"}, headers=stack.headers("citizen"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["degraded"] is True and body["handover_number"]
    assert "人工" in " ".join(m["text"] for m in body["messages"])
    with stack.services.sessions() as session:
        order = session.execute(select(WorkOrder).where(WorkOrder.number == body["handover_number"])).scalar_one()
    assert order.channel == "chat" and order.needs_review and "海五路的井盖丢了" in order.text
    assert any("转人工" in r for r in order.review_reasons or [])


def _wav(seconds: float = 0.5, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def test_speech_upload_is_authorised_and_not_cut_by_the_json_limit(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_VOSK_MODEL", str(tmp_path / "no-model-here"))
    audio = _wav(seconds=3.0)  # ~96 KB: over the 64 KiB JSON limit, well under the audio limit
    assert len(audio) > stack.settings.max_body_bytes
    assert stack.client.post("/v1/speech/transcribe", content=audio, headers={"Content-Type": "audio/wav"}).status_code == 401
    r = stack.client.post("/v1/speech/transcribe", content=audio, headers={**stack.headers("agent"), "Content-Type": "audio/wav"})
    assert r.status_code == 503  # no Vosk model installed: a clear error, not a 413
    assert "模型" in r.text or "model" in r.text.lower()
    assert stack.client.post("/v1/speech/transcribe", content=audio, headers={**stack.headers("dept_sz"), "Content-Type": "audio/wav"}).status_code == 403


def test_kpi_and_open311_are_mounted_with_their_own_rules(stack: Stack) -> None:
    assert stack.client.get("/v1/kpi").status_code == 401
    assert stack.client.get("/v1/kpi", headers=stack.headers("dept_sz")).status_code == 403
    assert stack.client.get("/v1/kpi", headers=stack.headers("agent")).status_code == 200
    services = stack.client.get("/open311/v2/services.json")
    assert services.status_code == 200 and any(s["service_code"] for s in services.json())
