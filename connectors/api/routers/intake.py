"""Intake: a citizen's report becomes a work order (``/v1/intake``); ``/v1/analyse`` shows the suggestion only."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Header, Response

from connectors.api.deps import AppServices, CitizenOrStaff, Services
from connectors.api.errors import ApiError
from connectors.api.schemas import AnalyseRequest, AnalysisOut, HandoverRequest, IntakeRequest, OrderCreated, OrderView
from triage.models import WorkOrder
from triage.orders import IntakeInput

router = APIRouter(prefix="/v1", tags=["intake"])


def _check_length(text: str, limit: int) -> None:
    if len(text) > limit:
        raise ApiError(413, "text_too_long", f"诉求内容过长（上限 {limit} 字）", f"text longer than {limit} characters")


def to_input(body: IntakeRequest) -> IntakeInput:
    return IntakeInput(
        text=body.text,
        channel=body.channel,
        title=body.title,
        contact_name=body.contact.name if body.contact else None,
        contact_phone=body.contact.phone if body.contact else None,
        location=body.location,
    )


@router.post("/intake", status_code=201, response_model=OrderCreated, summary="File a report as a work order")
def intake(
    body: IntakeRequest,
    svc: Services,
    principal: CitizenOrStaff,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=128, description="Retries with the same key return the same order")] = None,
) -> OrderCreated:
    _check_length(body.text, svc.settings.max_text_chars)
    scope = (f"key:{principal.key_id}", idempotency_key) if idempotency_key else None
    order, created = svc.orders.submit(to_input(body), actor=principal.actor, idempotency=scope)
    if not created:
        response.status_code = 200
    view = OrderView.from_order(order, "full" if principal.role != "citizen" else "public")
    return OrderCreated(**view.model_dump(), replayed=not created)


@router.post("/analyse", response_model=AnalysisOut, summary="What the assistant suggests for a text (no order)")
def analyse(body: AnalyseRequest, svc: Services, _principal: CitizenOrStaff) -> AnalysisOut:
    _check_length(body.text, svc.settings.max_text_chars)
    case = svc.orders.build_case(IntakeInput(text=body.text, title=body.title, location=body.location))
    data = case.to_dict()
    return AnalysisOut(
        clean_text=case.clean_text,
        category=data["category"],
        category_candidates=data["category_candidates"],
        location=data["location"],
        location_candidates=data["location_candidates"],
        urgency=case.urgency,
        urgency_reasons=case.urgency_reasons,
        emergency_handover=case.emergency_handover,
        department=asdict(case.department) if case.department else None,
        deadline=case.deadline,
        review_reasons=case.review_reasons,
        trace=case.trace,
    )


def file_handover(svc: AppServices, actor: str, scope: str, body: HandoverRequest) -> tuple[WorkOrder, bool]:
    """A conversation handed over to the agents as a 'leave a message' order (needs review). Repeating the same
    conversation and transcript gives the same order."""
    citizen_lines = [t.get("text", "") for t in body.transcript if t.get("role") in ("user", "citizen")]
    text = "\n".join(line for line in citizen_lines if line.strip()) or "\n".join(t.get("text", "") for t in body.transcript)
    if not text.strip():
        raise ApiError(422, "empty_text", "对话内容为空", "the transcript has no text")
    _check_length(text, svc.settings.max_text_chars)
    data = IntakeInput(
        text=text,
        channel="chat",
        contact_name=body.contact.name if body.contact else None,
        contact_phone=body.contact.phone if body.contact else None,
        review_reason=f"转人工：{body.reason or '机器人无法处理'}",
        extra={"conversation_id": body.conversation_id, "transcript": body.transcript},
    )
    key = f"handover:{body.conversation_id}:{data.fingerprint()[:16]}"
    return svc.orders.submit(data, actor=actor, idempotency=(scope, key))


@router.post("/handover", status_code=201, response_model=OrderCreated, summary="Hand a conversation over to an agent")
def handover(body: HandoverRequest, svc: Services, principal: CitizenOrStaff, response: Response) -> OrderCreated:
    """A chat the bot could not finish becomes a 'leave a message' order in the agents' review queue."""
    order, created = file_handover(svc, principal.actor, f"key:{principal.key_id}", body)
    if not created:
        response.status_code = 200
    return OrderCreated(**OrderView.from_order(order, "full").model_dump(), replayed=not created)
