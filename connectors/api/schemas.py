"""API schemas (pydantic), kept apart from the storage models in ``triage.models``.

``OrderView`` is also the contract of ``hotline intake --json`` and of the webhook payload departments receive:
keys ``number``, ``category`` {code, name, path}, ``confidence``, ``location`` {raw, normalized, district, street,
adcode, grid}, ``department`` {id, name}, ``urgency``, ``deadline`` (ISO 8601), ``status`` are kept stable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from triage.lifecycle import STATUS_LABELS, Status
from triage.models import WorkOrder
from triage.privacy import mask_phone

View = Literal["full", "department", "public", "list"]
PHONE_PATTERN = r"^\+?[0-9][0-9 \-]{4,19}$"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("text is empty / 诉求内容不能为空")
    return value


CitizenText = Annotated[str, AfterValidator(_not_blank)]
"""What a citizen said: any length the route allows, but not empty or only white space."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactIn(_In):
    name: str | None = Field(None, max_length=64)
    phone: str | None = Field(None, max_length=32, pattern=PHONE_PATTERN)


class IntakeRequest(_In):
    """A citizen's report from any channel."""

    text: CitizenText = Field(..., description="市民原话 / the citizen's own words", examples=["桂城街道海五路有个井盖丢了"])
    channel: Literal["phone", "web", "app", "chat", "wechat", "sms", "open311"] = "web"
    title: str = Field("", max_length=200)
    contact: ContactIn | None = None
    location: str | None = Field(None, max_length=200, description="Location typed or picked separately, if any.")


class AnalyseRequest(_In):
    text: CitizenText
    title: str = Field("", max_length=200)
    location: str | None = Field(None, max_length=200)


class CorrectionRequest(_In):
    """An agent's corrections to the suggested fields. Every change is kept in the history and as training data."""

    reason: str = Field(..., min_length=1, max_length=500)
    category_code: str | None = None
    department_id: str | None = None
    urgency: Literal["normal", "urgent", "emergency"] | None = None
    location_normalized: str | None = Field(None, max_length=200)
    street: str | None = Field(None, max_length=32)
    grid: str | None = Field(None, max_length=32)


class CitizenNote(_In):
    phone: str | None = Field(None, max_length=32, pattern=PHONE_PATTERN)
    note: str = Field("", max_length=2000)


class FeedbackRequest(CitizenNote):
    satisfied: bool


class AcceptRequest(_In):
    reason: str = Field("坐席审核通过", max_length=500)


class HandoverRequest(_In):
    conversation_id: str = Field(..., min_length=1, max_length=128)
    transcript: list[dict[str, str]] = Field(..., min_length=1, max_length=200)
    reason: str = Field("", max_length=500)
    contact: ContactIn | None = None


class LoopActionRequest(_In):
    """The fields a closed-loop action may need (see ``GET /v1/loop/actions`` for which each one requires)."""

    reason: str = Field("", max_length=1000)
    department_id: str | None = Field(None, max_length=32, description="改派: the new department")
    hours: float | None = Field(None, gt=0, le=720, description="延期申请: extra hours")
    approve: bool | None = Field(None, description="延期审批")
    passed: bool | None = Field(None, description="核查: passed or not (→ 返工)")
    satisfied: bool | None = Field(None, description="回访: satisfied or not (→ 返工)")
    result: str | None = Field(None, max_length=2000, description="处置完成: what was done")
    photo_url: str | None = Field(None, max_length=500)


class DepartmentCallback(LoopActionRequest):
    """A department's system reporting back (signed like our webhooks, with the department's secret)."""

    number: str = Field(..., max_length=32)
    action: Literal["sign", "return", "request_extension", "handled"]


class LoopActionOut(BaseModel):
    name: str
    label: str
    roles: list[str]
    requires: list[str]


# -- output --------------------------------------------------------------------------------------------------------


class CategoryOut(BaseModel):
    code: str | None
    name: str | None
    path: list[str] | None
    domain: str | None


class LocationOut(BaseModel):
    raw: str | None
    normalized: str | None
    district: str | None
    street: str | None
    community: str | None
    adcode: str | None
    grid: str | None
    lon: float | None
    lat: float | None
    confidence: float | None


class DepartmentOut(BaseModel):
    id: str | None
    name: str | None


class ContactOut(BaseModel):
    name: str | None
    phone: str | None


class HistoryOut(BaseModel):
    at: datetime
    actor: str
    action: str
    changes: dict[str, Any]
    reason: str


class DispatchOut(BaseModel):
    state: str
    attempts: int
    delivered_at: datetime | None


class OrderView(BaseModel):
    """A work order as the API shows it; ``view`` decides what is masked or left out."""

    number: str
    channel: str
    title: str
    text: str
    contact: ContactOut | None
    category: CategoryOut
    confidence: float | None
    location: LocationOut
    department: DepartmentOut
    routing_reasons: list[str] | None = None
    urgency: str
    emergency_handover: str | None
    deadline: datetime | None
    status: str
    status_label: str
    needs_review: bool
    review_reasons: list[str] | None = None
    duplicate_of: str | None = None
    reporter_count: int
    dispatch: DispatchOut | None = None
    created_at: datetime
    updated_at: datetime
    history: list[HistoryOut] | None = None

    @classmethod
    def from_order(cls, order: WorkOrder, view: View = "full") -> OrderView:
        """Build the view; ``public`` and ``list`` mask the phone, only ``full``/``department`` carry history."""
        inner = view in ("full", "department")
        phone = order.contact_phone if inner else mask_phone(order.contact_phone)
        contact = ContactOut(name=order.contact_name if inner else None, phone=phone)
        return cls(
            number=order.number,
            channel=order.channel,
            title=order.title,
            text=order.text,
            contact=contact if (order.contact_phone or order.contact_name) else None,
            category=CategoryOut(
                code=order.category_code, name=order.category_name, path=order.category_path, domain=order.category_domain
            ),
            confidence=order.category_confidence,
            location=LocationOut(
                raw=order.location_raw,
                normalized=order.location_normalized,
                district=order.district,
                street=order.street,
                community=order.community,
                adcode=order.adcode,
                grid=order.grid,
                lon=order.lon,
                lat=order.lat,
                confidence=order.location_confidence,
            ),
            department=DepartmentOut(id=order.department_id, name=order.department_name),
            routing_reasons=order.routing_reasons if view != "public" else None,
            urgency=order.urgency,
            emergency_handover=order.emergency_handover,
            deadline=order.deadline,
            status=order.status,
            status_label=STATUS_LABELS[Status(order.status)],
            needs_review=order.needs_review,
            review_reasons=order.review_reasons if view != "public" else None,
            duplicate_of=order.duplicate_of.number if order.duplicate_of_id and order.duplicate_of else None,
            reporter_count=order.reporter_count,
            dispatch=(
                DispatchOut(state=order.dispatch_state, attempts=order.dispatch_attempts, delivered_at=order.delivered_at)
                if view != "public"
                else None
            ),
            created_at=order.created_at,
            updated_at=order.updated_at,
            history=[
                HistoryOut(at=h.at, actor=h.actor, action=h.action, changes=h.changes, reason=h.reason)
                for h in order.history
            ]
            if inner
            else None,
        )


class OrderCreated(OrderView):
    """The order as created (or replayed, for a repeated Idempotency-Key)."""

    replayed: bool = False


class OrderList(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[OrderView]


class AnalysisOut(BaseModel):
    """What the assistant suggests for a text, without creating an order."""

    clean_text: str
    category: dict[str, Any] | None
    category_candidates: list[dict[str, Any]]
    location: dict[str, Any] | None
    location_candidates: list[dict[str, Any]]
    urgency: str
    urgency_reasons: list[str]
    emergency_handover: str | None
    department: dict[str, Any] | None
    deadline: datetime | None
    review_reasons: list[str]
    trace: list[str]


class ErrorBody(BaseModel):
    code: str
    message: str
    message_en: str
    details: Any | None = None


class ErrorOut(BaseModel):
    error: ErrorBody
