"""``hotline demo``: the whole stack on embedded defaults, fed with the demo city's sample reports.

What runs, all real: the FastAPI service on uvicorn (HTTP on loopback), SQLite, an embedded redis-server, the
dispatcher worker, and a department endpoint on loopback that verifies each signed webhook (standing in for the
departments' own systems, which are outside the product).
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from typing import Any

import httpx
import typer
import uvicorn
import yaml

from hotline.settings import get_settings


DEMO_PASSWORD = "demo12345"
DEMO_USERS: tuple[tuple[str, str, str | None], ...] = (
    ("agent", "agent", None),
    ("supervisor", "supervisor", None),
    ("dept-sz", "department", "nh-sz"),
    ("dept-cg", "department", "gc-cgzd"),
    ("admin", "admin", None),
)
"""Accounts the demo creates for the web pages (demo only: one shared, printed password)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until(predicate: Any, timeout_s: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def run_demo(port: int = 8000, keep_running: bool = False, timeout_s: float = 60.0) -> None:
    from connectors.api.app import build_services, create_app
    from connectors.api.auth import create_key, create_user
    from connectors.cli import _print_orders
    from connectors.dispatch.department_server import DepartmentServer
    from connectors.dispatch.worker import Dispatcher

    # The department endpoint first: the city configuration reads its address and secret from the environment.
    secret = secrets.token_hex(16)
    departments = DepartmentServer(("127.0.0.1", _free_port()), secret).start()
    os.environ["HOTLINE_DEPT_BASE_URL"] = departments.url
    os.environ["HOTLINE_DEPT_SECRET"] = secret

    settings = get_settings()
    typer.echo("准备中：数据库迁移、嵌入式 Redis、分析流水线 …")
    services = build_services(settings)
    citizen_key = create_key(services.sessions, name="demo-web", role="citizen")
    agent_key = create_key(services.sessions, name="demo-agent", role="agent")
    for username, role, department in DEMO_USERS:
        create_user(services.sessions, username=username, password=DEMO_PASSWORD, role=role, department_id=department)

    server = uvicorn.Server(uvicorn.Config(create_app(settings, services), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, name="api", daemon=True).start()
    stop = threading.Event()
    dispatcher = Dispatcher(settings, services.sessions, services.redis, services.city, consumer="demo-dispatcher")
    threading.Thread(target=dispatcher.run, args=(stop, 200), name="dispatcher", daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    if not _wait_until(lambda: server.started, 20):
        raise typer.Exit("API 未能启动 / the API did not start")

    samples = yaml.safe_load(services.city.file("samples").read_text(encoding="utf-8"))["samples"]
    typer.echo(f"服务已启动：{base}/docs ；部门接收端：{departments.url}/received ；提交 {len(samples)} 条示例诉求 …")
    numbers: list[str] = []
    with httpx.Client(base_url=base, headers={"X-API-Key": citizen_key}, timeout=30) as client:
        for i, sample in enumerate(samples):
            body = {"text": sample["text"], "channel": sample.get("channel", "web"), "contact": {"phone": sample.get("phone")}}
            response = client.post("/v1/intake", json=body, headers={"Idempotency-Key": f"demo-{os.getpid()}-{i}"})
            response.raise_for_status()
            numbers.append(response.json()["number"])

    with httpx.Client(base_url=base, headers={"X-API-Key": agent_key}, timeout=30) as client:
        def fetch() -> list[dict[str, Any]]:
            return [client.get(f"/v1/orders/{n}").json() for n in numbers]

        def settled() -> bool:
            return all(o["dispatch"]["state"] in ("delivered", "held") for o in fetch())

        all_settled = _wait_until(settled, timeout_s, 0.3)
        rows = fetch()

    delivered = {r["order"]["number"] for r in departments.orders()}
    _print_orders(rows, delivered)
    held = sum(1 for r in rows if r["needs_review"])
    typer.echo(
        f"共 {len(rows)} 张工单：{len(delivered)} 张已自动派遣并送达部门接收端（签名已校验），{held} 张进入坐席审核队列。"
        + ("" if all_settled else "（部分工单在超时前未送达）")
    )
    if keep_running:
        typer.echo(f"坐席密钥 agent key: {agent_key}\n渠道密钥 citizen key: {citizen_key}")
        users = "、".join(f"{u}（{r}{'·' + d if d else ''}）" for u, r, d in DEMO_USERS)
        typer.echo(f"网页 {base}/ 演示账号：{users}，密码均为 {DEMO_PASSWORD}（仅供演示）\n按 Ctrl-C 结束。")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    stop.set()
    server.should_exit = True
    departments.stop()
    if not all_settled:
        raise typer.Exit(1)
