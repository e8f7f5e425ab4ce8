"""ASGI middleware that checks request bodies before routing: too large → 413, not UTF-8 → 400.

FastAPI would otherwise read any size and report invalid UTF-8 as a JSON error; a 12345 channel needs the precise
answer, and a huge body must be refused before it is buffered whole.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors.api.errors import error_response


class BodyGuard:
    """``max_bytes`` for every body, except paths under a prefix in ``limits`` (e.g. audio uploads), which get theirs."""

    def __init__(self, app: ASGIApp, max_bytes: int, limits: dict[str, int] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.limits = limits or {}

    def _limit(self, path: str) -> int:
        return next((limit for prefix, limit in self.limits.items() if path.startswith(prefix)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        if limit != self.max_bytes:  # routes with their own limit read and check their bodies themselves
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if body and ("json" in content_type or content_type.startswith("text/")):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                response = error_response(
                    400, "invalid_encoding", "请求内容不是有效的 UTF-8 编码", f"request body is not valid UTF-8 (byte {exc.start})"
                )
                await response(scope, receive, send)
                return
            if "json" in content_type:
                try:
                    json.loads(body)
                except ValueError:
                    response = error_response(400, "invalid_json", "请求内容不是有效的 JSON", "request body is not valid JSON")
                    await response(scope, receive, send)
                    return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "body_too_large", f"请求内容过大（上限 {self.max_bytes} 字节）", f"request body larger than {self.max_bytes} bytes"
        )
        await response(scope, receive, send)


async def read_limited_body(request: Request, limit: int) -> bytes | None:
    """The body of a route with its own limit (``BodyGuard`` lets it through), or None as soon as it is larger."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
