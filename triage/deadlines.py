"""处置时限: when the department must have handled a case.

The category's own limit comes from the taxonomy (``CategoryGuess.deadline_hours``); urgency caps it. Hours are
calendar hours here; working-hour limits on the city's holiday calendar belong to the triage issue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hotline.case import Case

URGENCY_CAP_HOURS: dict[str, float] = {"emergency": 2.0, "urgent": 24.0}


def deadline_for(case: Case, received_at: datetime, default_hours: float) -> tuple[datetime, str]:
    """The deadline for ``case`` and a one-line reason."""
    hours = default_hours
    basis = f"默认时限{default_hours:g}小时"
    if case.category is not None and case.category.deadline_hours:
        hours = case.category.deadline_hours
        basis = f"“{case.category.name}”处置时限{hours:g}小时"
    cap = URGENCY_CAP_HOURS.get(case.urgency)
    if cap is not None and cap < hours:
        hours = cap
        basis += f"；紧急程度限{cap:g}小时内"
    return received_at + timedelta(hours=hours), basis
