"""The closed loop from intake to 回访 through the API: departments sign, return, ask for time and report; the centre
reassigns, verifies, closes and calls back; deadlines raise 预警 and 督办; dead letters reach the agents."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from connectors.dispatch import keys
from connectors.dispatch.webhook import sign
from triage.models import WorkOrder
from tests.support.stack import MANHOLE, STALLS, Stack


def dispatched(stack: Stack, text: str = MANHOLE) -> str:
    r = stack.client.post("/v1/intake", json={"text": text, "contact": {"phone": "13800138001"}}, headers=stack.headers("agent"))
    number = r.json()["number"]
    stack.drain(stack.dispatcher())
    assert stack.client.get(f"/v1/orders/{number}", headers=stack.headers("agent")).json()["status"] == "dispatched"
    return number


def act(stack: Stack, number: str, name: str, role: str, **body):  # type: ignore[no-untyped-def]
    return stack.client.post(f"/v1/orders/{number}/actions/{name}", json=body, headers=stack.headers(role))


def test_the_whole_loop_to_follow_up(stack: Stack) -> None:
    number = dispatched(stack)  # 市政 (nh-sz)
    assert act(stack, number, "sign", "dept_sz").json()["status"] == "handling"
    handled = act(stack, number, "handled", "dept_sz", result="已补装井盖", photo_url="https://example.invalid/p.jpg")
    assert handled.status_code == 200 and handled.json()["status"] == "handled"
    assert act(stack, number, "verify", "agent", passed=True, reason="现场核查").json()["status"] == "verified"
    assert act(stack, number, "close", "agent").json()["status"] == "closed"
    done = act(stack, number, "follow_up", "agent", satisfied=True, reason="电话回访").json()
    assert done["status"] == "followed_up"
    actions = [h["action"] for h in done["history"]]
    assert actions == ["created", "dispatched", "signed", "handled", "verified", "closed", "followed_up"]
    assert all(h["actor"] for h in done["history"])
    with stack.services.sessions() as session:
        row = session.query(WorkOrder).filter_by(number=number).one()
        assert row.signed_at and row.handled_at and row.verified_at and row.closed_at and row.followed_up_at
        assert row.satisfied is True and row.result_note == "已补装井盖" and row.rework_count == 0


def test_failed_verification_and_unhappy_citizen_mean_rework(stack: Stack) -> None:
    number = dispatched(stack)
    act(stack, number, "handled", "dept_sz", result="已处理")
    rework = act(stack, number, "verify", "agent", passed=False, reason="井盖仍未安装")
    assert rework.json()["status"] == "handling"
    assert rework.json()["history"][-1]["action"] == "rework"
    act(stack, number, "handled", "dept_sz", result="已安装新井盖")
    act(stack, number, "verify", "agent", passed=True)
    act(stack, number, "close", "agent")
    unhappy = act(stack, number, "follow_up", "agent", satisfied=False, reason="市民说又松了").json()
    assert unhappy["status"] == "handling"
    with stack.services.sessions() as session:
        row = session.query(WorkOrder).filter_by(number=number).one()
        assert row.rework_count == 2 and row.satisfied is False and row.closed_at is None
    # the department is told about each 返工 through its webhook
    stack.drain(stack.dispatcher())
    assert stack.departments.duplicates == 0


def test_department_returns_and_the_centre_reassigns(stack: Stack) -> None:
    number = dispatched(stack, STALLS)  # 城管 in 桂城 → gc-cgzd
    assert act(stack, number, "return", "dept_cg").status_code == 422  # a reason is required
    returned = act(stack, number, "return", "dept_cg", reason="属于园林绿化范围").json()
    assert returned["status"] == "returned" and returned["needs_review"]
    assert act(stack, number, "sign", "dept_cg").status_code == 409  # not theirs any more
    moved = act(stack, number, "reassign", "agent", department_id="nh-yl", reason="改派园林").json()
    assert moved["status"] == "registered" and moved["department"]["id"] == "nh-yl"
    stack.drain(stack.dispatcher())
    got = [o["department"] for o in stack.departments.orders()]
    assert got == ["gc-cgzd", "nh-yl"]
    # the old department no longer sees it; the new one does
    assert stack.client.get(f"/v1/orders/{number}", headers=stack.headers("dept_cg")).status_code == 404


def test_extension_request_and_decision_move_the_deadline(stack: Stack) -> None:
    number = dispatched(stack)
    before = stack.client.get(f"/v1/orders/{number}", headers=stack.headers("agent")).json()["deadline"]
    asked = act(stack, number, "request_extension", "dept_sz", hours=24, reason="需采购井盖")
    assert asked.status_code == 200
    approved = act(stack, number, "decide_extension", "agent", approve=True, reason="同意").json()
    moved = datetime.fromisoformat(approved["deadline"]) - datetime.fromisoformat(before)
    assert moved == timedelta(hours=24)
    again = act(stack, number, "decide_extension", "agent", approve=False)
    assert again.status_code == 422  # nothing pending any more


def test_roles_and_ownership_are_enforced(stack: Stack) -> None:
    number = dispatched(stack)
    assert act(stack, number, "close", "dept_sz").status_code == 403  # departments do not close cases
    assert act(stack, number, "sign", "agent").status_code == 403  # agents do not sign for departments
    assert act(stack, number, "sign", "dept_cg").status_code == 404  # another department's order
    assert act(stack, number, "fly", "agent").status_code == 404
    assert act(stack, number, "close", "agent").status_code == 409  # not yet handled
    listed = stack.client.get("/v1/loop/actions", headers=stack.headers("agent")).json()
    assert {a["name"] for a in listed} >= {"sign", "return", "reassign", "verify", "close", "follow_up"}


def test_signed_department_callbacks_move_the_loop_once(stack: Stack) -> None:
    number = dispatched(stack)
    secret = stack.departments.secret
    body = json.dumps({"number": number, "action": "sign"}).encode()

    def post(body: bytes, secret: str, delivery: str):  # type: ignore[no-untyped-def]
        ts = str(int(time.time()))
        headers = {"X-Hotline-Timestamp": ts, "X-Hotline-Signature": sign(secret, ts, body), "X-Hotline-Delivery": delivery, "Content-Type": "application/json"}
        return stack.client.post("/v1/callbacks/nh-sz", content=body, headers=headers)

    assert post(body, "wrong", "d1").status_code == 401
    first = post(body, secret, "d1")
    assert first.status_code == 200 and first.json()["status"] == "handling"
    assert post(body, secret, "d1").status_code == 200  # a retried callback changes nothing
    history = stack.client.get(f"/v1/orders/{number}", headers=stack.headers("agent")).json()["history"]
    assert [h["action"] for h in history].count("signed") == 1
    done = post(json.dumps({"number": number, "action": "handled", "result": "已修复"}).encode(), secret, "d2")
    assert done.json()["status"] == "handled"
    other = post(json.dumps({"number": number, "action": "sign"}).encode(), secret, "d3")
    assert other.status_code == 409  # handled → signed is not a move the loop allows


def test_deadlines_raise_warning_then_escalation_once(stack: Stack) -> None:
    number = dispatched(stack)
    now = datetime.now(timezone.utc)
    with stack.services.sessions.begin() as session:
        # a ten-hour limit with one hour left: inside the 2-hour warning window
        values = {"created_at": now - timedelta(hours=9), "deadline": now + timedelta(hours=1)}
        session.execute(update(WorkOrder).where(WorkOrder.number == number).values(**values))
    worker = stack.dispatcher()
    assert worker.escalate() == 1  # 预警
    assert worker.escalate() == 0  # only once
    with stack.services.sessions.begin() as session:
        session.execute(update(WorkOrder).where(WorkOrder.number == number).values(deadline=now - timedelta(minutes=1)))
    assert worker.escalate() == 1  # 督办
    history = stack.client.get(f"/v1/orders/{number}", headers=stack.headers("agent")).json()["history"]
    assert [h["action"] for h in history][-2:] == ["warned", "escalated"]
    alerts = [e[1]["type"] for e in stack.services.redis.xrange(keys.NOTIFICATIONS)]
    assert alerts == ["order.deadline_near", "order.overdue"]
    stack.drain(worker)
    notices = [o for o in stack.departments.orders() if "notice" in o["order"]]
    assert [n["order"]["notice"] for n in notices] == ["预警：临近处置时限", "督办：已超期"]


def test_undeliverable_order_is_dead_lettered_to_the_agents(stack: Stack) -> None:
    stack.settings.dispatch_max_attempts = 3
    stack.departments.down = True
    number = stack.client.post("/v1/intake", json={"text": MANHOLE}, headers=stack.headers("agent")).json()["number"]
    stack.drain(stack.dispatcher(), rounds=5)
    order = stack.client.get(f"/v1/orders/{number}", headers=stack.headers("agent")).json()
    assert order["dispatch"]["state"] == "failed" and order["needs_review"]
    assert order["history"][-1]["action"] == "dead_lettered"
    assert stack.services.redis.xlen(keys.DEAD_LETTERS) == 1
    assert [e[1]["type"] for e in stack.services.redis.xrange(keys.NOTIFICATIONS)] == ["dispatch.dead_letter"]
    assert stack.services.redis.xpending(keys.ORDER_EVENTS, keys.DISPATCH_GROUP)["pending"] == 0
    # an agent re-sends it once the department is back
    stack.departments.down = False
    act(stack, number, "reassign", "agent", department_id="gc-jdb", reason="转街道处理")
    stack.drain(stack.dispatcher())
    assert stack.client.get(f"/v1/orders/{number}", headers=stack.headers("agent")).json()["status"] == "dispatched"
