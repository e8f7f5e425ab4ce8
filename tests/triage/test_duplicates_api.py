"""Duplicates through ``POST /v1/intake`` on both databases: many callers, one case."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from tests.support.stack import MANHOLE, Stack
from triage.lifecycle import Action
from triage.models import OrderHistory, WorkOrder

BURST_PIPE = [
    "南海大道和桂澜路交界处水管爆了，水喷得很高。",
    "桂澜路南海大道路口那里自来水管破裂了，路面全是水，快来人修。",
    "桂澜路和南海大道交界的地方水管爆裂，一直在喷水。",
]
ELSEWHERE = "狮山大道那边水管爆了，到处是水。"


def report(stack: Stack, text: str) -> dict:
    r = stack.client.post("/v1/intake", json={"text": text, "channel": "phone"}, headers=stack.headers("agent"))
    assert r.status_code == 201, r.text
    return r.json()


def order_row(stack: Stack, number: str) -> WorkOrder:
    with stack.services.sessions() as session:
        return session.execute(select(WorkOrder).where(WorkOrder.number == number)).scalar_one()


def test_three_reports_of_one_burst_pipe_make_one_dispatched_order(stack: Stack) -> None:
    first, second, third = (report(stack, text) for text in BURST_PIPE)
    assert first["status"] == "registered" and first["dispatch"]["state"] == "queued"
    for later in (second, third):
        assert later["status"] == "merged" and later["duplicate_of"] == first["number"]
        assert later["dispatch"]["state"] == "merged"
    parent = stack.client.get(f"/v1/orders/{first['number']}", headers=stack.headers("agent")).json()
    assert parent["reporter_count"] == 3
    added = [h for h in parent["history"] if h["action"] == Action.REPORTER_ADDED]
    assert [h["changes"]["report"][1] for h in added] == [second["number"], third["number"]]
    merged_history = stack.client.get(f"/v1/orders/{second['number']}", headers=stack.headers("agent")).json()["history"]
    assert first["number"] in merged_history[0]["reason"] and "合并" in merged_history[0]["reason"]
    # only the first report is queued for the department
    entries = stack.services.redis.xrange("hotline:orders:events")
    assert [e[1]["number"] for e in entries] == [first["number"]]
    stack.drain(stack.dispatcher())
    assert [d["order"]["number"] for d in stack.departments.orders()] == [first["number"]]


def test_another_place_or_another_problem_makes_a_new_order(stack: Stack) -> None:
    first = report(stack, BURST_PIPE[0])
    elsewhere = report(stack, ELSEWHERE)
    other_problem = report(stack, "南海大道和桂澜路路口的红绿灯坏了，一直闪黄灯。")
    assert elsewhere["status"] != "merged" and elsewhere["duplicate_of"] is None
    assert other_problem["status"] != "merged" and other_problem["duplicate_of"] is None
    assert order_row(stack, first["number"]).reporter_count == 1


def test_an_old_case_is_not_merged_into(stack: Stack) -> None:
    first = report(stack, MANHOLE)
    with stack.services.sessions() as session, session.begin():
        old = order_row(stack, first["number"]).created_at - timedelta(hours=100)
        session.execute(update(WorkOrder).where(WorkOrder.number == first["number"]).values(created_at=old))
    again = report(stack, "海五路那边井盖不见了，好危险啊，赶紧派人来看看。")
    assert again["status"] != "merged" and again["duplicate_of"] is None


def test_a_closed_case_is_not_merged_into_but_an_open_one_is(stack: Stack) -> None:
    first = report(stack, MANHOLE)
    with stack.services.sessions() as session, session.begin():
        session.execute(update(WorkOrder).where(WorkOrder.number == first["number"]).values(status="closed"))
    second = report(stack, "海五路那边井盖不见了，好危险啊，赶紧派人来看看。")
    assert second["status"] != "merged"
    third = report(stack, "我在海五路看到一个井盖被偷了，只剩个洞。")
    assert third["status"] == "merged" and third["duplicate_of"] == second["number"]  # the open one, not the closed
    with stack.services.sessions() as session:
        rows = session.execute(select(OrderHistory.action).join(WorkOrder).where(WorkOrder.number == second["number"]))
        assert [a for (a,) in rows] == [Action.CREATED, Action.REPORTER_ADDED]
