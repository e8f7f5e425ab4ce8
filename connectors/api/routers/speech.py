"""Speech endpoints: upload a recording, or stream a live call over a WebSocket; both end in an order suggestion.

* ``POST /v1/speech/transcribe`` — the request body is the recording itself (``curl --data-binary @call.wav``):
  WAV at any common rate, FLAC, OGG or MP3; or raw 16-bit mono PCM with ``Content-Type: audio/L16`` (or
  ``audio/pcm``) and ``?sample_rate=8000``. Answers ``{"transcript": {...}, "suggestion": {...} | null}``.
  Limit: ``MAX_UPLOAD_BYTES`` (50 MB) → 413 beyond it.
* ``WS /v1/speech/stream?sample_rate=16000`` — binary frames of 16-bit little-endian mono PCM (any size; a WAV
  header in the first frame is also understood); JSON events out (see ``docs/speech.md``): ``ready``, ``partial``,
  ``final``, ``suggestion`` (after each final utterance), ``error``, ``end``. Send the text ``EOF`` (or
  ``{"type": "end"}``) to finish; the server answers the last events and ``end``, then closes with 1000.
  A client that disconnects mid-call keeps its transcript: ``GET /v1/speech/calls/{call_id}``.

No Vosk model installed → HTTP 503 ``speech_model_missing`` / WebSocket ``error`` event then close 1013 (try again
later). Authentication is added by the application when it mounts this router.
"""

from __future__ import annotations

import json
import logging
import struct
import threading
import time
import uuid
from collections import OrderedDict
from typing import Any

from fastapi import APIRouter, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from speech.audio import MAX_UPLOAD_BYTES, MODEL_RATE, Audio, AudioError, check_rate, pcm16_to_float, resample
from speech.model import ModelError, ModelNotInstalled
from speech.recognizer import BiasMode, SpeechEngine, TextOptions, get_engine
from speech.service import CallSession, suggest, transcribe
from connectors.api.body_guard import read_limited_body

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/speech", tags=["speech"])
BODY_LIMITS = {"/v1/speech/": MAX_UPLOAD_BYTES}
"""Audio uploads are checked against their own limit by the route itself (see ``connectors.api.body_guard``)."""

MAX_FRAME_BYTES = 1024 * 1024
"""Largest WebSocket audio frame (about 32 s of 16 kHz PCM); clients normally send 20–200 ms frames."""
MAX_CALL_SECONDS = 4 * 60 * 60
"""A stream longer than this is ended by the server (memory stays bounded before that, see speech.recognizer)."""
RAW_PCM_TYPES = ("audio/l16", "audio/pcm", "audio/x-raw", "application/x-pcm")
WS_TRY_AGAIN_LATER = 1013
WS_UNSUPPORTED_DATA = 1003
WS_TOO_BIG = 1009
AUDIO_STATUS = {"empty": 400, "truncated": 400, "unsupported": 415, "bad_rate": 400, "too_large": 413, "too_long": 413}


def _error_body(code: str, message: str, message_en: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "message_en": message_en, "details": None}}


def _split(message: str) -> tuple[str, str]:
    """Our exceptions carry ``中文 / English``; split them for the two message fields."""
    chinese, _, english = message.partition(" / ")
    return chinese, english or chinese


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(_error_body(code, *_split(message)), status_code=status)


def _load_engine() -> SpeechEngine:
    return get_engine()


async def _engine_or_error() -> SpeechEngine | tuple[int, str, str]:
    try:
        return await run_in_threadpool(_load_engine)
    except ModelNotInstalled as exc:
        return 503, "speech_model_missing", str(exc)
    except (ModelError, RuntimeError) as exc:
        return 503, "speech_model_unusable", str(exc)


class CallRegistry:
    """The transcripts of recent calls (also those whose client went away), newest ``capacity`` kept."""

    def __init__(self, capacity: int = 256):
        self.capacity = capacity
        self._calls: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def save(self, call_id: str, record: dict[str, Any]) -> None:
        with self._lock:
            self._calls[call_id] = record
            self._calls.move_to_end(call_id)
            while len(self._calls) > self.capacity:
                self._calls.popitem(last=False)

    def get(self, call_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._calls.get(call_id)


def _registry(app: Any) -> CallRegistry:
    registry = getattr(app.state, "speech_calls", None)
    if registry is None:
        registry = app.state.speech_calls = CallRegistry()
    return registry


def _raw_pcm(data: bytes, sample_rate: int) -> Audio:
    if len(data) < 2:
        raise AudioError("empty", "音频为空 / The audio is empty")
    return Audio(resample(pcm16_to_float(data), sample_rate, MODEL_RATE), MODEL_RATE, sample_rate, 1, "RAW/PCM_16")


@router.post("/transcribe", summary="Transcribe a recording and suggest the work order (转写录音并生成工单建议)")
async def transcribe_upload(
    request: Request,
    sample_rate: int | None = Query(None, description="Only for raw PCM bodies (Content-Type audio/L16)."),
    bias: BiasMode = Query("auto", description="auto | grammar | correction | none"),
    punctuation: bool = Query(False),
    itn: bool = Query(True, description="Spoken numbers to digits (幺三八 → 138)."),
    analyse: bool = Query(True, description="Run the analysis pipeline on the transcript."),
) -> Any:
    """The body is the recording. Answers the transcript and the order suggestion (null when nothing was said)."""
    engine = await _engine_or_error()
    if isinstance(engine, tuple):
        return _error(*engine)
    data = await read_limited_body(request, MAX_UPLOAD_BYTES)
    if data is None:
        return _error(413, "audio_too_large", f"音频过大（上限 {MAX_UPLOAD_BYTES} 字节） / audio larger than {MAX_UPLOAD_BYTES} bytes")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    options = TextOptions(itn=itn, punctuation=punctuation)
    try:
        source: Audio | bytes = data
        if content_type in RAW_PCM_TYPES:
            source = _raw_pcm(data, check_rate(sample_rate or MODEL_RATE))
        result = await run_in_threadpool(transcribe, source, engine, bias, None, options)
    except AudioError as exc:
        return _error(AUDIO_STATUS.get(exc.code, 400), f"audio_{exc.code}", str(exc))
    pipeline = getattr(request.app.state, "pipeline", None)
    suggestion = await run_in_threadpool(suggest, pipeline, result.text) if analyse else None
    body: dict[str, Any] = {"transcript": result.to_dict(), "suggestion": suggestion}
    if not result.text:
        body["message"] = "未识别到语音，未生成工单建议 / No speech recognised; no order suggested"
    return body


@router.get("/calls/{call_id}", summary="Transcript of a streamed call (also after the client disconnected)")
async def get_call(call_id: str, request: Request) -> Any:
    record = _registry(request.app).get(call_id)
    if record is None:
        return _error(404, "call_not_found", f"未找到通话 {call_id} / call {call_id} not found")
    return record


def _wav_header(frame: bytes) -> tuple[int, int, int, int] | None:
    """(sample_rate, channels, bits, data_offset) of a WAV header at the start of ``frame``, else None."""
    if len(frame) < 12 or frame[:4] != b"RIFF" or frame[8:12] != b"WAVE":
        return None
    pos, fmt = 12, None
    while pos + 8 <= len(frame):
        chunk_id, size = frame[pos : pos + 4], struct.unpack("<I", frame[pos + 4 : pos + 8])[0]
        if chunk_id == b"fmt " and pos + 24 <= len(frame):
            _, channels, rate = struct.unpack("<HHI", frame[pos + 8 : pos + 16])
            bits = struct.unpack("<H", frame[pos + 22 : pos + 24])[0]
            fmt = (rate, channels, bits)
        if chunk_id == b"data" and fmt:
            return (*fmt, pos + 8)
        pos += 8 + size + (size % 2)
    return None


class _Call:
    """The state of one WebSocket call."""

    def __init__(self, websocket: WebSocket, engine: SpeechEngine, sample_rate: int, options: dict[str, Any]):
        self.id = uuid.uuid4().hex
        self.websocket = websocket
        self.engine = engine
        self.options = options
        self.started = time.time()
        self.frames = 0
        self.session = self._session(sample_rate)

    def _session(self, sample_rate: int) -> CallSession:
        pipeline = getattr(self.websocket.app.state, "pipeline", None)
        return CallSession(
            self.engine,
            pipeline,
            sample_rate,
            self.options["bias"],
            text=TextOptions(itn=self.options["itn"], punctuation=self.options["punctuation"]),
        )

    def record(self, state: str) -> dict[str, Any]:
        return {
            "call_id": self.id,
            "state": state,
            "started_at": self.started,
            "audio_seconds": round(self.session.stream.audio_seconds, 3),
            "transcript": self.session.transcript,
            "utterances": [u.to_dict() for u in self.session.stream.utterances],
            "suggestion": self.session.suggestion,
        }


async def _send_all(websocket: WebSocket, events: list[dict[str, Any]]) -> None:
    for event in events:
        await websocket.send_json(event)


@router.websocket("/stream")
async def stream_call(
    websocket: WebSocket,
    sample_rate: int = Query(MODEL_RATE),
    bias: BiasMode = Query("auto"),
    punctuation: bool = Query(False),
    itn: bool = Query(True),
) -> None:
    """A live call: PCM frames in, ``partial`` / ``final`` / ``suggestion`` events out."""
    await websocket.accept()
    engine = await _engine_or_error()
    if isinstance(engine, tuple):
        _status, code, message = engine
        chinese, english = _split(message)
        await websocket.send_json({"type": "error", "code": code, "message": chinese, "message_en": english})
        await websocket.close(WS_TRY_AGAIN_LATER)
        return
    try:
        check_rate(sample_rate)
    except AudioError as exc:
        await _close_with_error(websocket, "audio_bad_rate", str(exc), WS_UNSUPPORTED_DATA)
        return
    call = _Call(websocket, engine, sample_rate, {"bias": bias, "punctuation": punctuation, "itn": itn})
    registry = _registry(websocket.app)
    await websocket.send_json(
        {
            "type": "ready",
            "call_id": call.id,
            "sample_rate": sample_rate,
            "model": {"graph": engine.info.graph, "grammar": engine.supports_grammar, "name": engine.info.name},
        }
    )
    state = "disconnected"
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("bytes") is not None:
                frame: bytes = message["bytes"]
                if len(frame) > MAX_FRAME_BYTES:
                    await _close_with_error(
                        websocket, "frame_too_large", f"音频帧过大（上限 {MAX_FRAME_BYTES} 字节） / frame larger than "
                        f"{MAX_FRAME_BYTES} bytes", WS_TOO_BIG
                    )
                    state = "rejected"
                    break
                if call.frames == 0 and (header := _wav_header(frame)) is not None:
                    rate, channels, bits, offset = header
                    if channels != 1 or bits != 16:
                        await _close_with_error(
                            websocket, "audio_unsupported", f"只支持 16 位单声道 PCM（收到 {channels} 声道 {bits} 位） / only "
                            f"16-bit mono PCM is supported (got {channels} channel(s), {bits} bit)", WS_UNSUPPORTED_DATA
                        )
                        state = "rejected"
                        break
                    call.session = call._session(check_rate(rate))
                    frame = frame[offset:]
                call.frames += 1
                await _send_all(websocket, await run_in_threadpool(call.session.feed, frame))
                registry.save(call.id, call.record("streaming"))
                if call.session.stream.audio_seconds > MAX_CALL_SECONDS:
                    await websocket.send_json(
                        {"type": "error", "code": "call_too_long", "message": "通话超过时长上限，已结束",
                         "message_en": f"call longer than {MAX_CALL_SECONDS} s; ended"}
                    )
                    state = "ended"
                    await _finish(websocket, call, registry)
                    break
            elif message.get("text") is not None:
                if _is_end(message["text"]):
                    state = "ended"
                    await _finish(websocket, call, registry)
                    break
                await websocket.send_json(
                    {"type": "error", "code": "bad_message", "message": "无法识别的文本消息（结束请发送 EOF）",
                     "message_en": 'unrecognised text message (send "EOF" or {"type": "end"} to finish)'}
                )
    except WebSocketDisconnect:
        state = "disconnected"
    finally:
        if state != "ended":
            # The caller went away (or was refused): keep what was said with the call. No ``await`` here: the task
            # may be being cancelled, and flushing the last fraction of a second of audio is quick.
            registry.save(call.id, call.record(state))
            try:
                call.session.finish()
            except Exception:  # noqa: BLE001 - best effort on a dead connection
                log.exception("finishing an interrupted call failed")
            registry.save(call.id, call.record(state))


def _is_end(text: str) -> bool:
    if text.strip() in ("EOF", "eof", "end"):
        return True
    try:
        return json.loads(text).get("type") == "end" or json.loads(text).get("eof") in (1, True)
    except (ValueError, AttributeError):
        return False


async def _finish(websocket: WebSocket, call: _Call, registry: CallRegistry) -> None:
    await _send_all(websocket, await run_in_threadpool(call.session.finish))
    record = call.record("ended")
    registry.save(call.id, record)
    await websocket.send_json({"type": "end"} | record)
    await websocket.close(1000)


async def _close_with_error(websocket: WebSocket, code: str, message: str, close_code: int) -> None:
    chinese, english = _split(message)
    await websocket.send_json({"type": "error", "code": code, "message": chinese, "message_en": english})
    await websocket.close(close_code)
