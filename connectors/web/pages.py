"""The pages: sign-in, the agent console and review queue, order search and detail, the department inbox, the
supervisor dashboard, and the citizens' pages (report, progress, chat).

Pages read through the same services as the ``/v1`` API (``OrderService``, ``triage.kpi``), with the same visibility
rules (a department sees only its own orders). Changes are made by the page scripts calling the ``/v1`` API with the
session cookie, or, for citizens, by server-side form posts through ``citizen``.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.templating import Jinja2Templates

from connectors.api.auth import authenticate_user
from connectors.web import WEB_DIR, citizen
from connectors.web.heat import counts_by, heat_cells, legend, load_grid_map
from connectors.web.session import (
    READ_ALL_ROLES,
    ROLE_LABELS,
    STAFF_ROLES,
    RoleForbidden,
    SignInRequired,
    current_user,
    home_for,
    require,
    sign_in,
    sign_out,
)
from connectors.web.views import Clock, template_globals
from triage import kpi
from triage.lifecycle import Status
from triage.loop import LOOP_ACTIONS
from triage.models import WorkOrder
from triage.orders import OrderFilter, OrderNotFound

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
templates.env.globals.update(template_globals())
templates.env.globals["ROLE_LABELS"] = ROLE_LABELS

PAGE_SIZE = 30
ORDER_NUMBER = re.compile(r"^[A-Z]{1,4}\d{8}-\d{6}$")


def services(request: Request) -> Any:
    return request.app.state.services


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A template with the signed-in user, the city and a clock in its context."""
    svc = services(request)
    user = current_user(request)
    context.setdefault("title", "")
    return templates.TemplateResponse(
        request, name, {"user": user, "city": svc.city, "clock": Clock(svc.city.timezone), **context}, status_code=status_code
    )


def install_handlers(app: Any) -> None:
    """Sign-in redirects and the Chinese 403 page."""

    async def to_sign_in(request: Request, _exc: Exception) -> Response:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    async def forbidden(request: Request, _exc: Exception) -> Response:
        return render(request, "message.html", 403, title="无权访问",
                      message="您当前的角色无权打开此页面。", link=home_for(current_user(request)))

    app.add_exception_handler(SignInRequired, to_sign_in)
    app.add_exception_handler(RoleForbidden, forbidden)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no ``//host``)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


# -- sign-in ----------------------------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    user = current_user(request)
    if user is not None:
        return RedirectResponse(home_for(user), status_code=303)
    return render(request, "home.html", title="12345 市民服务热线")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002 — the usual query name
    return render(request, "login.html", title="工作人员登录", next=_safe_next(next) or "")


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, username: str = Form("", max_length=64), password: str = Form("", max_length=256),
    next: str = Form("", max_length=500),  # noqa: A002
) -> Response:
    principal = None
    if username.strip() and password:
        principal = await run_in_threadpool(authenticate_user, services(request).sessions, username.strip(), password)
    if principal is None:
        return render(request, "login.html", 401, title="工作人员登录", next=_safe_next(next) or "",
                      error="用户名或密码不正确，或账号已停用。", username=username)
    sign_in(request, principal)
    return RedirectResponse(_safe_next(next) or home_for(principal), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    sign_out(request)
    return RedirectResponse("/login?signed_out=1", status_code=303)


# -- agent ------------------------------------------------------------------------------------------------------------


def _category_leaves(request: Request) -> list[Any]:
    return sorted(services(request).extras["taxonomy"](), key=lambda leaf: leaf.code)


@router.get("/agent", response_class=HTMLResponse)
def agent_console(request: Request) -> Response:
    require(request, *STAFF_ROLES)
    return render(request, "agent_console.html", title="来电受理", leaves=_category_leaves(request),
                  departments=services(request).city.departments)


@router.get("/agent/review", response_class=HTMLResponse)
def review_queue(request: Request, page: int = 1) -> Response:
    require(request, *STAFF_ROLES)
    page = max(1, min(page, 10_000))
    orders, total = services(request).orders.list(OrderFilter(needs_review=True), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(request, "review.html", title="审核队列", orders=orders, total=total, page=page, page_size=PAGE_SIZE,
                  leaves=_category_leaves(request), departments=services(request).city.departments)


def _search_filter(params: dict[str, str]) -> OrderFilter:
    """The order filter from the search form (unknown or empty values are ignored)."""
    status = params.get("status") or None
    return OrderFilter(
        status=status if status in {s.value for s in Status} else None,
        department_id=params.get("department_id") or None,
        street=params.get("street") or None,
        urgency=params.get("urgency") if params.get("urgency") in ("normal", "urgent", "emergency") else None,
        needs_review=True if params.get("needs_review") == "1" else None,
        overdue=True if params.get("overdue") == "1" else None,
        contact_phone=re.sub(r"[^0-9+]", "", params.get("phone", "")) or None,
    )


@router.get("/orders", response_class=HTMLResponse)
def order_search(request: Request) -> Response:
    user = require(request, *READ_ALL_ROLES)
    params = {k: v.strip()[:64] for k, v in request.query_params.items()}
    number = params.get("q", "").upper()
    if ORDER_NUMBER.match(number):
        return RedirectResponse(f"/orders/{number}", status_code=303)
    try:
        page = max(1, min(int(params.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    filters = _search_filter(params)
    orders, total = services(request).orders.list(filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(request, "orders.html", title="工单查询", orders=orders, total=total, page=page, page_size=PAGE_SIZE,
                  params=params, departments=services(request).city.departments, can_act=user.role in STAFF_ROLES,
                  not_number=bool(params.get("q")) and not ORDER_NUMBER.match(number))


def _actions_for(user: Any, order: WorkOrder) -> list[Any]:
    """The closed-loop actions this user may take on this order now."""
    try:
        status = Status(order.status)
    except ValueError:
        return []
    return [a for a in LOOP_ACTIONS.values() if user.role in a.roles and status in a.allowed_from]


@router.get("/orders/{number}", response_class=HTMLResponse)
def order_detail(number: str, request: Request) -> Response:
    user = require(request, *READ_ALL_ROLES, "department")
    svc = services(request)
    try:
        order = svc.orders.get(number[:32], department_id=user.department_id if user.role == "department" else None)
    except OrderNotFound:
        return render(request, "message.html", 404, title="未找到工单", message=f"未找到工单 {number[:32]}。",
                      link=home_for(user))
    photos = [h.changes["photo_url"][1] for h in order.history
              if isinstance(h.changes, dict) and isinstance(h.changes.get("photo_url"), list) and h.changes["photo_url"][1]]
    return render(request, "order_detail.html", title=f"工单 {order.number}", order=order,
                  actions=[a.name for a in _actions_for(user, order)], can_correct=user.role in STAFF_ROLES,
                  leaves=_category_leaves(request) if user.role in STAFF_ROLES else [],
                  departments=svc.city.departments, photos=photos, analysis=order.analysis or {})


# -- department -------------------------------------------------------------------------------------------------------

INBOX_VIEWS: dict[str, tuple[str, OrderFilter]] = {
    "open": ("待办", OrderFilter()),
    "overdue": ("已超时", OrderFilter(overdue=True)),
    "all": ("全部", OrderFilter()),
}
INBOX_OPEN = (Status.DISPATCHED, Status.HANDLING)


@router.get("/dept", response_class=HTMLResponse)
def department_inbox(request: Request, view: str = "open") -> Response:
    user = require(request, "department")
    svc = services(request)
    view = view if view in INBOX_VIEWS else "open"
    label, base = INBOX_VIEWS[view]
    filters = OrderFilter(**{**base.__dict__, "department_id": user.department_id})
    orders, total = svc.orders.list(filters, limit=200)
    if view == "open":
        orders = [o for o in orders if Status(o.status) in INBOX_OPEN]
        total = len(orders)
    clock = Clock(svc.city.timezone)
    orders.sort(key=lambda o: (not clock.overdue(o), o.deadline or datetime.max.replace(tzinfo=timezone.utc)))
    try:
        department = svc.city.department(user.department_id or "")
    except KeyError:
        department = None
    return render(request, "dept_inbox.html", title="部门工单", orders=orders, total=total, view=view, views=INBOX_VIEWS,
                  view_label=label, department=department)


# -- supervisor -------------------------------------------------------------------------------------------------------

TREND_DAYS = 14


def _kpi(svc: Any, group_by: str, start: datetime | None) -> list[dict[str, Any]]:
    from zoneinfo import ZoneInfo

    with svc.sessions() as session:
        rows = kpi.compute(session, group_by=group_by, period="day", start=start, end=None, tz=ZoneInfo(svc.city.timezone))
    return [r.as_dict() for r in rows]


def _trend_bars(rows: list[dict[str, Any]], start: datetime, tz_name: str) -> list[dict[str, Any]]:
    """One bar per day of the trend window (days without orders show as zero)."""
    from zoneinfo import ZoneInfo

    by_day = {r["key"]: r for r in rows}
    local_start = start.astimezone(ZoneInfo(tz_name)).date()
    days = [(local_start + timedelta(days=i)).isoformat() for i in range(TREND_DAYS)]
    peak = max((by_day.get(d, {}).get("intakes", 0) for d in days), default=0) or 1
    return [{"day": d[5:], "intakes": by_day.get(d, {}).get("intakes", 0), "closed": by_day.get(d, {}).get("closed", 0),
             "closure_rate": by_day.get(d, {}).get("closure_rate"),
             "height": round(100 * by_day.get(d, {}).get("intakes", 0) / peak)} for d in days]


@router.get("/supervisor", response_class=HTMLResponse)
def supervisor_dashboard(request: Request, days: int = 30) -> Response:
    require(request, *READ_ALL_ROLES)
    svc = services(request)
    from zoneinfo import ZoneInfo

    days = days if days in (1, 7, 30, 90, 365) else 30
    tz = ZoneInfo(svc.city.timezone)
    today = datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days - 1)
    trend_start = today - timedelta(days=TREND_DAYS - 1)
    overall = (_kpi(svc, "none", start) or [{}])[0]
    breakdowns = {name: _kpi(svc, name, start) for name in ("category", "department", "street")}
    trend = _trend_bars(_kpi(svc, "period", trend_start), trend_start, svc.city.timezone)
    overdue, overdue_total = svc.orders.list(OrderFilter(overdue=True), limit=50)
    grid_map, cells, grid_legend = None, [], []
    grids_file = svc.city.file("grids")
    with svc.sessions() as session:
        grid_counts = counts_by(session, WorkOrder.grid, start)
        community_counts = counts_by(session, WorkOrder.community, start)
    if grids_file is not None:
        grid_map = load_grid_map(grids_file)
        if grid_map is not None:
            cells, grid_legend = heat_cells(grid_map, grid_counts), legend(grid_counts)
    return render(request, "supervisor.html", title="督办看板", overall=overall, labels=kpi.MEASURE_LABELS,
                  breakdowns=breakdowns, trend=trend, overdue=overdue, overdue_total=overdue_total, days=days,
                  grid_map=grid_map, cells=cells, grid_legend=grid_legend,
                  communities=sorted(community_counts.items(), key=lambda kv: -kv[1])[:15],
                  unplaced_grids=sum(n for g, n in grid_counts.items() if grid_map and g not in {c.id for c in grid_map.cells}))


# -- citizens ---------------------------------------------------------------------------------------------------------


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request) -> Response:
    return render(request, "citizen_report.html", title="我要反映", form={}, token=secrets.token_urlsafe(16))


@router.post("/report", response_class=HTMLResponse)
async def report_submit(request: Request) -> Response:
    form = {k: (v if isinstance(v, str) else "") for k, v in (await request.form()).items()}
    result = await run_in_threadpool(citizen.file_report, services(request), form)
    if result.errors:
        return render(request, "citizen_report.html", 422, title="我要反映", form=form, errors=result.errors,
                      token=form.get("token") or secrets.token_urlsafe(16))
    return render(request, "citizen_filed.html", title="提交成功", order=result.order, merged_into=result.merged_into)


@router.get("/progress", response_class=HTMLResponse)
def progress_form(request: Request) -> Response:
    return render(request, "citizen_progress.html", title="办理进度查询", form={})


@router.post("/progress", response_class=HTMLResponse)
async def progress_lookup(request: Request) -> Response:
    form = {k: (v if isinstance(v, str) else "") for k, v in (await request.form()).items()}
    result = await run_in_threadpool(citizen.look_up, services(request), form)
    status = 200 if result.order is not None else (422 if result.errors else 404)
    return render(request, "citizen_progress.html", status, title="办理进度查询", form=form, errors=result.errors,
                  order=result.order, notice=result.notice, not_found=result.order is None and not result.errors)


@router.get("/chat", response_class=HTMLResponse)
def chat_page(request: Request) -> Response:
    return render(request, "citizen_chat.html", title="在线咨询", sender=f"web-{secrets.token_hex(8)}")
