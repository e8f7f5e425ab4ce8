"""Triage pipeline components: urgency, routing and deadline, registered by name for ``config/pipeline.yaml``."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from hotline.case import Case
from hotline.pipeline import Component, PipelineContext
from hotline.registry import components
from triage.deadlines import deadline_for
from triage.routing import Router
from triage.urgency import DEFAULT_CUES, UrgencyCues
from triage.workcalendar import WorkCalendar


@components.register("urgency_cues")
def make_urgency_cues(context: PipelineContext, cues_file: str | None = None) -> Component:
    """Raise urgency from the category's default and from cue words (燃气, 起火, 受伤 …); flag 110/119/120 hand-over.

    An emergency is not held for review: it is dispatched at once, and the hand-over flag tells the agent to call the
    emergency line too.
    """
    cues = UrgencyCues.from_file(Path(cues_file) if cues_file else DEFAULT_CUES)
    return cues.apply


@components.register("route_department")
def make_route_department(context: PipelineContext, review_below: float | None = None) -> Component:
    """Choose the responsible department from the city's routing rules; below ``review_below`` an agent decides."""
    router = Router(context.city)
    threshold = context.settings.review_threshold if review_below is None else review_below

    def route_department(case: Case) -> Case:
        case.department = router.route(case)
        if case.department.confidence < threshold:
            case.needs_review(f"派单置信度{case.department.confidence:.2f}低于{threshold:.2f}")
        return case

    return route_department


@components.register("deadline")
def make_deadline(context: PipelineContext, default_hours: float = 72.0) -> Component:
    """Set the 处置时限 from the category's limit (working hours on the city's calendar where the taxonomy says so),
    capped by urgency."""
    holidays = context.city.file("holidays")
    calendar = WorkCalendar.from_file(holidays) if holidays and holidays.exists() else None

    def deadline(case: Case) -> Case:
        received = case.received_at or datetime.now(timezone.utc)
        case.deadline, basis = deadline_for(case, received, default_hours, calendar)
        case.notes["deadline_basis"] = basis
        return case

    return deadline
