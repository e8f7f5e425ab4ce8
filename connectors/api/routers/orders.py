"""Reading and changing work orders. Departments see only their own orders; citizens only the ones they filed."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from connectors.api.auth import Principal
from connectors.api.deps import AnyRole, CitizenOrStaff, Services, Staff
from connectors.api.errors import ApiError
from connectors.api.schemas import (
    AcceptRequest,
    CitizenNote,
    CorrectionRequest,
    FeedbackRequest,
    OrderList,
    OrderView,
)
from triage.models import WorkOrder
from triage.orders import OrderFilter, OrderNotFound

router = APIRouter(prefix="/v1/orders", tags=["orders"])


def _digits(phone: str | None) -> str:
    return re.sub(r"\D", "", phone or "")


def _visible_order(svc: Services, principal: Principal, number: str, phone: str | None) -> WorkOrder:
    """The order if this caller may see it; otherwise 404 (never 403, so numbers cannot be probed)."""
    order = svc.orders.get(number, department_id=principal.department_id if principal.role == "department" else None)
    if principal.role == "citizen" and (not phone or _digits(phone) != _digits(order.contact_phone)):
        raise OrderNotFound(number)
    return order


def _view_for(principal: Principal) -> Literal["full", "department", "public"]:
    return {"citizen": "public", "department": "department"}.get(principal.role, "full")  # type: ignore[return-value]


@router.get("/{number}", response_model=OrderView, summary="One order (citizens must give the phone used on it)")
def get_order(number: str, svc: Services, principal: AnyRole, phone: str | None = None) -> OrderView:
    return OrderView.from_order(_visible_order(svc, principal, number, phone), _view_for(principal))


@router.get("", response_model=OrderList, summary="Orders, newest first, with filters")
def list_orders(
    svc: Services,
    principal: AnyRole,
    filters: Annotated[OrderFilter, Depends()],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> OrderList:
    if principal.role == "department":
        filters.department_id = principal.department_id  # a department's view cannot be widened by a filter
    if principal.role == "citizen" and not filters.contact_phone:
        raise ApiError(422, "phone_required", "市民渠道查询工单需提供来电号码", "citizen channels must filter by contact_phone")
    orders, total = svc.orders.list(filters, limit=limit, offset=offset)
    return OrderList(total=total, limit=limit, offset=offset, items=[OrderView.from_order(o, "list") for o in orders])


@router.patch("/{number}", response_model=OrderView, summary="An agent corrects the suggested fields")
def correct_order(number: str, body: CorrectionRequest, svc: Services, principal: Staff) -> OrderView:
    fields = body.model_dump(exclude_none=True, exclude={"reason"})
    if "category_code" in fields:
        leaf = svc.extras["taxonomy"]().get(fields["category_code"])
        if leaf is None:
            raise ApiError(422, "unknown_category", "分类代码不存在", f"unknown category code {fields['category_code']}")
        fields.update(category_name=leaf.name, category_path=list(leaf.path), category_domain=leaf.domain, category_confidence=1.0)
    if "department_id" in fields:
        try:
            fields["department_name"] = svc.city.department(fields["department_id"]).name
        except KeyError as exc:
            raise ApiError(422, "unknown_department", "部门不存在", f"unknown department {fields['department_id']}") from exc
    if not fields:
        raise ApiError(422, "nothing_to_change", "没有需要修改的字段", "no field to change")
    order = svc.orders.correct(number, actor=principal.actor, reason=body.reason, fields=fields)
    return OrderView.from_order(order, "full")


@router.post("/{number}/accept", response_model=OrderView, summary="An agent accepts a reviewed order for dispatch")
def accept_order(number: str, svc: Services, principal: Staff, body: AcceptRequest | None = None) -> OrderView:
    try:
        order = svc.orders.accept(number, actor=principal.actor, reason=(body or AcceptRequest()).reason)
    except ValueError as exc:
        raise ApiError(409, "not_dispatchable", str(exc), "the order has no department yet") from exc
    return OrderView.from_order(order, "full")


@router.post("/{number}/urge", response_model=OrderView, summary="催办: the citizen urges an open order")
def urge_order(number: str, body: CitizenNote, svc: Services, principal: CitizenOrStaff) -> OrderView:
    _visible_order(svc, principal, number, body.phone)
    order = svc.orders.note(number, actor=principal.actor, action="urged", reason=body.note or "市民催办")
    return OrderView.from_order(order, _view_for(principal))


@router.post("/{number}/feedback", response_model=OrderView, summary="The citizen's satisfaction or complaint")
def feedback(number: str, body: FeedbackRequest, svc: Services, principal: CitizenOrStaff) -> OrderView:
    _visible_order(svc, principal, number, body.phone)
    action = "satisfied" if body.satisfied else "complained"
    reason = body.note or ("市民表示满意" if body.satisfied else "市民对处理结果不满意")
    order = svc.orders.note(number, actor=principal.actor, action=action, reason=reason)
    return OrderView.from_order(order, _view_for(principal))
