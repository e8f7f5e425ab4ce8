"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2/) so existing 311 clients and apps file and follow cases.

Endpoints (JSON; XML is not offered — a ``.xml`` URL gets a 400 in the spec's error shape):

- ``GET  /open311/v2/services.json`` — the taxonomy's leaves as services (public, as in the spec);
- ``GET  /open311/v2/services/{service_code}.json`` — a service definition (no extra attributes);
- ``POST /open311/v2/requests.json`` — form-encoded; ``api_key`` in the form (or query); creates a work order;
- ``GET  /open311/v2/requests.json`` and ``/requests/{id}.json`` — need an ``api_key`` too (a deployment choice: the
  descriptions are citizens' words; phone numbers in them are masked and no contact details are ever shown).

Keys of role citizen, agent or admin are accepted. Errors are ``[{"code": <http status>, "description": "…"}]``.
Mounted without the API's role dependency: it authenticates itself (``api_key`` per the spec, or ``X-API-Key``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from connectors.api.auth import Principal
from connectors.api.deps import AppServices
from triage.lifecycle import Status
from triage.models import WorkOrder
from triage.orders import IdempotencyConflict, IntakeInput, OrderNotFound
from triage.privacy import mask_text

router = APIRouter(prefix="/open311/v2", tags=["open311"])

ROLES = ("citizen", "agent", "admin")
CLOSED_STATUSES = frozenset({Status.CLOSED.value, Status.FOLLOWED_UP.value})
DEFAULT_DAYS = 90
MAX_RESULTS = 1000
_ID_LIST = re.compile(r"^[\w\-]+(,[\w\-]+)*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Open311Error(Exception):
    """An error answered in the spec's shape."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


def _error(status: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": description}], status_code=status)


def _check_format(fmt: str) -> None:
    if fmt != "json":
        raise Open311Error(400, f"不支持的格式“{fmt}”，仅支持 json（format not supported; use .json）")


def _services(request: Request) -> AppServices:
    return request.app.state.services


def _authenticate(request: Request, form: dict[str, str] | None = None) -> Principal:
    key = (form or {}).get("api_key") or request.query_params.get("api_key") or request.headers.get("x-api-key")
    if not key:
        raise Open311Error(403, "缺少 api_key（api_key required）")
    principal = _services(request).keys.resolve(key)
    if principal is None:
        raise Open311Error(403, "api_key 无效或已停用（invalid api_key）")
    if principal.role not in ROLES:
        raise Open311Error(403, "该 api_key 的角色无权使用 Open311 接口（role not allowed）")
    return principal


def _check_jurisdiction(svc: AppServices, jurisdiction_id: str | None) -> None:
    if jurisdiction_id and jurisdiction_id not in (svc.city.jurisdiction.adcode, svc.city.name):
        raise Open311Error(404, f"未知的 jurisdiction_id：{jurisdiction_id}")


# -- services ---------------------------------------------------------------------------------------------------------


def _service(leaf: Any) -> dict[str, Any]:
    return {
        "service_code": leaf.code,
        "service_name": leaf.name,
        "description": "／".join(leaf.path),
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(leaf.cues[:8]),
        "group": leaf.domain,
    }


@router.get("/services.{fmt}", summary="Service list (the taxonomy's leaves)")
def list_services(request: Request, fmt: str, jurisdiction_id: str | None = None) -> Any:
    try:
        _check_format(fmt)
        svc = _services(request)
        _check_jurisdiction(svc, jurisdiction_id)
        return [_service(leaf) for leaf in svc.extras["taxonomy"]()]
    except Open311Error as exc:
        return _error(exc.status, exc.description)


@router.get("/services/{service_code}.{fmt}", summary="Service definition")
def service_definition(request: Request, service_code: str, fmt: str, jurisdiction_id: str | None = None) -> Any:
    try:
        _check_format(fmt)
        svc = _services(request)
        _check_jurisdiction(svc, jurisdiction_id)
        if svc.extras["taxonomy"]().get(service_code) is None:
            raise Open311Error(404, f"未知的 service_code：{service_code}")
        return {"service_code": service_code, "attributes": []}
    except Open311Error as exc:
        return _error(exc.status, exc.description)


# -- requests ---------------------------------------------------------------------------------------------------------


def open311_status(order: WorkOrder) -> str:
    """open/closed from our statuses; a merged report follows the case it was merged into."""
    if order.status == Status.MERGED.value and order.duplicate_of is not None:
        order = order.duplicate_of
    return "closed" if order.status in CLOSED_STATUSES else "open"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def request_view(order: WorkOrder) -> dict[str, Any]:
    """One service request as the spec shows it (never any contact detail)."""
    open311 = (order.analysis or {}).get("notes", {}).get("open311", {}) if order.analysis else {}
    notice = None
    if order.status == Status.MERGED.value and order.duplicate_of is not None:
        notice = f"已与工单 {order.duplicate_of.number} 合并处理（同一问题多人反映）"
    return {
        "service_request_id": order.number,
        "status": open311_status(order),
        "status_notes": order.result_note,
        "service_name": order.category_name,
        "service_code": order.category_code,
        "description": mask_text(order.text),
        "agency_responsible": order.department_name,
        "service_notice": notice,
        "requested_datetime": _iso(order.created_at),
        "updated_datetime": _iso(order.updated_at),
        "expected_datetime": _iso(order.deadline),
        "address": order.location_normalized or open311.get("address_string"),
        "address_id": None,
        "zipcode": None,
        "lat": order.lat if order.lat is not None else open311.get("lat"),
        "long": order.lon if order.lon is not None else open311.get("long"),
        "media_url": open311.get("media_url"),
    }


def _float(form: dict[str, str], name: str, low: float, high: float) -> float | None:
    raw = form.get(name)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)  # type: ignore[arg-type]
    except ValueError as exc:
        raise Open311Error(400, f"{name} 不是数字（{name} must be a number）") from exc
    if not low <= value <= high:
        raise Open311Error(400, f"{name} 超出范围（{name} out of range）")
    return value


@lru_cache(maxsize=4)
def _grid_index(path: Path) -> Any:
    from nlu.location.grids import load_grid_index

    return load_grid_index(path)


def _place_hint(svc: AppServices, lon: float, lat: float) -> str | None:
    """The 街道/社区 of a point, from the city's grid layer, as a place the location component understands."""
    try:
        cell = _grid_index(svc.city.file("grids")).locate(lon, lat)
    except (OSError, ValueError, KeyError):
        return None
    if cell is None:
        return None
    return "".join(p for p in (cell.street, cell.community) if p) or None


async def _form(request: Request) -> dict[str, str]:
    """The form body (application/x-www-form-urlencoded), first value of each field, control characters dropped;
    query fields fill the gaps."""
    body = (await request.body()).decode("utf-8", errors="replace")
    fields = {k: _CONTROL.sub("", v[0]) for k, v in parse_qs(body, keep_blank_values=True).items()}
    for k, v in request.query_params.items():
        fields.setdefault(k, v)
    return fields


def _intake(svc: AppServices, form: dict[str, str]) -> IntakeInput:
    code = (form.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "缺少 service_code（service_code required）")
    leaf = svc.extras["taxonomy"]().get(code)
    if leaf is None:
        raise Open311Error(404, f"未知的 service_code：{code}")
    lat, lon = _float(form, "lat", -90, 90), _float(form, "long", -180, 180)
    address = (form.get("address_string") or "").strip()
    if not address and (lat is None or lon is None):
        raise Open311Error(400, "需提供 lat/long 或 address_string（a location is required）")
    description = (form.get("description") or "").strip()
    if len(description) > svc.settings.max_text_chars:
        raise Open311Error(400, f"description 过长（上限 {svc.settings.max_text_chars} 字）")
    name = "".join(p for p in (form.get("last_name", ""), form.get("first_name", "")) if p).strip() or None
    location = address or (_place_hint(svc, lon, lat) if lon is not None and lat is not None else None)
    return IntakeInput(
        text=description or f"市民通过Open311反映：{leaf.name}",
        channel="open311",
        title=leaf.name,
        contact_name=name[:64] if name else None,
        contact_phone=(form.get("phone") or "").strip()[:32] or None,
        location=location,
        category_code=leaf.code,
        extra={"open311": {k: form.get(k) for k in ("service_code", "lat", "long", "address_string", "email",
                                                    "device_id", "account_id", "media_url") if form.get(k)}},
    )


@router.post("/requests.{fmt}", status_code=201, summary="File a service request (form-encoded)")
async def create_request(request: Request, fmt: str) -> Any:
    try:
        _check_format(fmt)
        form = await _form(request)
        principal = _authenticate(request, form)
        svc = _services(request)
        _check_jurisdiction(svc, form.get("jurisdiction_id"))
        data = _intake(svc, form)
        key = request.headers.get("idempotency-key")
        scope = (f"key:{principal.key_id}", key[:128]) if key else None
        try:
            order, created = svc.orders.submit(data, actor=principal.actor, idempotency=scope)
        except IdempotencyConflict as exc:
            raise Open311Error(409, "该幂等键已用于另一份不同的请求") from exc
        notice = f"已受理，工单号 {order.number}"
        if order.status == Status.MERGED.value and order.duplicate_of is not None:
            notice = f"已受理，与工单 {order.duplicate_of.number} 反映同一问题，合并处理"
        body = [{"service_request_id": order.number, "service_notice": notice, "account_id": form.get("account_id")}]
        return JSONResponse(body, status_code=201 if created else 200)
    except Open311Error as exc:
        return _error(exc.status, exc.description)


def _parse_date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{name} 不是 W3C 日期时间（{name} must be W3C datetime）") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _csv(value: str | None, name: str) -> list[str]:
    if not value:
        return []
    if not _ID_LIST.match(value):
        raise Open311Error(400, f"{name} 格式不正确（comma-separated list expected）")
    return value.split(",")


@router.get("/requests.{fmt}", summary="Service requests, newest first (default: last 90 days, at most 1000)")
def list_requests(
    request: Request,
    fmt: str,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
    jurisdiction_id: str | None = None,
) -> Any:
    try:
        _check_format(fmt)
        _authenticate(request)
        svc = _services(request)
        _check_jurisdiction(svc, jurisdiction_id)
        stmt = select(WorkOrder)
        ids = _csv(service_request_id, "service_request_id")
        if ids:  # the spec: other filters are ignored when ids are given
            stmt = stmt.where(WorkOrder.number.in_(ids))
        else:
            end = _parse_date(end_date, "end_date") or datetime.now(timezone.utc) + timedelta(seconds=1)
            start = _parse_date(start_date, "start_date") or end - timedelta(days=DEFAULT_DAYS)
            stmt = stmt.where(WorkOrder.created_at >= start, WorkOrder.created_at <= end)
            codes = _csv(service_code, "service_code")
            if codes:
                stmt = stmt.where(WorkOrder.category_code.in_(codes))
            wanted = set(_csv(status, "status"))
            if wanted - {"open", "closed"}:
                raise Open311Error(400, "status 只能是 open 或 closed")
        with svc.sessions() as session:
            orders = list(session.execute(stmt.order_by(WorkOrder.id.desc()).limit(MAX_RESULTS)).unique().scalars())
            views = [request_view(o) for o in orders]
        if not ids and status:
            views = [v for v in views if v["status"] in wanted]
        return views
    except Open311Error as exc:
        return _error(exc.status, exc.description)


@router.get("/requests/{service_request_id}.{fmt}", summary="One service request")
def get_request(request: Request, service_request_id: str, fmt: str, jurisdiction_id: str | None = None) -> Any:
    try:
        _check_format(fmt)
        _authenticate(request)
        svc = _services(request)
        _check_jurisdiction(svc, jurisdiction_id)
        try:
            order = svc.orders.get(service_request_id)
        except OrderNotFound as exc:
            raise Open311Error(404, f"未找到服务请求 {service_request_id}") from exc
        return [request_view(order)]
    except Open311Error as exc:
        return _error(exc.status, exc.description)
