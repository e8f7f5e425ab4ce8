"""A small real HTTP server implementing the product API contract the bot uses (for tests, until/besides the real one).

It keeps orders in memory and applies the same access rules the contract states: a citizen sees an order only with
the phone used on it (404 otherwise), list by phone, 催办, feedback, handover, idempotent intake.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import uvicorn
from fastapi import FastAPI, Header, HTTPException, Request

PLACES = {
    "海五路": ("佛山市南海区桂城街道海五路", 0.9),
    "海四路": ("佛山市南海区桂城街道海四路", 0.9),
    "千灯湖": ("佛山市南海区桂城街道千灯湖公园", 0.85),
    "灯湖东路": ("佛山市南海区桂城街道灯湖东路", 0.9),
}
AMBIGUOUS = {"南海大道": [("佛山市南海区桂城街道南海大道北", 0.5), ("佛山市南海区桂城街道南海大道南", 0.45)]}
CATEGORIES = {"井盖": ("BJ0101", "井盖", "市政"), "路灯": ("BJ0201", "路灯", "市政"), "垃圾": ("SJ0101", "暴露垃圾", "城管"),
              "煤气": ("SJ0901", "燃气泄漏", "燃气"), "燃气": ("SJ0901", "燃气泄漏", "燃气")}


def place(name: str, confidence: float) -> dict[str, Any]:
    return {"raw": name, "normalized": name, "district": "南海区", "street": "桂城街道", "adcode": "440605011",
            "grid": "G-001", "confidence": confidence}


def analyse_text(text: str, location: str | None) -> dict[str, Any]:
    where = f"{location or ''} {text}"
    loc, candidates = None, []
    for key, options in AMBIGUOUS.items():
        if key in where:
            candidates = [place(n, c) for n, c in options]
            loc = candidates[0]
    for key, (name, conf) in PLACES.items():
        if key in (location or "") or (not location and key in text):
            loc, candidates = place(name, conf), [place(name, conf)]
            break
    category = None
    for key, (code, name, dept) in CATEGORIES.items():
        if key in text:
            category = {"code": code, "name": name, "path": ["城乡建设", name], "domain": "城乡建设", "confidence": 0.9,
                        "department_type": dept}
            break
    emergency = any(k in text for k in ("煤气", "燃气", "着火", "起火"))
    department = {"id": f"dept-{category['department_type']}", "name": f"南海区{category['department_type']}部门"} \
        if category else None
    return {"category": category, "category_candidates": [category] if category else [], "location": loc,
            "location_candidates": candidates, "urgency": "emergency" if emergency else "normal",
            "emergency_handover": "119" if emergency else None, "department": department,
            "deadline": (datetime(2026, 11, 22, 18, 0, tzinfo=timezone(timedelta(hours=8)))).isoformat(),
            "review_reasons": []}


@dataclass
class Store:
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    handovers: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    """(method, path, X-API-Key) of every request."""

    def new_number(self) -> str:
        return f"NH20261121-{len(self.orders) + 1:04d}"


def make_app(store: Store) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def record(request: Request, call_next):
        store.calls.append((request.method, request.url.path, request.headers.get("x-api-key", "")))
        return await call_next(request)

    def public(order: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in order.items() if k not in ("contact", "text")}

    @app.post("/v1/analyse")
    async def analyse(body: dict[str, Any]):
        return analyse_text(body.get("text") or "", body.get("location"))

    @app.post("/v1/intake", status_code=201)
    async def intake(body: dict[str, Any], idempotency_key: str = Header(...)):
        if idempotency_key in store.by_key:
            return store.orders[store.by_key[idempotency_key]]
        analysis = analyse_text(body["text"], body.get("location"))
        number = store.new_number()
        order = {"number": number, "text": body["text"], "channel": body.get("channel"),
                 "contact": body.get("contact") or {}, "location": body.get("location"),
                 "category": analysis["category"], "confidence": 0.9, "department": analysis["department"],
                 "urgency": analysis["urgency"], "deadline": analysis["deadline"], "status": "dispatched",
                 "urges": 0, "feedback": []}
        store.orders[number] = order
        store.by_key[idempotency_key] = number
        return public(order)

    def owned(number: str, phone: str) -> dict[str, Any]:
        order = store.orders.get(number)
        if order is None or (order["contact"] or {}).get("phone") != phone:
            raise HTTPException(404, "not found")
        return order

    @app.get("/v1/orders/{number}")
    async def get_order(number: str, phone: str = ""):
        return public(owned(number, phone))

    @app.get("/v1/orders")
    async def list_orders(contact_phone: str):
        return [public(o) for o in store.orders.values() if (o["contact"] or {}).get("phone") == contact_phone]

    @app.post("/v1/orders/{number}/urge")
    async def urge(number: str, body: dict[str, Any]):
        order = owned(number, body.get("phone", ""))
        order["urges"] += 1
        return public(order)

    @app.post("/v1/orders/{number}/feedback")
    async def feedback(number: str, body: dict[str, Any]):
        order = owned(number, body.get("phone", ""))
        order["feedback"].append(body)
        if not body.get("satisfied"):
            order["status"] = "rework"
        return public(order)

    @app.post("/v1/handover", status_code=201)
    async def handover(body: dict[str, Any]):
        number = f"LY{len(store.handovers) + 1:06d}"
        store.handovers.append(body | {"number": number})
        return {"number": number, "channel": "chat", "status": "pending_review"}

    return app


class ServerThread:
    """Run an ASGI app with uvicorn in a thread on a loopback port."""

    def __init__(self, app: Any, port: int):
        self.port = port
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
