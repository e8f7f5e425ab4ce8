"""Deadlines watched: orders near their 处置时限 get a 预警, orders past it a 督办 — each once, recorded in the
history, notified to people (Redis stream) and to the department (webhook notice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from triage.db import transaction
from triage.lifecycle import OPEN_STATUSES, Action
from triage.models import OrderHistory, WorkOrder
from triage.orders import OrderService

WARNED, OVERDUE = 1, 2


@dataclass(frozen=True)
class Escalation:
    number: str
    department_id: str | None
    level: int
    deadline: datetime


def scan_deadlines(
    sessions: sessionmaker[Session], now: datetime, warn_before: timedelta, *, batch: int = 200
) -> tuple[list[Escalation], list[int]]:
    """Raise the escalation level of open orders near or past their deadline; return what changed and the outbox
    events queued (department notices) for the caller to publish.

    "Near" is ``warn_before`` or the last quarter of the order's time limit, whichever is shorter, so a two-hour
    limit is not warned about the moment it is set.
    """
    found: list[Escalation] = []
    events: list[int] = []
    with transaction(sessions) as session:
        stmt = (
            select(WorkOrder)
            .where(
                WorkOrder.status.in_([s.value for s in OPEN_STATUSES]),
                WorkOrder.deadline.is_not(None),
                or_(
                    (WorkOrder.escalation_level < OVERDUE) & (WorkOrder.deadline <= now),
                    (WorkOrder.escalation_level < WARNED) & (WorkOrder.deadline <= now + warn_before),
                ),
            )
            .order_by(WorkOrder.deadline)
            .limit(batch)
            .with_for_update(of=WorkOrder, skip_locked=True)
        )
        for order in session.execute(stmt).scalars():
            deadline: datetime = order.deadline  # type: ignore[assignment]
            level = OVERDUE if deadline <= now else WARNED
            if level == WARNED and deadline - now > min(warn_before, (deadline - order.created_at) / 4):
                continue
            before = order.escalation_level
            order.escalation_level = level
            overdue = level == OVERDUE
            session.add(
                OrderHistory(
                    order_id=order.id,
                    actor="scheduler",
                    action=Action.ESCALATED if overdue else Action.WARNED,
                    changes={"escalation_level": [before, level]},
                    reason=("已超过处置时限，督办" if overdue else "临近处置时限，预警") + f"（时限 {order.deadline:%Y-%m-%d %H:%M} UTC）",
                )
            )
            if order.department_id and order.status != "received":
                events.append(OrderService.queue_event(session, order, "order.notice", notice="督办：已超期" if overdue else "预警：临近处置时限"))
            found.append(Escalation(order.number, order.department_id, level, order.deadline))  # type: ignore[arg-type]
    return found, events
