"""Dispatch: order events on a Redis stream, a consumer-group worker, signed webhooks to a real HTTP endpoint."""

from __future__ import annotations

import json
import time

import httpx
from sqlalchemy import select

from connectors.dispatch import keys
from connectors.dispatch.webhook import sign, verify
from triage.models import Delivery, OutboxEvent
from tests.support.stack import MANHOLE, STALLS, Stack


def file(stack: Stack, text: str = MANHOLE) -> str:
    r = stack.client.post("/v1/intake", json={"text": text, "contact": {"phone": "13800138001"}}, headers=stack.headers("agent"))
    assert r.status_code == 201, r.text
    return r.json()["number"]


def order(stack: Stack, number: str) -> dict:
    return stack.client.get(f"/v1/orders/{number}", headers=stack.headers("agent")).json()


def test_worker_delivers_a_signed_order_to_its_department(stack: Stack) -> None:
    number = file(stack)
    stack.drain(stack.dispatcher())
    received = stack.departments.orders()
    assert len(received) == 1 and received[0]["department"] == "nh-sz"
    payload = received[0]["order"]
    assert payload["number"] == number and payload["contact"]["phone"] == "13800138001"  # departments need the contact
    after = order(stack, number)
    assert after["status"] == "dispatched" and after["dispatch"]["state"] == "delivered"
    assert after["history"][-1]["action"] == "dispatched" and "南海区市政设施管理所" in after["history"][-1]["reason"]
    assert stack.departments.rejected == 0  # every signature checked out
    pending = stack.services.redis.xpending(keys.ORDER_EVENTS, keys.DISPATCH_GROUP)
    assert pending["pending"] == 0


def test_department_down_keeps_the_order_queued_until_it_returns(stack: Stack) -> None:
    stack.departments.down = True
    number = file(stack, STALLS)
    worker = stack.dispatcher()
    stack.drain(worker, rounds=3)
    waiting = order(stack, number)
    assert waiting["status"] == "registered" and waiting["dispatch"]["state"] == "queued"
    assert waiting["dispatch"]["attempts"] >= 2  # retried, not dropped
    assert stack.services.redis.xpending(keys.ORDER_EVENTS, keys.DISPATCH_GROUP)["pending"] == 1
    stack.departments.down = False
    stack.drain(worker, rounds=2)
    done = order(stack, number)
    assert done["status"] == "dispatched" and done["dispatch"]["state"] == "delivered"
    assert [o["order"]["number"] for o in stack.departments.orders()] == [number]
    with stack.services.sessions() as session:
        outcomes = [d.ok for d in session.execute(select(Delivery).order_by(Delivery.id)).scalars()]
    assert outcomes[-1] is True and not any(outcomes[:-1])


def test_retries_back_off(stack: Stack) -> None:
    stack.settings.dispatch_retry_base_s = 30.0
    stack.departments.down = True
    number = file(stack)
    worker = stack.dispatcher()
    stack.drain(worker, rounds=4)
    assert order(stack, number)["dispatch"]["attempts"] == 1  # the next try is 30 s away, not every loop
    schedule = stack.services.redis.hgetall(keys.RETRY_SCHEDULE)
    (entry,) = schedule.values()
    assert json.loads(entry)["next_at"] > time.time() + 20


def test_restarted_worker_finishes_its_pending_entries_first(stack: Stack) -> None:
    number = file(stack)
    first = stack.dispatcher("worker-a")
    first.ensure_group()
    # The worker takes the entry, then "crashes" before delivering or acknowledging it.
    taken = stack.services.redis.xreadgroup(keys.DISPATCH_GROUP, "worker-a", {keys.ORDER_EVENTS: ">"}, count=10)
    assert len(taken[0][1]) == 1
    assert stack.services.redis.xreadgroup(keys.DISPATCH_GROUP, "worker-a", {keys.ORDER_EVENTS: ">"}, count=10) == []
    restarted = stack.dispatcher("worker-a")
    stack.drain(restarted, rounds=1)
    assert order(stack, number)["status"] == "dispatched"
    assert stack.services.redis.xpending(keys.ORDER_EVENTS, keys.DISPATCH_GROUP)["pending"] == 0


def test_entries_of_a_dead_worker_are_claimed_by_another(stack: Stack) -> None:
    number = file(stack)
    stack.dispatcher("worker-dead").ensure_group()
    stack.services.redis.xreadgroup(keys.DISPATCH_GROUP, "worker-dead", {keys.ORDER_EVENTS: ">"}, count=10)
    other = stack.dispatcher("worker-b", claim_idle_ms=0)
    stack.drain(other, rounds=1)
    assert order(stack, number)["status"] == "dispatched"


def test_a_department_never_gets_one_order_twice(stack: Stack) -> None:
    number = file(stack)
    with stack.services.sessions() as session:
        event = session.execute(select(OutboxEvent)).scalar_one()
    # The same event published again (a relay racing the first publish) and a second worker on the stream.
    stack.services.redis.xadd(keys.ORDER_EVENTS, {**{k: str(v) for k, v in event.payload.items()}, "outbox_id": str(event.id)})
    stack.drain(stack.dispatcher("w1"), rounds=2)
    stack.drain(stack.dispatcher("w2"), rounds=2)
    assert [o["order"]["number"] for o in stack.departments.orders()] == [number]
    assert stack.departments.duplicates == 0


def test_outbox_relay_publishes_events_left_behind(stack: Stack) -> None:
    number = file(stack)
    stack.services.redis.delete(keys.ORDER_EVENTS)  # as if the publish after commit had been lost
    with stack.services.sessions.begin() as session:
        session.execute(OutboxEvent.__table__.update().values(published_at=None))
    stack.drain(stack.dispatcher(), rounds=2)
    assert order(stack, number)["status"] == "dispatched"


def test_signatures_and_replay_window() -> None:
    body = b'{"number":"FS1"}'
    now = int(time.time())
    good = sign("s3cret", str(now), body)
    assert verify("s3cret", str(now), body, good)
    assert not verify("other", str(now), body, good)
    assert not verify("s3cret", str(now), body + b" ", good)
    assert not verify("s3cret", str(now - 3600), body, sign("s3cret", str(now - 3600), body))
    assert not verify("s3cret", "not-a-time", body, good)


def test_endpoint_refuses_forged_deliveries(stack: Stack) -> None:
    body = json.dumps({"number": "FS-forged"}).encode()
    ts = str(int(time.time()))
    forged = httpx.post(
        f"{stack.departments.url}/hooks/nh-sz",
        content=body,
        headers={"X-Hotline-Timestamp": ts, "X-Hotline-Signature": sign("wrong-secret", ts, body), "X-Hotline-Delivery": "x"},
    )
    assert forged.status_code == 401 and stack.departments.orders() == []
