"""Signed webhook delivery to a department's system.

Each request carries ``X-Hotline-Timestamp`` (unix seconds) and ``X-Hotline-Signature: sha256=<hex>``, the
HMAC-SHA256 of ``"<timestamp>.<body>"`` with the department's shared secret, so the receiver can check origin and
integrity and refuse replays outside a time window; ``X-Hotline-Delivery`` stays the same across retries of one
delivery so the receiver can drop duplicates.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from hotline.city import Webhook

REPLAY_WINDOW_S = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, now: float | None = None) -> bool:
    """True if ``signature`` is right for ``body`` and ``timestamp`` is within the replay window."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    return age <= REPLAY_WINDOW_S and hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass
class DeliveryResult:
    ok: bool
    status_code: int | None
    error: str = ""


def deliver(client: httpx.Client, webhook: Webhook, event: str, delivery_id: str, payload: dict[str, Any]) -> DeliveryResult:
    """POST ``payload`` to the webhook; 2xx is success, anything else (or no answer) a failure to retry."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Hotline-Event": event,
        "X-Hotline-Delivery": delivery_id,
        "X-Hotline-Timestamp": timestamp,
    }
    if webhook.secret:
        headers["X-Hotline-Signature"] = sign(webhook.secret, timestamp, body)
    try:
        response = client.post(webhook.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return DeliveryResult(False, None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return DeliveryResult(True, response.status_code)
    return DeliveryResult(False, response.status_code, response.text[:500])
