"""The bot's only way to the product: a small async client for the hotline API (no business logic in the bot).

Base URL from ``HOTLINE_API_URL`` (default ``http://127.0.0.1:8000``), key from ``HOTLINE_BOT_API_KEY`` sent as
``X-API-Key`` (a "citizen" channel key). Every call raises one of three errors the actions turn into Chinese replies:
``NotFound`` (404: unknown order, or an order that is not this caller's), ``Rejected`` (another 4xx),
``Unavailable`` (network error, timeout, 5xx).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

import httpx

DEFAULT_API_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT_S = 8.0


class ApiError(Exception):
    """Base of the API errors; ``status`` is the HTTP status (0 when no response came)."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


class NotFound(ApiError):
    """404: no such order for this caller (the API never tells which)."""


class Rejected(ApiError):
    """A 4xx other than 404: the request was refused (bad phone, closed order, …)."""


class Unavailable(ApiError):
    """The API did not answer usefully: connection refused, timeout, 5xx."""


class HotlineApi:
    """Async client for the endpoints the bot uses; one instance per action server process."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, timeout_s: float | None = None):
        self.base_url = (base_url or os.environ.get("HOTLINE_API_URL") or DEFAULT_API_URL).rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("HOTLINE_BOT_API_KEY", "")
        self.timeout_s = timeout_s or float(os.environ.get("HOTLINE_BOT_API_TIMEOUT_S", DEFAULT_TIMEOUT_S))

    async def _call(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                    headers: dict[str, str] | None = None) -> Any:
        all_headers = {"X-API-Key": self.api_key} if self.api_key else {}
        all_headers.update(headers or {})
        try:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout_s) as client:
                response = await client.request(method, path, json=json, params=params, headers=all_headers)
        except httpx.HTTPError as exc:
            raise Unavailable(f"{method} {path}: {exc!r}") from exc
        if response.status_code == 404:
            raise NotFound(f"{method} {path}: 404", 404)
        if response.status_code >= 500:
            raise Unavailable(f"{method} {path}: {response.status_code}", response.status_code)
        if response.status_code >= 400:
            raise Rejected(f"{method} {path}: {response.status_code} {response.text[:200]}", response.status_code)
        try:
            return response.json()
        except ValueError as exc:
            raise Unavailable(f"{method} {path}: not JSON") from exc

    async def analyse(self, text: str, location: str | None = None) -> dict[str, Any]:
        """``POST /v1/analyse``: the analysed suggestion (category, location candidates, urgency…) without an order."""
        return await self._call("POST", "/v1/analyse", json={"text": text, "location": location})

    async def intake(self, *, text: str, idempotency_key: str, location: str | None = None,
                     phone: str | None = None, title: str | None = None,
                     reported_at: str | None = None) -> dict[str, Any]:
        """``POST /v1/intake`` (channel chat): files the order; the same ``idempotency_key`` never files twice."""
        body: dict[str, Any] = {"text": text, "channel": "chat"}
        if title:
            body["title"] = title
        if location:
            body["location"] = location
        if phone:
            body["contact"] = {"phone": phone}
        if reported_at:
            body["reported_at"] = reported_at
        return await self._call("POST", "/v1/intake", json=body, headers={"Idempotency-Key": idempotency_key})

    async def get_order(self, number: str, phone: str) -> dict[str, Any]:
        """``GET /v1/orders/{number}?phone=…``: the public view; 404 unless the phone is the order's."""
        return await self._call("GET", f"/v1/orders/{quote(number, safe='')}", params={"phone": phone})

    async def list_orders(self, phone: str) -> list[dict[str, Any]]:
        """``GET /v1/orders?contact_phone=…``: the caller's orders (masked)."""
        data = await self._call("GET", "/v1/orders", params={"contact_phone": phone})
        if isinstance(data, dict):  # tolerate a paged envelope
            data = data.get("items") or data.get("orders") or []
        return list(data)

    async def urge(self, number: str, phone: str, note: str) -> dict[str, Any]:
        """``POST /v1/orders/{number}/urge`` (催办)."""
        return await self._call("POST", f"/v1/orders/{quote(number, safe='')}/urge", json={"phone": phone, "note": note})

    async def feedback(self, number: str, phone: str, satisfied: bool, note: str) -> dict[str, Any]:
        """``POST /v1/orders/{number}/feedback``: a complaint (not satisfied) goes to 回访/返工."""
        return await self._call("POST", f"/v1/orders/{quote(number, safe='')}/feedback",
                                json={"phone": phone, "satisfied": satisfied, "note": note})

    async def handover(self, conversation_id: str, transcript: list[dict[str, str]], reason: str) -> dict[str, Any]:
        """``POST /v1/handover``: a 'leave a message' order for agents with the conversation so far."""
        return await self._call("POST", "/v1/handover", json={"conversation_id": conversation_id,
                                                             "transcript": transcript, "reason": reason})
