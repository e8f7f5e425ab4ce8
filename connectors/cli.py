"""Server-side commands: ``serve``, ``worker``, ``demo``, ``intake``, ``keys``, ``db``, ``department-server``."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from typing import Annotated, Any

import typer

from hotline.settings import get_settings

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
users_app = typer.Typer(help="People who sign in to the web pages.", no_args_is_help=True)
order_app = typer.Typer(help="Read an order and move it through the closed loop.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)


def _logging(level: str = "INFO") -> None:
    from triage.privacy import install_log_masking

    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_masking()


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """Run the HTTP API (FastAPI on uvicorn)."""
    import uvicorn

    from connectors.redis_conn import redis_url
    from triage import db

    _logging()
    settings = get_settings()
    if settings.auto_migrate:
        db.upgrade(settings.resolved_database_url())  # once here, not in every worker process
    os.environ["HOTLINE_AUTO_MIGRATE"] = "false"
    if not settings.redis_url:  # worker processes must share this process's embedded Redis
        os.environ["HOTLINE_REDIS_URL"] = redis_url(settings)
    uvicorn.run("connectors.api.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


def worker(name: Annotated[str | None, typer.Option(help="consumer name (stable across restarts)")] = None) -> None:
    """Run the dispatcher: deliver queued orders to their departments' webhooks."""
    from connectors import redis_conn
    from connectors.dispatch.worker import Dispatcher
    from hotline.city import cached_city
    from triage import db

    _logging()
    settings = get_settings()
    url = settings.resolved_database_url()
    if settings.auto_migrate:
        db.upgrade(url)
    sessions = db.make_sessionmaker(db.make_engine(url, pool_size=2))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    dispatcher = Dispatcher(settings, sessions, redis_conn.connect(settings), cached_city(settings.city_dir.resolve()), consumer=name)
    dispatcher.run(stop)


def department_server(
    port: int = 8765, secret: Annotated[str, typer.Option(envvar="HOTLINE_DEPT_SECRET")] = "demo-secret-change-me"
) -> None:
    """Run the demo department endpoint (a stand-in for departments' own systems) on loopback."""
    from connectors.dispatch.department_server import DepartmentServer

    server = DepartmentServer(("127.0.0.1", port), secret)
    typer.echo(f"department endpoint listening on {server.url}/hooks/<department-id>; received orders at {server.url}/received")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


def intake(
    text: str,
    as_json: Annotated[bool, typer.Option("--json", help="print the order as JSON")] = False,
    channel: str = "phone",
    phone: str | None = None,
    location: str | None = None,
) -> None:
    """File one report as a work order (analysed, stored and queued) and print it."""
    from connectors.api.app import build_services
    from connectors.api.schemas import OrderView
    from triage.orders import IntakeInput

    if not text.strip():
        typer.echo("错误：诉求内容不能为空 / error: text is empty", err=True)
        raise typer.Exit(2)
    svc = build_services(get_settings())
    if len(text) > svc.settings.max_text_chars:
        typer.echo(f"错误：诉求内容过长（上限 {svc.settings.max_text_chars} 字）/ text too long", err=True)
        raise typer.Exit(2)
    order, _ = svc.orders.submit(IntakeInput(text=text, channel=channel, contact_phone=phone, location=location), actor="cli")
    view = OrderView.from_order(order, "full").model_dump(mode="json")
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
    else:
        _print_orders([view])


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="citizen | agent | department | admin")],
    name: Annotated[str, typer.Option(help="who or what uses the key")],
    department: Annotated[str | None, typer.Option(help="department id (role department)")] = None,
) -> None:
    """Create an API key and print it (shown once)."""
    from connectors.api.auth import create_key
    from triage import db

    settings = get_settings()
    url = settings.resolved_database_url()
    db.upgrade(url)
    try:
        key = create_key(db.make_sessionmaker(db.make_engine(url)), name=name, role=role, department_id=department)
    except ValueError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(key)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="sign-in name")],
    role: Annotated[str, typer.Option(help="agent | supervisor | department | admin")],
    department: Annotated[str | None, typer.Option(help="department id (role department)")] = None,
    display_name: Annotated[str | None, typer.Option(help="name shown on the pages")] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar="HOTLINE_NEW_USER_PASSWORD")] = "",
) -> None:
    """Create a web user, or set a new password for an existing one."""
    from connectors.api.auth import create_user
    from triage import db

    settings = get_settings()
    url = settings.resolved_database_url()
    db.upgrade(url)
    try:
        create_user(db.make_sessionmaker(db.make_engine(url)), username=username, password=password, role=role,
                    display_name=display_name, department_id=department)
    except ValueError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"用户 {username}（{role}）已保存")


@order_app.command("show")
def order_show(number: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print one order with its history."""
    from connectors.api.app import build_services
    from connectors.api.schemas import OrderView
    from triage.orders import OrderNotFound

    svc = build_services(get_settings())
    try:
        view = OrderView.from_order(svc.orders.get(number), "full").model_dump(mode="json")
    except OrderNotFound:
        typer.echo(f"错误：未找到工单 {number}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    _print_orders([view])
    for h in view["history"]:
        typer.echo(f"{_local_time(h['at'])}  {h['actor']:<24} {h['action']:<20} {h['reason']}")


@order_app.command("act")
def order_act(
    number: str,
    action: Annotated[str, typer.Argument(help="sign | return | request_extension | handled | reassign | "
                                               "decide_extension | verify | close | follow_up")],
    role: Annotated[str, typer.Option("--as", help="agent | department | admin")] = "agent",
    actor: Annotated[str, typer.Option(help="who, for the history")] = "cli",
    department: Annotated[str | None, typer.Option(help="department: the acting department; reassign: the new one")] = None,
    reason: str = "",
    hours: float | None = None,
    result: str | None = None,
    yes: Annotated[bool | None, typer.Option("--yes/--no", help="approve / passed / satisfied")] = None,
) -> None:
    """Take a closed-loop action on an order, with the same rules as the API."""
    from connectors.api.app import build_services
    from triage.lifecycle import TransitionError
    from triage.loop import ActionNotAllowed, LoopRequest, LoopService, MissingFields
    from triage.orders import OrderNotFound

    svc = build_services(get_settings())
    request = LoopRequest(
        reason=reason, hours=hours, result=result, approve=yes, passed=yes, satisfied=yes,
        department_id=department if action == "reassign" else None,
    )
    acting_department = department if role == "department" else None
    try:
        order = LoopService(svc.orders, svc.city).perform(
            number, action, request, role=role, actor=f"{role}:{actor}", department_id=acting_department
        )
    except (OrderNotFound, KeyError):
        typer.echo(f"错误：未找到工单 {number} 或操作 {action}", err=True)
        raise typer.Exit(2) from None
    except (ActionNotAllowed, MissingFields, TransitionError) as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{order.number}：{action} → {order.status}")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations (Alembic) to HOTLINE_DATABASE_URL."""
    from triage import db

    settings = get_settings()
    db.upgrade(settings.resolved_database_url(), revision)
    typer.echo(f"database at {revision}")


def _local_time(iso: str | None) -> str:
    """An ISO 8601 instant shown in the city's time zone, to the minute."""
    if not iso:
        return "—"
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from hotline.city import cached_city

    tz = ZoneInfo(cached_city(get_settings().city_dir.resolve()).timezone)
    return datetime.fromisoformat(iso).astimezone(tz).strftime("%m-%d %H:%M")


def _print_orders(rows: list[dict[str, Any]], delivered: set[str] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="工单 / work orders", show_lines=False)
    table.add_column("工单号", no_wrap=True)
    for column in ("诉求", "分类", "地点", "网格", "紧急", "责任部门", "时限", "状态", "已送达"):
        table.add_column(column, overflow="fold")
    for row in rows:
        loc = row["location"]
        table.add_row(
            row["number"],
            row["text"][:22] + ("…" if len(row["text"]) > 22 else ""),
            row["category"]["name"] or "—",
            (loc["street"] or "") + ((" " + loc["raw"]) if loc["raw"] else "") or "—",
            loc["grid"] or "—",
            {"normal": "一般", "urgent": "紧急", "emergency": "特急"}[row["urgency"]],
            row["department"]["name"] or "—",
            _local_time(row["deadline"]),
            row["status_label"] + ("（待审核）" if row["needs_review"] else ""),
            "—" if delivered is None else ("是" if row["number"] in delivered else "否"),
        )
    Console(width=max(160, Console().width)).print(table)


def demo(
    port: int = 8000,
    keep_running: Annotated[bool, typer.Option(help="keep the service up after the demo")] = False,
    timeout_s: float = 60.0,
) -> None:
    """Bring up the whole stack on embedded defaults, feed the demo city's sample cases through the HTTP API and show
    where each order went (a loopback department endpoint receives the dispatched orders)."""
    from connectors.demo import run_demo

    _logging("WARNING")
    run_demo(port=port, keep_running=keep_running, timeout_s=timeout_s)


def register(app: typer.Typer, predict_app: typer.Typer, eval_app: typer.Typer, models_app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(worker)
    app.command()(demo)
    app.command()(intake)
    app.command("department-server")(department_server)
    app.add_typer(keys_app, name="keys")
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.add_typer(order_app, name="order")
