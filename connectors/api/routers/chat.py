"""``/v1/chat`` and ``/v1/chat/ws``: citizens talk to the chat bot through our API only; we relay to Rasa's REST channel.

Nothing a citizen says is lost: when Rasa or its action server does not answer, the words (and the turns this
process saw before) are kept as a 'leave a message' order for agents (``/v1/handover``), and if even that fails,
appended to a local spool file an operator can replay.

Limits (documented in docs/bot.md): one message ≤ ``HOTLINE_CHAT_MAX_CHARS`` characters (default 1000; longer → 413
with a Chinese message); ``sender`` 1–128 characters of ``[A-Za-z0-9_.:@-]``. An empty message means the citizen was
silent (a client-side timeout) and is sent to the bot as the ``silence`` intent. Auth is not done here: the lead
mounts this router behind the API-key dependency.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import unicodedata
import uuid
from collections import OrderedDict, deque
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field

from hotline.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter()

SENDER_PATTERN = r"^[A-Za-z0-9_.:@-]{1,128}$"
SILENCE_PAYLOAD = "/silence"
HISTORY_TURNS = 40
MAX_CONVERSATIONS = 10_000

MSG_TOO_LONG = "消息太长了（单条最多{limit}字），请分几次发送，或直接拨打12345热线。"
MSG_BOT_DOWN = ("抱歉，智能客服暂时无法服务。您说的内容已经完整记录并转给人工客服（留言编号：{number}），"
                "工作人员会尽快与您联系。紧急情况请直接拨打110、119或120。")
MSG_BOT_DOWN_SPOOLED = ("抱歉，智能客服暂时无法服务。您说的内容已经记录，工作人员会尽快处理；"
                        "急事请直接拨打12345热线，紧急情况请拨打110、119或120。")


def _settings() -> Settings:
    """Read fresh each time (cheap), so tests and operators can point the relay elsewhere without a restart."""
    return Settings()


def _max_chars() -> int:
    return _settings().chat_max_chars


def _rasa_url() -> str:
    return _settings().rasa_url.rstrip("/")


def _rasa_timeout_s() -> float:
    return _settings().rasa_timeout_s


def _spool_path() -> Path:
    return _settings().data_dir / "chat_undelivered.jsonl"


class ChatIn(BaseModel):
    """One citizen message."""

    sender: str = Field(..., pattern=SENDER_PATTERN, description="The conversation id (a client-chosen stable id).")
    message: str = Field("", description="The citizen's words; empty = silence (client timeout).")


class BotMessage(BaseModel):
    text: str | None = None
    buttons: list[dict[str, Any]] = Field(default_factory=list)
    """Each ``{"title", "payload"}``: send ``payload`` back as the next message to choose it."""


class ChatOut(BaseModel):
    sender: str
    messages: list[BotMessage]
    degraded: bool = False
    """True when the bot did not answer and the words were kept for agents instead."""
    handover_number: str | None = None


def clean_message(text: str) -> str:
    """NFC, control characters removed, a leading ``/`` made harmless (Rasa reads ``/intent{...}`` as a command)."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == "\n").strip()
    return re.sub(r"^/+", "／", text)


class ConversationLog:
    """The last turns of each conversation this process relayed (for the transcript of a handover)."""

    def __init__(self) -> None:
        self._turns: OrderedDict[str, deque[dict[str, str]]] = OrderedDict()

    def add(self, sender: str, role: str, text: str) -> None:
        turns = self._turns.setdefault(sender, deque(maxlen=HISTORY_TURNS))
        self._turns.move_to_end(sender)
        turns.append({"role": role, "text": text})
        while len(self._turns) > MAX_CONVERSATIONS:
            self._turns.popitem(last=False)

    def transcript(self, sender: str) -> list[dict[str, str]]:
        return list(self._turns.get(sender, ()))


CONVERSATIONS = ConversationLog()


class BotUnavailable(Exception):
    """Rasa (or its action server) gave no usable answer."""


async def ask_rasa(sender: str, text: str) -> list[BotMessage]:
    """Send one message to Rasa's REST channel; the bot's answers, or ``BotUnavailable``."""
    try:
        async with httpx.AsyncClient(timeout=_rasa_timeout_s()) as client:
            response = await client.post(f"{_rasa_url()}/webhooks/rest/webhook",
                                         json={"sender": sender, "message": text})
    except httpx.HTTPError as exc:
        raise BotUnavailable(repr(exc)) from exc
    if response.status_code != 200:
        raise BotUnavailable(f"rasa answered {response.status_code}")
    try:
        raw = response.json()
    except ValueError as exc:
        raise BotUnavailable("rasa answered non-JSON") from exc
    messages = [BotMessage(text=m.get("text"), buttons=m.get("buttons") or []) for m in raw if isinstance(m, dict)]
    if not any(m.text for m in messages):
        # Every turn of this bot says something; silence means an action failed (action server down).
        raise BotUnavailable("rasa answered nothing (action server down?)")
    return messages


async def leave_message(request_app: Any, sender: str, reason: str) -> str | None:
    """Keep the conversation as a 'leave a message' order; the order number, or ``None`` if it was spooled."""
    transcript = CONVERSATIONS.transcript(sender)
    service = getattr(getattr(request_app, "state", None), "handover", None)
    try:
        if callable(service):  # the lead may expose the handover service in-process
            result = service(conversation_id=sender, transcript=transcript, reason=reason)
            if asyncio.iscoroutine(result):
                result = await result
            return (result or {}).get("number") if isinstance(result, dict) else getattr(result, "number", None)
        base = os.environ.get("HOTLINE_API_URL", "http://127.0.0.1:8000").rstrip("/")
        key = os.environ.get("HOTLINE_BOT_API_KEY", "")
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(f"{base}/v1/handover", headers={"X-API-Key": key} if key else {},
                                         json={"conversation_id": sender, "transcript": transcript, "reason": reason})
        response.raise_for_status()
        return response.json().get("number") or ""
    except Exception as exc:  # noqa: BLE001 — whatever failed, the words go to the spool file below
        log.error("handover failed for %s (%s); spooling", sender, exc)
    path = _spool_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"conversation_id": sender, "transcript": transcript, "reason": reason,
              "at": datetime.now(timezone.utc).isoformat()}
    with path.open("a", encoding="utf-8") as spool:
        spool.write(json.dumps(record, ensure_ascii=False) + "\n")
    return None


async def converse(app: Any, sender: str, message: str) -> ChatOut:
    """One citizen turn: validate, relay to the bot, fall back to a handover when the bot is down."""
    limit = _max_chars()
    if len(message or "") > limit:
        raise HTTPException(status_code=413, detail=MSG_TOO_LONG.format(limit=limit))
    text = clean_message(message)
    if text:
        CONVERSATIONS.add(sender, "citizen", text)
    try:
        messages = await ask_rasa(sender, text or SILENCE_PAYLOAD)
    except BotUnavailable as exc:
        log.warning("bot unavailable for %s: %s", sender, exc)
        number = await leave_message(app, sender, "bot_unavailable")
        reply = MSG_BOT_DOWN.format(number=number) if number else MSG_BOT_DOWN_SPOOLED
        CONVERSATIONS.add(sender, "bot", reply)
        return ChatOut(sender=sender, messages=[BotMessage(text=reply)], degraded=True, handover_number=number)
    for m in messages:
        if m.text:
            CONVERSATIONS.add(sender, "bot", m.text)
    return ChatOut(sender=sender, messages=messages)


@router.post("/v1/chat", response_model=ChatOut, summary="Send one chat message to the intake bot")
async def chat(body: ChatIn, request: Request) -> ChatOut:
    """Relay one message to the bot; the bot's replies (with buttons) come back."""
    return await converse(request.app, body.sender, body.message)


@router.websocket("/v1/chat/ws")
async def chat_ws(websocket: WebSocket) -> None:
    """The same conversation over a WebSocket: send ``{"message": "..."}`` (or plain text), receive ChatOut JSON.

    The conversation id is the ``sender`` query parameter (a new one is made when absent and sent first as
    ``{"sender": "..."}``).
    """
    sender = websocket.query_params.get("sender") or f"ws-{uuid.uuid4().hex}"
    await websocket.accept()
    if not re.match(SENDER_PATTERN, sender):
        await websocket.send_json({"error": "sender 格式不正确"})
        await websocket.close(code=1008)
        return
    await websocket.send_json({"sender": sender})
    try:
        while True:
            raw = await websocket.receive_text()
            try:
                data = json.loads(raw)
                message = data.get("message", "") if isinstance(data, dict) else str(data)
            except ValueError:
                message = raw
            try:
                out = await converse(websocket.app, sender, str(message or ""))
            except HTTPException as exc:
                await websocket.send_json({"error": exc.detail, "status": exc.status_code})
                continue
            await websocket.send_json(out.model_dump())
    except WebSocketDisconnect:
        return
