"""处置时限: when the department must have handled a case.

The category's own limit comes from the taxonomy (``CategoryGuess.deadline_hours``, in calendar hours or in working
hours on the city's working-day calendar); urgency caps it in calendar hours, since an emergency does not wait for
Monday morning.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hotline.case import Case
from triage.workcalendar import WorkCalendar

URGENCY_CAP_HOURS: dict[str, float] = {"emergency": 2.0, "urgent": 24.0}


def _describe(hours: float, working: bool) -> str:
    if working and hours >= 24 and hours % 24 == 0:
        return f"{hours / 24:g}个工作日"
    return f"{hours:g}{'个工作小时' if working else '小时'}"


def deadline_for(
    case: Case, received_at: datetime, default_hours: float, calendar: WorkCalendar | None = None
) -> tuple[datetime, str]:
    """The deadline for ``case`` and a one-line reason."""
    hours, working = default_hours, False
    basis = f"默认时限{default_hours:g}小时"
    if case.category is not None and case.category.deadline_hours:
        hours = case.category.deadline_hours
        working = case.category.deadline_basis == "working" and calendar is not None
        basis = f"“{case.category.name}”处置时限{_describe(hours, working)}"
    deadline = calendar.add_limit(received_at, hours) if working and calendar else received_at + timedelta(hours=hours)
    cap = URGENCY_CAP_HOURS.get(case.urgency)
    if cap is not None and received_at + timedelta(hours=cap) < deadline:
        deadline = received_at + timedelta(hours=cap)
        basis += f"；紧急程度限{cap:g}小时内"
    return deadline, basis
