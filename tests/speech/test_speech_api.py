"""The speech router: upload endpoint and WebSocket protocol, on a small app that mounts only this router."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from connectors.api.routers import speech as speech_router


@pytest.fixture
def client(pipeline, lookahead_model: Path, use_model) -> TestClient:  # type: ignore[no-untyped-def]
    use_model(lookahead_model)
    app = FastAPI()
    app.include_router(speech_router.router)
    app.state.pipeline = pipeline
    return TestClient(app)


def test_upload_gives_transcript_and_suggestion(client: TestClient, synth) -> None:  # type: ignore[no-untyped-def]
    wav = synth["wav"](synth["call"](utterances=2, pause=1.2, rate=44100), rate=44100, channels=2)
    response = client.post("/v1/speech/transcribe", content=wav, headers={"Content-Type": "audio/wav"})
    assert response.status_code == 200, response.text
    body = response.json()
    transcript = body["transcript"]
    assert transcript["text"] and len(transcript["utterances"]) == 2
    assert transcript["audio"] == {"sample_rate": 44100, "channels": 2, "format": "WAV/PCM_16"}
    assert transcript["model"]["graph"] == "lookahead"
    assert body["suggestion"]["text"] == transcript["text"]
    assert body["suggestion"]["trace"], "the analysis pipeline ran"


def test_upload_raw_telephone_pcm(client: TestClient, synth) -> None:  # type: ignore[no-untyped-def]
    pcm = synth["pcm16"](synth["call"](utterances=1, pause=1.0, rate=8000))
    response = client.post(
        "/v1/speech/transcribe?sample_rate=8000&punctuation=true", content=pcm, headers={"Content-Type": "audio/L16"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["transcript"]["text"].endswith(("。", "？"))


def test_silence_makes_no_order(client: TestClient, synth) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/v1/speech/transcribe", content=synth["wav"](synth["silence"](2.0)))
    assert response.status_code == 200
    assert response.json()["suggestion"] is None and "No speech" in response.json()["message"]


@pytest.mark.parametrize(
    "body,content_type,status,code",
    [
        (b"", "audio/wav", 400, "audio_empty"),
        (b"GIF89a not audio" * 20, "audio/wav", 415, "audio_unsupported"),
        ("你好".encode(), "text/plain", 415, "audio_unsupported"),
        (b"\x01", "audio/L16", 400, "audio_empty"),
    ],
)
def test_bad_uploads(client: TestClient, body: bytes, content_type: str, status: int, code: str) -> None:
    response = client.post("/v1/speech/transcribe", content=body, headers={"Content-Type": content_type})
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["message_en"]


def test_bad_raw_rate(client: TestClient) -> None:
    response = client.post(
        "/v1/speech/transcribe?sample_rate=5", content=b"\0\0" * 100, headers={"Content-Type": "audio/L16"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "audio_bad_rate"


def test_huge_upload_is_413(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speech_router, "MAX_UPLOAD_BYTES", 1000)
    response = client.post("/v1/speech/transcribe", content=b"\0" * 5000, headers={"Content-Type": "audio/wav"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "audio_too_large"


def test_no_model_is_503(pipeline, use_model) -> None:  # type: ignore[no-untyped-def]
    use_model(None)
    app = FastAPI()
    app.include_router(speech_router.router)
    app.state.pipeline = pipeline
    client = TestClient(app)
    response = client.post("/v1/speech/transcribe", content=b"RIFF")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "speech_model_missing" and "未安装" in error["message"] and "Vosk" in error["message_en"]
    with client.websocket_connect("/v1/speech/stream") as ws:
        event = ws.receive_json()
        assert event["type"] == "error" and event["code"] == "speech_model_missing"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1013


def _collect_until_end(ws) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    events = []
    while True:
        event = ws.receive_json()
        events.append(event)
        if event["type"] in ("end", "error"):
            return events


def test_websocket_live_call(client: TestClient, synth) -> None:  # type: ignore[no-untyped-def]
    pcm = synth["pcm16"](synth["call"](utterances=2, pause=1.5, rate=8000))
    with client.websocket_connect("/v1/speech/stream?sample_rate=8000") as ws:
        ready = ws.receive_json()
        assert ready["type"] == "ready" and ready["sample_rate"] == 8000 and ready["model"]["grammar"]
        events: list[dict] = []  # type: ignore[type-arg]
        for offset in range(0, len(pcm), 1600):  # 100 ms frames of 8 kHz audio
            ws.send_bytes(pcm[offset : offset + 1600])
        ws.send_text("EOF")
        events = _collect_until_end(ws)
    types = [e["type"] for e in events]
    assert "partial" in types and types.count("final") == 2
    assert types.index("partial") < types.index("final")
    # a suggestion follows each final utterance, on the transcript so far
    suggestions = [e for e in events if e["type"] == "suggestion"]
    assert len(suggestions) == 2
    assert len(suggestions[1]["transcript"]) > len(suggestions[0]["transcript"])
    final = next(e for e in events if e["type"] == "final")
    assert final["words"] and {"word", "start", "end", "conf"} <= set(final["words"][0])
    end = events[-1]
    assert end["type"] == "end" and end["state"] == "ended" and end["transcript"] == suggestions[-1]["transcript"]
    record = client.get(f"/v1/speech/calls/{ready['call_id']}").json()
    assert record["transcript"] == end["transcript"]


def test_websocket_wav_header_and_json_end(client: TestClient, synth) -> None:  # type: ignore[no-untyped-def]
    wav = synth["wav"](synth["call"](utterances=1, pause=1.0, rate=22050), rate=22050)
    with client.websocket_connect("/v1/speech/stream") as ws:
        ws.receive_json()
        ws.send_bytes(wav[:4000])
        ws.send_bytes(wav[4000:])
        ws.send_text('{"type": "end"}')
        events = _collect_until_end(ws)
    assert [e["type"] for e in events].count("final") == 1
    assert events[-1]["audio_seconds"] == pytest.approx(1.0 + 0.3 + 1.5, abs=0.6)


def test_websocket_disconnect_keeps_transcript(client: TestClient, synth) -> None:  # type: ignore[no-untyped-def]
    pcm = synth["pcm16"](synth["call"](utterances=1, pause=1.0))
    with client.websocket_connect("/v1/speech/stream") as ws:
        call_id = ws.receive_json()["call_id"]
        ws.send_bytes(pcm)
        ws.receive_json()  # at least one event came back, then the caller hangs up
    for _ in range(50):  # the server notices the hang-up asynchronously
        record = client.get(f"/v1/speech/calls/{call_id}").json()
        if record["state"] == "disconnected":
            break
        time.sleep(0.05)
    assert record["state"] == "disconnected" and record["transcript"]
    assert client.get("/v1/speech/calls/unknown").status_code == 404


def test_websocket_bad_input(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    with client.websocket_connect("/v1/speech/stream?sample_rate=3") as ws:
        assert ws.receive_json()["code"] == "audio_bad_rate"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1003
    with client.websocket_connect("/v1/speech/stream") as ws:
        ws.receive_json()
        ws.send_text("hello? 😀")
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_bytes(b"\xff\xfe garbage bytes are just noise")
        ws.send_text("EOF")
        events = _collect_until_end(ws)
        assert events[-1]["type"] == "end"
    monkeypatch.setattr(speech_router, "MAX_FRAME_BYTES", 100)
    with client.websocket_connect("/v1/speech/stream") as ws:
        ws.receive_json()
        ws.send_bytes(b"\0" * 1000)
        assert ws.receive_json()["code"] == "frame_too_large"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1009
    stereo_header = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00\x80\x3e\x00\x00" + b"\0" * 8
    with client.websocket_connect("/v1/speech/stream") as ws:
        ws.receive_json()
        ws.send_bytes(stereo_header + b"data\x00\x00\x00\x00")
        assert ws.receive_json()["code"] == "audio_unsupported"
