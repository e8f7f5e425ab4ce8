"""JSON helpers for the page scripts, beyond what the ``/v1`` API offers (session sign-in only, ``/web/api/...``).

* ``POST /web/api/suggest`` — the agent console's live suggestion: ``/v1/analyse``'s answer plus the possible
  duplicates (open orders near the place, with distance and age) from the configured duplicate finder;
* ``POST /web/api/console/submit`` — accept / correct / submit in one action: the order is filed as the agent's
  (channel ``phone``), held, corrected with the agent's changes (kept as training data), then accepted for dispatch;
* ``POST /web/api/chat`` — the citizen chat widget, relayed in-process to the chat router (``/v1/chat``) with the
  web module's citizen principal, so no key ever reaches the browser.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.api.auth import Principal
from connectors.api.errors import ApiError
from connectors.api.schemas import PHONE_PATTERN, CitizenText
from connectors.web.session import STAFF_ROLES, current_user
from connectors.web.views import Clock, status_label
from hotline.case import Case
from triage.lifecycle import Status
from triage.orders import IntakeInput

router = APIRouter(prefix="/web/api", tags=["web"], include_in_schema=False)

CONSOLE_HOLD_REASON = "坐席来电受理，待坐席确认"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SuggestIn(_In):
    text: CitizenText = Field(..., max_length=100_000)
    location: str | None = Field(None, max_length=200)


class Corrections(_In):
    category_code: str | None = Field(None, max_length=32)
    department_id: str | None = Field(None, max_length=32)
    urgency: Literal["normal", "urgent", "emergency"] | None = None
    location_normalized: str | None = Field(None, max_length=200)


class ConsoleSubmitIn(SuggestIn):
    contact_name: str | None = Field(None, max_length=64)
    contact_phone: str | None = Field(None, max_length=32, pattern=PHONE_PATTERN)
    corrections: Corrections = Corrections()
    reason: str = Field("坐席修正智能填单建议", max_length=500)

    @field_validator("contact_name", "contact_phone", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class ChatIn(_In):
    sender: str = Field(..., pattern=r"^[A-Za-z0-9_.:@-]{1,128}$")
    message: str = Field("", max_length=100_000)


def _staff(request: Request) -> Principal:
    user = current_user(request)
    if user is None:
        raise ApiError(401, "sign_in_required", "请先登录", "sign in first")
    if user.role not in STAFF_ROLES:
        raise ApiError(403, "forbidden", "当前角色无权执行此操作", f"role {user.role!r} may not do this")
    return user


def _check_length(request: Request, text: str) -> None:
    limit = request.app.state.services.settings.max_text_chars
    if len(text) > limit:
        raise ApiError(413, "text_too_long", f"诉求内容过长（上限 {limit} 字）", f"text longer than {limit} characters")


def duplicates_for(request: Request, case: Case) -> list[dict[str, Any]]:
    """Open orders the case may repeat, best first, with distance (metres, when both have coordinates) and age."""
    svc = request.app.state.services
    finder = svc.orders.duplicates
    if finder is None or not hasattr(finder, "candidates") or not hasattr(finder, "judge"):
        return []
    from triage.duplicates import distance_m

    now = datetime.now(timezone.utc)
    clock = Clock(svc.city.timezone, now)
    found = []
    with svc.sessions() as session:
        for candidate in finder.judge(case, finder.candidates(session, case, now))[:5]:
            order, place = candidate.order, case.location
            distance = (
                round(distance_m(place.lon, place.lat, order.lon, order.lat))
                if place is not None and None not in (place.lon, place.lat, order.lon, order.lat) else None
            )
            found.append({
                "number": order.number,
                "text": order.text[:80],
                "status_label": status_label(order.status),
                "category": order.category_name,
                "place": order.location_normalized,
                "created_at": clock.local(order.created_at),
                "age_hours": round((now - order.created_at).total_seconds() / 3600, 1),
                "distance_m": distance,
                "reasons": [r for r in (candidate.place_reason, candidate.category_reason) if r]
                + [f"文字相似度 {candidate.text_score:.2f}"],
                "reporter_count": order.reporter_count,
            })
    return found


@router.post("/suggest")
def suggest(body: SuggestIn, request: Request) -> dict[str, Any]:
    """What the assistant suggests for the words so far, and the possible duplicates."""
    _staff(request)
    _check_length(request, body.text)
    svc = request.app.state.services
    case = svc.orders.build_case(IntakeInput(text=body.text, channel="phone", location=body.location))
    data = case.to_dict()
    return {
        "clean_text": case.clean_text,
        "category": data["category"],
        "category_candidates": data["category_candidates"][:5],
        "location": data["location"],
        "location_candidates": data["location_candidates"][:5],
        "urgency": case.urgency,
        "urgency_reasons": case.urgency_reasons,
        "emergency_handover": case.emergency_handover,
        "department": asdict(case.department) if case.department else None,
        "deadline": Clock(svc.city.timezone).local(case.deadline, "%Y-%m-%d %H:%M") if case.deadline else None,
        "review_reasons": case.review_reasons,
        "duplicates": duplicates_for(request, case),
    }


def _correction_fields(request: Request, corrections: Corrections) -> dict[str, Any]:
    """The order columns an agent's corrections set (names looked up, unknown codes refused)."""
    svc = request.app.state.services
    fields: dict[str, Any] = corrections.model_dump(exclude_none=True)
    if "category_code" in fields:
        leaf = svc.extras["taxonomy"]().get(fields["category_code"])
        if leaf is None:
            raise ApiError(422, "unknown_category", "分类代码不存在", f"unknown category code {fields['category_code']}")
        fields.update(category_name=leaf.name, category_path=list(leaf.path), category_domain=leaf.domain,
                      category_confidence=1.0)
    if "department_id" in fields:
        try:
            fields["department_name"] = svc.city.department(fields["department_id"]).name
        except KeyError as exc:
            raise ApiError(422, "unknown_department", "部门不存在", f"unknown department {fields['department_id']}") from exc
    return fields


@router.post("/console/submit", status_code=201)
def console_submit(body: ConsoleSubmitIn, request: Request) -> dict[str, Any]:
    """File the call as an order, apply the agent's corrections, and accept it for dispatch — one action."""
    user = _staff(request)
    _check_length(request, body.text)
    svc = request.app.state.services
    fields = _correction_fields(request, body.corrections)
    data = IntakeInput(text=body.text, channel="phone", contact_name=body.contact_name, contact_phone=body.contact_phone,
                       location=body.location, review_reason=CONSOLE_HOLD_REASON)
    order, _ = svc.orders.submit(data, actor=user.actor)
    if Status(order.status) == Status.MERGED:
        merged_into = order.duplicate_of.number if order.duplicate_of else None
        return {"number": order.number, "status": order.status, "status_label": status_label(order.status),
                "merged_into": merged_into, "message": f"与工单 {merged_into} 反映同一问题，已合并（反映人次 +1）"}
    if fields:
        changed = {k: v for k, v in fields.items() if getattr(order, k) != v}
        if changed:
            order = svc.orders.correct(order.number, actor=user.actor, reason=body.reason, fields=changed)
    if not order.department_id:
        return {"number": order.number, "status": order.status, "status_label": status_label(order.status),
                "message": "尚未确定责任部门，工单已进入审核队列"}
    order = svc.orders.accept(order.number, actor=user.actor, reason="坐席确认智能填单并提交")
    return {"number": order.number, "status": order.status, "status_label": status_label(order.status),
            "department": order.department_name, "message": f"已立案并派遣至 {order.department_name}"}


CHAT_UNAVAILABLE = "在线客服暂未开通。您可以使用“我要反映”表单提交诉求，或直接拨打 12345 热线。"


@router.post("/chat")
async def chat(body: ChatIn, request: Request) -> dict[str, Any]:
    """One citizen chat turn, relayed to the chat router in-process (no key in the browser)."""
    try:
        module = importlib.import_module("connectors.api.routers.chat")
    except ModuleNotFoundError:
        return {"sender": body.sender, "messages": [{"text": CHAT_UNAVAILABLE, "buttons": []}], "degraded": True}
    from fastapi import HTTPException

    try:
        out = await module.converse(request.app, body.sender, body.message)
    except HTTPException as exc:
        raise ApiError(exc.status_code, "chat_refused", str(exc.detail), str(exc.detail)) from exc
    return out.model_dump()
