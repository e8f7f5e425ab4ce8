"""Measures on both databases: orders made through the order service, moved through the loop by writing their
closed-loop columns, and every figure checked against a hand count."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from tests.support.stack import MANHOLE, STALLS, VAGUE, Stack
from triage.models import WorkOrder
from triage.orders import IntakeInput

TZ = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def _submit(stack: Stack, text: str) -> str:
    order, _ = stack.services.orders.submit(IntakeInput(text=text, channel="phone"), actor="agent:test")
    return order.number


def _set(stack: Stack, number: str, **values: object) -> None:
    with stack.services.sessions() as session, session.begin():
        session.execute(update(WorkOrder).where(WorkOrder.number == number).values(**values))


@pytest.fixture
def loop(stack: Stack) -> Stack:
    """Six cases and one merged report, in known closed-loop states:

    | order | dept | received (local)  | state                         | closed after | deadline | rework | 回访 |
    | A     | X    | 11-02 09:00       | followed_up                    | 10 h         | 24 h     | 0      | 满意  |
    | B     | X    | 11-02 20:00       | closed                         | 30 h (late)  | 24 h     | 1      | —    |
    | C     | X    | 11-03 10:00       | handling                       | —            | 24 h     | 0      | —    |
    | D     | Y    | 11-04 01:00       | followed_up                    | 4 h (late)   | 2 h      | 0      | 不满意 |
    | E     | Y    | 11-09 10:00       | registered (not delivered)     | —            | —        | 0      | —    |
    | F     | Z    | 11-09 11:00       | received (waits for an agent)  | —            | —        | 0      | —    |
    | G     | X    | merged into A (never counted; A has 2 reporters)                                    |
    """
    numbers = {name: _submit(stack, text) for name, text in (("A", MANHOLE), ("G", "海五路那边井盖不见了，好危险啊。"))}
    numbers.update({name: _submit(stack, text) for name, text in (
        ("B", STALLS), ("C", "狮山大道那边水管爆了，到处是水。"), ("D", "西樵山下面的农家乐晚上唱歌太吵。"),
        ("E", "海八路的路灯一到晚上就不亮。"), ("F", VAGUE))})
    def dept(d: str) -> dict[str, object]:
        return {"department_id": d, "department_name": f"部门{d}", "street": f"街道{d}"}
    def delivered(at: datetime) -> dict[str, object]:
        return {"delivered_at": at + timedelta(minutes=5), "dispatch_state": "delivered"}
    a, b, c, d = local(2, 9), local(2, 20), local(3, 10), local(4, 1)
    _set(stack, numbers["A"], **dept("X"), **delivered(a), created_at=a, status="followed_up", deadline=a + timedelta(hours=24),
         closed_at=a + timedelta(hours=10), followed_up_at=a + timedelta(hours=30), satisfied=True,
         category_code="SJ9001", category_name="井盖缺失或破损", category_domain="城乡建设")
    _set(stack, numbers["B"], **dept("X"), **delivered(b), created_at=b, status="closed", deadline=b + timedelta(hours=24),
         closed_at=b + timedelta(hours=30), rework_count=1, category_code="SJ0507", category_name="占道经营", category_domain="城乡建设")
    _set(stack, numbers["C"], **dept("X"), **delivered(c), created_at=c, status="handling", deadline=c + timedelta(hours=24),
         category_code="SJ0402", category_name="自来水管破裂", category_domain="城乡建设")
    _set(stack, numbers["D"], **dept("Y"), **delivered(d), created_at=d, status="followed_up", deadline=d + timedelta(hours=2),
         closed_at=d + timedelta(hours=4), followed_up_at=d + timedelta(hours=8), satisfied=False,
         category_code="SJ0510", category_name="噪声扰民", category_domain="环境保护")
    _set(stack, numbers["E"], **dept("Y"), created_at=local(9, 10), status="registered", deadline=None, delivered_at=None,
         category_code="BJ0116", category_name="路灯", category_domain="城乡建设")
    _set(stack, numbers["F"], **dept("Z"), created_at=local(9, 11), status="received", deadline=None, delivered_at=None,
         category_code=None, category_name=None, category_domain=None)
    return stack


def test_overall_figures_match_the_hand_count(loop: Stack) -> None:
    r = loop.client.get("/v1/kpi", headers=loop.headers("agent"))
    assert r.status_code == 200, r.text
    [row] = r.json()["rows"]
    assert (row["intakes"], row["reporters"], row["registered"], row["dispatched"], row["closed"]) == (6, 7, 5, 4, 3)
    assert (row["on_time"], row["reworked"], row["answered"], row["satisfied"]) == (1, 1, 2, 1)
    assert row["registration_rate"] == round(5 / 6, 4)
    assert row["dispatch_rate"] == 0.8
    assert row["closure_rate"] == 0.75
    assert row["on_time_rate"] == round(1 / 3, 4)
    assert row["rework_rate"] == round(1 / 3, 4)
    assert row["satisfaction_rate"] == 0.5
    assert row["avg_handling_hours"] == pytest.approx((10 + 30 + 4) / 3, abs=0.01)
    assert row["median_handling_hours"] == pytest.approx(10, abs=0.01)


def test_by_department_and_street(loop: Stack) -> None:
    rows = {r["key"]: r for r in loop.client.get("/v1/kpi", params={"group_by": "department"}, headers=loop.headers("admin")).json()["rows"]}
    assert set(rows) == {"X", "Y", "Z"}
    x, y, z = rows["X"], rows["Y"], rows["Z"]
    assert (x["intakes"], x["registered"], x["dispatched"], x["closed"], x["on_time"], x["reworked"]) == (3, 3, 3, 2, 1, 1)
    assert x["closure_rate"] == round(2 / 3, 4) and x["satisfaction_rate"] == 1.0
    assert x["avg_handling_hours"] == pytest.approx(20) and x["median_handling_hours"] == pytest.approx(20)
    assert x["label"] == "部门X"
    assert (y["intakes"], y["registered"], y["dispatched"], y["closed"], y["on_time"]) == (2, 2, 1, 1, 0)
    assert y["dispatch_rate"] == 0.5 and y["on_time_rate"] == 0.0 and y["satisfaction_rate"] == 0.0
    assert y["median_handling_hours"] == pytest.approx(4)
    assert (z["intakes"], z["registered"], z["registration_rate"], z["dispatch_rate"], z["closure_rate"]) == (1, 0, 0.0, None, None)
    streets = {r["key"]: r["intakes"] for r in loop.client.get("/v1/kpi", params={"group_by": "street"}, headers=loop.headers("agent")).json()["rows"]}
    assert streets == {"街道X": 3, "街道Y": 2, "街道Z": 1}


def test_by_category_and_domain(loop: Stack) -> None:
    cats = {r["key"]: r for r in loop.client.get("/v1/kpi", params={"group_by": "category"}, headers=loop.headers("agent")).json()["rows"]}
    assert cats["SJ9001"]["label"] == "井盖缺失或破损" and cats["SJ9001"]["reporters"] == 2
    assert cats["SJ0510"]["closed"] == 1 and cats[None]["intakes"] == 1
    domains = {r["key"]: r["intakes"] for r in loop.client.get("/v1/kpi", params={"group_by": "domain"}, headers=loop.headers("agent")).json()["rows"]}
    assert domains == {"城乡建设": 4, "环境保护": 1, None: 1}


def test_by_period_in_city_time_and_date_range(loop: Stack) -> None:
    def periods(**params: str) -> dict[str, int]:
        r = loop.client.get("/v1/kpi", params={"group_by": "period", **params}, headers=loop.headers("agent"))
        assert r.status_code == 200, r.text
        return {row["key"]: row["intakes"] for row in r.json()["rows"]}

    # D was received at 01:00 on 11-04 Beijing time (17:00 UTC on 11-03): it counts on the 4th
    assert periods(period="day") == {"2026-11-02": 2, "2026-11-03": 1, "2026-11-04": 1, "2026-11-09": 2}
    assert periods(period="week") == {"2026-11-02": 4, "2026-11-09": 2}
    assert periods(period="month") == {"2026-11-01": 6}
    assert periods(period="day", **{"from": "2026-11-03", "to": "2026-11-09"}) == {"2026-11-03": 1, "2026-11-04": 1}
    bad = loop.client.get("/v1/kpi", params={"from": "yesterday"}, headers=loop.headers("agent"))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_date"


def test_only_staff_see_measures(loop: Stack) -> None:
    assert loop.client.get("/v1/kpi", headers=loop.headers("citizen")).status_code == 403
    assert loop.client.get("/v1/kpi", headers=loop.headers("dept_sz")).status_code == 403
    assert loop.client.get("/v1/kpi").status_code == 401


def test_cli_prints_the_same_figures(loop: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    from hotline.cli import app
    from hotline.settings import get_settings

    monkeypatch.setenv("HOTLINE_DATABASE_URL", loop.settings.resolved_database_url())
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(loop.settings.data_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["kpi", "--group-by", "department", "--from", "2026-11-01", "--to", "2026-12-01", "--json"])
        assert result.exit_code == 0, result.output
        import json

        rows = {r["key"]: r for r in json.loads(result.output)["rows"]}
        assert rows["X"]["closed"] == 2 and rows["Y"]["dispatch_rate"] == 0.5
        table = CliRunner().invoke(app, ["kpi", "--group-by", "none"])
        assert table.exit_code == 0, table.output
        assert "立案率" in table.output and "83.3%" in table.output
    finally:
        get_settings.cache_clear()
