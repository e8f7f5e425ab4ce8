"""POST /v1/intake and reading orders, on both databases and the real Redis."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from triage.models import OrderHistory, OutboxEvent, WorkOrder
from tests.support.stack import MANHOLE, STALLS, VAGUE, Stack, run_threads

CONTRACT_KEYS = {"number", "category", "confidence", "location", "department", "urgency", "deadline", "status"}


def count_orders(stack: Stack) -> int:
    with stack.services.sessions() as session:
        return session.execute(select(func.count()).select_from(WorkOrder)).scalar_one()


def test_intake_creates_a_routed_order_with_history(stack: Stack) -> None:
    r = stack.client.post("/v1/intake", json={"text": MANHOLE, "channel": "phone", "contact": {"phone": "13800138001"}}, headers=stack.headers("agent"))
    assert r.status_code == 201, r.text
    order = r.json()
    assert CONTRACT_KEYS <= order.keys()
    assert order["number"].startswith("FS") and len(order["number"]) == len("FS20261121-000001")
    assert order["category"]["name"] and order["category"]["path"][0] == order["category"]["domain"]
    assert "井盖" in order["category"]["name"]
    assert order["location"]["street"] == "桂城街道" and order["location"]["adcode"].startswith("440605")
    assert order["department"]["id"] == "nh-sz"
    assert order["urgency"] in ("urgent", "emergency")
    assert order["status"] == "registered" and order["dispatch"]["state"] == "queued"
    assert order["contact"]["phone"] == "13800138001"  # an agent sees the full contact
    assert [h["action"] for h in order["history"]] == ["created"]
    with stack.services.sessions() as session:
        event = session.execute(select(OutboxEvent)).scalar_one()
        assert event.published_at is not None  # published to the stream right after commit
    entries = stack.services.redis.xrange("hotline:orders:events")
    assert [e[1]["number"] for e in entries] == [order["number"]]


def test_unclear_report_waits_for_an_agent_and_is_not_queued(stack: Stack) -> None:
    r = stack.client.post("/v1/intake", json={"text": VAGUE}, headers=stack.headers("citizen"))
    assert r.status_code == 201
    number = r.json()["number"]
    full = stack.client.get(f"/v1/orders/{number}", headers=stack.headers("agent")).json()
    assert full["status"] == "received" and full["needs_review"] and full["review_reasons"]
    assert full["dispatch"]["state"] == "held"
    assert stack.services.redis.xlen("hotline:orders:events") == 0


def test_citizen_view_masks_and_needs_the_phone(stack: Stack) -> None:
    body = {"text": STALLS, "contact": {"name": "王女士", "phone": "13800138002"}}
    number = stack.client.post("/v1/intake", json=body, headers=stack.headers("citizen")).json()["number"]
    assert stack.client.get(f"/v1/orders/{number}", headers=stack.headers("citizen")).status_code == 404
    wrong = stack.client.get(f"/v1/orders/{number}", params={"phone": "13900000000"}, headers=stack.headers("citizen"))
    assert wrong.status_code == 404
    mine = stack.client.get(f"/v1/orders/{number}", params={"phone": "138-0013-8002"}, headers=stack.headers("citizen"))
    assert mine.status_code == 200
    view = mine.json()
    assert view["contact"]["phone"] == "138****8002" and view["contact"]["name"] is None
    assert view["history"] is None and view["routing_reasons"] is None
    listed = stack.client.get("/v1/orders", params={"contact_phone": "13800138002"}, headers=stack.headers("citizen")).json()
    assert listed["total"] == 1 and listed["items"][0]["contact"]["phone"] == "138****8002"
    assert stack.client.get("/v1/orders", headers=stack.headers("citizen")).status_code == 422


def test_department_sees_only_its_own_orders(stack: Stack) -> None:
    manhole = stack.client.post("/v1/intake", json={"text": MANHOLE}, headers=stack.headers("agent")).json()
    stalls = stack.client.post("/v1/intake", json={"text": STALLS}, headers=stack.headers("agent")).json()
    assert manhole["department"]["id"] == "nh-sz" and stalls["department"]["id"] == "gc-cgzd"
    sz = stack.headers("dept_sz")
    assert stack.client.get(f"/v1/orders/{manhole['number']}", headers=sz).status_code == 200
    assert stack.client.get(f"/v1/orders/{stalls['number']}", headers=sz).status_code == 404
    listed = stack.client.get("/v1/orders", params={"department_id": "gc-cgzd"}, headers=sz).json()
    assert [o["number"] for o in listed["items"]] == [manhole["number"]]  # the filter cannot widen a department's view
    assert stack.client.post("/v1/intake", json={"text": MANHOLE}, headers=sz).status_code == 403


def test_list_filters_and_paging(stack: Stack) -> None:
    for text in (MANHOLE, STALLS, VAGUE, MANHOLE):
        assert stack.client.post("/v1/intake", json={"text": text}, headers=stack.headers("agent")).status_code == 201
    agent = stack.headers("agent")
    everything = stack.client.get("/v1/orders", headers=agent).json()
    assert everything["total"] == 4
    assert [o["number"] for o in everything["items"]] == sorted((o["number"] for o in everything["items"]), reverse=True)
    review = stack.client.get("/v1/orders", params={"needs_review": "true"}, headers=agent).json()
    assert review["total"] == 1 and review["items"][0]["text"] == VAGUE
    by_dept = stack.client.get("/v1/orders", params={"department_id": "nh-sz"}, headers=agent).json()
    assert by_dept["total"] == 2
    page = stack.client.get("/v1/orders", params={"limit": 1, "offset": 1}, headers=agent).json()
    assert page["total"] == 4 and len(page["items"]) == 1 and page["items"][0]["number"] == everything["items"][1]["number"]
    assert stack.client.get("/v1/orders", params={"limit": 500}, headers=agent).status_code == 422
    found = stack.client.get("/v1/orders", params={"q": "摆摊"}, headers=agent).json()
    assert found["total"] == 1 and "摆摊" in found["items"][0]["text"]
    assert stack.client.get("/v1/orders", params={"q": "100%_"}, headers=agent).json()["total"] == 0  # wildcards escaped


def test_same_idempotency_key_gives_one_order_even_concurrently(stack: Stack) -> None:
    headers = stack.headers("citizen", **{"Idempotency-Key": "call-42"})
    body = {"text": MANHOLE, "contact": {"phone": "13800138001"}}

    def submit(_i: int):  # type: ignore[no-untyped-def]
        return stack.client.post("/v1/intake", json=body, headers=headers)

    responses = run_threads(submit, 8)
    numbers = {r.json()["number"] for r in responses}  # type: ignore[attr-defined]
    assert len(numbers) == 1
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]  # type: ignore[attr-defined]
    assert count_orders(stack) == 1
    assert stack.services.redis.xlen("hotline:orders:events") == 1
    again = stack.client.post("/v1/intake", json=body, headers=headers)
    assert again.status_code == 200 and again.json()["replayed"] is True
    changed = stack.client.post("/v1/intake", json={**body, "text": STALLS}, headers=headers)
    assert changed.status_code == 409 and changed.json()["error"]["code"] == "idempotency_conflict"
    assert count_orders(stack) == 1


def test_numbers_are_unique_and_sequential_under_concurrency(stack: Stack) -> None:
    def submit(i: int):  # type: ignore[no-untyped-def]
        return stack.client.post("/v1/intake", json={"text": f"{STALLS} 第{i}次"}, headers=stack.headers("agent")).json()["number"]

    numbers = run_threads(submit, 12)
    suffixes = sorted(int(str(n).rsplit("-", 1)[1]) for n in numbers)
    assert suffixes == list(range(1, 13))


def test_history_is_append_only_in_the_database(stack: Stack) -> None:
    stack.client.post("/v1/intake", json={"text": MANHOLE}, headers=stack.headers("agent"))
    import pytest
    from sqlalchemy.exc import DatabaseError

    for statement in ("UPDATE order_history SET reason = 'x'", "DELETE FROM order_history"):
        with pytest.raises(DatabaseError, match="append-only"):
            with stack.services.engine.begin() as conn:
                from sqlalchemy import text

                conn.execute(text(statement))
    with stack.services.sessions() as session:
        assert session.execute(select(func.count()).select_from(OrderHistory)).scalar_one() == 1


def test_agent_corrects_then_accepts_and_the_correction_is_kept(stack: Stack) -> None:
    number = stack.client.post("/v1/intake", json={"text": VAGUE}, headers=stack.headers("citizen")).json()["number"]
    agent = stack.headers("agent")
    code = next(iter(stack.services.extras["taxonomy"]().leaves))
    patched = stack.client.patch(
        f"/v1/orders/{number}", json={"category_code": code, "department_id": "gc-jdb", "reason": "来电复核"}, headers=agent
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["category"]["code"] == code and patched.json()["department"]["id"] == "gc-jdb"
    bad = stack.client.patch(f"/v1/orders/{number}", json={"category_code": "XX9999", "reason": "x"}, headers=agent)
    assert bad.status_code == 422
    accepted = stack.client.post(f"/v1/orders/{number}/accept", json={}, headers=agent).json()
    assert accepted["status"] == "registered" and accepted["dispatch"]["state"] == "queued"
    assert [h["action"] for h in accepted["history"]] == ["created", "corrected", "accepted"]
    assert stack.client.post(f"/v1/orders/{number}/accept", json={}, headers=agent).status_code == 409
    from triage.learning import category_corrections

    examples = category_corrections(stack.services.sessions)
    assert examples == [{"text": VAGUE, "title": "", "code": code, "order_number": number, "corrected_at": examples[0]["corrected_at"]}]


def test_citizen_urges_and_complains_on_own_order(stack: Stack) -> None:
    body = {"text": STALLS, "contact": {"phone": "13800138002"}}
    number = stack.client.post("/v1/intake", json=body, headers=stack.headers("citizen")).json()["number"]
    citizen = stack.headers("citizen")
    assert stack.client.post(f"/v1/orders/{number}/urge", json={"phone": "13900000000"}, headers=citizen).status_code == 404
    assert stack.client.post(f"/v1/orders/{number}/urge", json={"phone": "13800138002", "note": "快点"}, headers=citizen).status_code == 200
    fb = stack.client.post(f"/v1/orders/{number}/feedback", json={"phone": "13800138002", "satisfied": False}, headers=citizen)
    assert fb.status_code == 200
    history = stack.client.get(f"/v1/orders/{number}", headers=stack.headers("agent")).json()["history"]
    assert [h["action"] for h in history] == ["created", "urged", "complained"]


def test_openapi_and_health(stack: Stack) -> None:
    spec = stack.client.get("/openapi.json").json()
    assert {"/v1/intake", "/v1/orders", "/v1/orders/{number}", "/readyz"} <= spec["paths"].keys()
    assert stack.client.get("/docs").status_code == 200
    assert stack.client.get("/healthz").json() == {"status": "ok"}
    ready = stack.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "redis": "ok"}
    json.dumps(spec)
