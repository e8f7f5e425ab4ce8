"""The commands as a user runs them: real processes, real servers, loopback only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from connectors.dispatch.department_server import DepartmentServer
from hotline.settings import REPO_ROOT
from tests.conftest import free_port

HOTLINE = [sys.executable, "-m", "hotline"]
CONTRACT = {"number", "category", "confidence", "location", "department", "urgency", "deadline", "status"}


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(HOTLINE_DATA_DIR=str(tmp_path / "var"), PYTHONPATH=str(REPO_ROOT), **extra)
    return env


def test_intake_json_on_embedded_defaults(tmp_path: Path) -> None:
    """No database or Redis configured: SQLite and the embedded redis-server under HOTLINE_DATA_DIR."""
    run = subprocess.run(
        [*HOTLINE, "intake", "--json", "桂城街道海五路有个井盖丢了，晚上很危险", "--phone", "13800138001"],
        env=env_for(tmp_path), capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
    )
    assert run.returncode == 0, run.stderr
    order = json.loads(run.stdout)
    assert CONTRACT <= order.keys()
    assert {"code", "name", "path"} <= order["category"].keys()
    assert {"raw", "normalized", "district", "street", "adcode", "grid"} <= order["location"].keys()
    assert {"id", "name"} <= order["department"].keys()
    assert order["urgency"] in ("normal", "urgent", "emergency")
    assert order["location"]["street"] == "桂城街道" and order["department"]["id"] == "nh-sz"
    assert (tmp_path / "var" / "hotline.db").exists() and (tmp_path / "var" / "redis.db").exists()
    assert "13800138001" not in run.stderr  # nothing logs the contact in clear


def test_intake_rejects_empty_text(tmp_path: Path) -> None:
    run = subprocess.run([*HOTLINE, "intake", "   "], env=env_for(tmp_path), capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
    assert run.returncode == 2 and "不能为空" in run.stderr


def _wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture
def production_like(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[dict]:
    """`hotline serve` and `hotline worker` as processes on PostgreSQL and Redis, a department endpoint on loopback."""
    departments = DepartmentServer(("127.0.0.1", 0), secret="s3cret-for-test").start()
    port = free_port()
    env = env_for(
        tmp_path,
        HOTLINE_DATABASE_URL=postgres_url,
        HOTLINE_REDIS_URL=redis_url,
        HOTLINE_DEPT_BASE_URL=departments.url,
        HOTLINE_DEPT_SECRET="s3cret-for-test",
        HOTLINE_BOOTSTRAP_ADMIN_KEY="hk_admin_for_tests_only",
    )
    logs = tmp_path / "serve.log"
    server = subprocess.Popen([*HOTLINE, "serve", "--port", str(port)], env=env, cwd=REPO_ROOT, stdout=logs.open("w"), stderr=subprocess.STDOUT)
    procs = {"server": server}
    try:
        _wait_http(f"http://127.0.0.1:{port}/readyz")
        yield {"base": f"http://127.0.0.1:{port}", "env": env, "departments": departments, "procs": procs, "tmp": tmp_path}
    finally:
        for proc in procs.values():
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        departments.stop()


def start_worker(ctx: dict) -> subprocess.Popen:
    log = (ctx["tmp"] / "worker.log").open("a")
    proc = subprocess.Popen([*HOTLINE, "worker", "--name", "w1"], env=ctx["env"], cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    ctx["procs"]["worker"] = proc
    return proc


def wait_for(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_serve_and_worker_processes_deliver_orders_and_survive_a_worker_kill(production_like: dict) -> None:
    ctx = production_like
    headers = {"X-API-Key": "hk_admin_for_tests_only"}
    post = lambda text: httpx.post(f"{ctx['base']}/v1/intake", json={"text": text}, headers=headers, timeout=30)  # noqa: E731
    first = post("桂城街道海五路有个井盖丢了")
    assert first.status_code == 201, first.text
    # Orders wait in the stream while no worker runs …
    time.sleep(0.5)
    assert ctx["departments"].orders() == []
    worker = start_worker(ctx)
    assert wait_for(lambda: len(ctx["departments"].orders()) == 1), (ctx["tmp"] / "worker.log").read_text()
    # … a worker killed outright and started again picks up what came in meanwhile.
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    second = post("千灯湖公园旁边天天有人摆摊占道经营")
    assert second.status_code == 201
    start_worker(ctx)
    assert wait_for(lambda: len(ctx["departments"].orders()) == 2)
    delivered = sorted(o["order"]["number"] for o in ctx["departments"].orders())
    assert delivered == sorted([first.json()["number"], second.json()["number"]])
    status = httpx.get(f"{ctx['base']}/v1/orders/{second.json()['number']}", headers=headers).json()
    assert status["status"] == "dispatched"


def test_demo_command_end_to_end(tmp_path: Path) -> None:
    """The README's first command's main job: everything embedded, orders reach the department endpoint."""
    run = subprocess.run(
        [*HOTLINE, "demo", "--port", str(free_port())],
        env=env_for(tmp_path), capture_output=True, text=True, timeout=240, cwd=REPO_ROOT,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "已自动派遣并送达部门接收端" in run.stdout
    delivered = int(run.stdout.split("共 ")[1].split("：")[1].split(" 张已自动派遣")[0])
    assert delivered >= 3


def test_the_whole_loop_through_the_cli(tmp_path: Path) -> None:
    """On embedded defaults: `hotline intake`, a `hotline worker` delivering to a loopback department, then
    `hotline order act` from 签收 to 回访."""
    departments = DepartmentServer(("127.0.0.1", 0), secret="cli-loop").start()
    env = env_for(tmp_path, HOTLINE_DEPT_BASE_URL=departments.url, HOTLINE_DEPT_SECRET="cli-loop")

    def hotline(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*HOTLINE, *args], env=env, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)

    number = json.loads(hotline("intake", "--json", "桂城街道海五路有个井盖丢了").stdout)["number"]
    worker = subprocess.Popen([*HOTLINE, "worker", "--name", "cli"], env=env, cwd=REPO_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: len(departments.orders()) == 1, 60)
        assert wait_for(lambda: json.loads(hotline("order", "show", number, "--json").stdout)["status"] == "dispatched", 30)
    finally:
        worker.terminate()
        worker.wait(20)
        departments.stop()
    early = hotline("order", "act", number, "close")
    assert early.returncode == 2 and "不能" in early.stderr  # the loop's rules hold on the CLI too
    steps = [
        ("sign", "--as", "department", "--department", "nh-sz"),
        ("handled", "--as", "department", "--department", "nh-sz", "--result", "已补装井盖"),
        ("verify", "--yes", "--reason", "现场核查通过"),
        ("close",),
        ("follow_up", "--yes", "--reason", "电话回访满意"),
    ]
    for action, *options in steps:
        run = hotline("order", "act", number, action, *options)
        assert run.returncode == 0, (action, run.stderr)
    final = json.loads(hotline("order", "show", number, "--json").stdout)
    assert final["status"] == "followed_up"
    assert [h["action"] for h in final["history"]] == [
        "created", "dispatched", "signed", "handled", "verified", "closed", "followed_up"
    ]
