"""The closed loop after dispatch: what departments and the centre do to an order, as a registry of actions.

Each action names who may take it, the status change it makes and what it records; ``LoopService.perform`` runs it in
one transaction with a history row. The API (``POST /v1/orders/{number}/actions/{name}``), departments' signed
callbacks and the CLI all go through here, so the rules live in one place.

    department: sign 签收 · return 退单 · request_extension 延期申请 · handled 处置完成
    centre:     reassign 改派 · decide_extension 延期审批 · verify 核查 (failed → 返工) · close 结案 ·
                follow_up 回访 (not satisfied → 返工)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from hotline.city import CityConfig
from triage.lifecycle import OPEN_STATUSES, STATUS_LABELS, Action, Status, TransitionError, check_transition
from triage.models import WorkOrder, utcnow
from triage.orders import OrderService

DEPARTMENT = frozenset({"department"})
CENTRE = frozenset({"agent", "admin"})


@dataclass(frozen=True)
class LoopRequest:
    """What the caller says with an action; each action requires some of these."""

    reason: str = ""
    department_id: str | None = None
    hours: float | None = None
    approve: bool | None = None
    passed: bool | None = None
    satisfied: bool | None = None
    result: str | None = None
    photo_url: str | None = None


@dataclass
class LoopContext:
    session: Session
    order: WorkOrder
    request: LoopRequest
    events: list[int]
    service: OrderService
    city: CityConfig
    action: Action
    """What the history row records; an outcome may change it (核查 failed → 返工)."""
    changes: dict[str, list[Any]] = field(default_factory=dict)

    def move(self, status: Status) -> None:
        """Change status, if the closed loop allows it (``TransitionError`` otherwise)."""
        check_transition(self.order.status, status)
        self.changes["status"] = [self.order.status, status.value]
        self.order.status = status.value

    def set(self, name: str, value: Any) -> None:
        before = getattr(self.order, name)
        if before != value:
            setattr(self.order, name, value)
            self.changes[name] = [before.isoformat() if hasattr(before, "isoformat") else before,
                                  value.isoformat() if hasattr(value, "isoformat") else value]

    def notify_department(self, notice: str) -> None:
        """Tell the order's department through its webhook (queued in the same transaction)."""
        self.events.append(self.service.queue_event(self.session, self.order, "order.notice", notice=notice))


@dataclass(frozen=True)
class LoopAction:
    name: str
    label: str
    roles: frozenset[str]
    action: Action
    allowed_from: frozenset[Status]
    """Statuses the order must be in (the status table alone is not enough: 核查 failing and a department signing
    both lead to 处置中, from different places)."""
    requires: tuple[str, ...]
    apply: Callable[[LoopContext], None]


LOOP_ACTIONS: dict[str, LoopAction] = {}
_WITH_DEPARTMENT = frozenset({Status.DISPATCHED, Status.HANDLING})


def loop_action(  # type: ignore[no-untyped-def]
    name: str, label: str, roles: frozenset[str], action: Action, allowed_from: frozenset[Status], requires: tuple[str, ...] = ()
):
    def register(apply: Callable[[LoopContext], None]) -> Callable[[LoopContext], None]:
        LOOP_ACTIONS[name] = LoopAction(name, label, roles, action, allowed_from, requires, apply)
        return apply

    return register


class ActionNotAllowed(PermissionError):
    """This role may not take this action."""


class MissingFields(ValueError):
    """The action needs fields the request did not give."""


# -- department side -------------------------------------------------------------------------------------------------


@loop_action("sign", "签收", DEPARTMENT, Action.SIGNED, frozenset({Status.DISPATCHED}))
def _sign(ctx: LoopContext) -> None:
    ctx.move(Status.HANDLING)
    ctx.set("signed_at", utcnow())


@loop_action("return", "退单", DEPARTMENT, Action.RETURNED, _WITH_DEPARTMENT, requires=("reason",))
def _return(ctx: LoopContext) -> None:
    ctx.move(Status.RETURNED)
    ctx.set("returned_count", ctx.order.returned_count + 1)
    ctx.set("needs_review", True)
    ctx.set("review_reasons", [*(ctx.order.review_reasons or []), f"部门退单：{ctx.request.reason}"])
    ctx.set("dispatch_state", "held")


@loop_action("request_extension", "延期申请", DEPARTMENT, Action.EXTENSION_REQUESTED, _WITH_DEPARTMENT, requires=("hours", "reason"))
def _request_extension(ctx: LoopContext) -> None:
    if not 0 < (ctx.request.hours or 0) <= 24 * 30:
        raise MissingFields("延期时长须在 0 到 720 小时之间")
    ctx.set("pending_extension_hours", ctx.request.hours)
    ctx.set("pending_extension_reason", ctx.request.reason)


@loop_action("handled", "处置完成", DEPARTMENT, Action.HANDLED, _WITH_DEPARTMENT, requires=("result",))
def _handled(ctx: LoopContext) -> None:
    ctx.move(Status.HANDLED)
    ctx.set("handled_at", utcnow())
    ctx.set("result_note", ctx.request.result)
    if ctx.request.photo_url:
        ctx.changes["photo_url"] = [None, ctx.request.photo_url]


# -- centre side -----------------------------------------------------------------------------------------------------


@loop_action("reassign", "改派", CENTRE, Action.REASSIGNED, OPEN_STATUSES, requires=("department_id", "reason"))
def _reassign(ctx: LoopContext) -> None:
    try:
        department = ctx.city.department(ctx.request.department_id or "")
    except KeyError:
        raise MissingFields(f"部门不存在：{ctx.request.department_id}") from None
    if department.id == ctx.order.department_id and Status(ctx.order.status) != Status.RETURNED:
        raise MissingFields("改派的目标部门与当前部门相同")
    ctx.move(Status.REGISTERED)
    ctx.set("department_id", department.id)
    ctx.set("department_name", department.name)
    ctx.set("needs_review", False)
    ctx.set("dispatch_state", "queued")
    ctx.set("delivered_at", None)
    ctx.set("signed_at", None)
    ctx.events.append(ctx.service.queue_event(ctx.session, ctx.order))


@loop_action("decide_extension", "延期审批", CENTRE, Action.EXTENSION_APPROVED, _WITH_DEPARTMENT, requires=("approve",))
def _decide_extension(ctx: LoopContext) -> None:
    hours = ctx.order.pending_extension_hours
    if hours is None:
        raise MissingFields("该工单没有待审批的延期申请")
    if ctx.request.approve:
        base = ctx.order.deadline or utcnow()
        ctx.set("deadline", base + timedelta(hours=hours))
        ctx.set("escalation_level", 0)
    else:
        ctx.action = Action.EXTENSION_REJECTED
    ctx.set("pending_extension_hours", None)
    ctx.set("pending_extension_reason", None)
    ctx.notify_department("延期已批准" if ctx.request.approve else "延期未获批准")


@loop_action("verify", "核查", CENTRE, Action.VERIFIED, frozenset({Status.HANDLED}), requires=("passed",))
def _verify(ctx: LoopContext) -> None:
    if ctx.request.passed:
        ctx.move(Status.VERIFIED)
        ctx.set("verified_at", utcnow())
    else:
        ctx.action = Action.REWORK
        _rework(ctx, "核查未通过")


@loop_action("close", "结案", CENTRE, Action.CLOSED, frozenset({Status.VERIFIED, Status.RECEIVED}))
def _close(ctx: LoopContext) -> None:
    ctx.move(Status.CLOSED)
    ctx.set("closed_at", utcnow())
    ctx.set("needs_review", False)


@loop_action("follow_up", "回访", CENTRE, Action.FOLLOWED_UP, frozenset({Status.CLOSED}), requires=("satisfied",))
def _follow_up(ctx: LoopContext) -> None:
    ctx.set("satisfied", ctx.request.satisfied)
    ctx.set("followed_up_at", utcnow())
    if ctx.request.satisfied:
        ctx.move(Status.FOLLOWED_UP)
    else:
        _rework(ctx, "回访不满意")


def _rework(ctx: LoopContext, why: str) -> None:
    """返工: back to the department, which is told so."""
    ctx.move(Status.HANDLING)
    ctx.set("rework_count", ctx.order.rework_count + 1)
    ctx.set("handled_at", None)
    ctx.set("verified_at", None)
    ctx.set("closed_at", None)
    ctx.changes["rework"] = [None, why]
    ctx.notify_department(f"返工：{why}")


class LoopService:
    """Runs loop actions on orders."""

    def __init__(self, orders: OrderService, city: CityConfig):
        self.orders = orders
        self.city = city

    def perform(
        self, number: str, name: str, request: LoopRequest, *, role: str, actor: str, department_id: str | None = None
    ) -> WorkOrder:
        """Take action ``name`` on order ``number`` as ``role``. Departments only reach their own orders."""
        spec = LOOP_ACTIONS.get(name)
        if spec is None:
            raise KeyError(name)
        if role not in spec.roles:
            raise ActionNotAllowed(f"{role} 不能执行“{spec.label}”")
        missing = [f for f in spec.requires if getattr(request, f) in (None, "")]
        if missing:
            raise MissingFields(f"“{spec.label}”需要填写：{', '.join(missing)}")
        recorded: list[Action] = [spec.action]

        def apply(session: Session, order: WorkOrder, events: list[int]) -> dict[str, list[Any]]:
            if Status(order.status) not in spec.allowed_from:
                raise TransitionError(f"工单当前为“{STATUS_LABELS[Status(order.status)]}”，不能“{spec.label}”")
            ctx = LoopContext(session, order, request, events, self.orders, self.city, spec.action)
            spec.apply(ctx)
            recorded[0] = ctx.action
            return ctx.changes

        self.orders.publisher.ping()
        reason = request.reason or request.result or spec.label
        return self.orders.change(
            number, actor, lambda: recorded[0], reason, apply, department_id=department_id if role == "department" else None
        )
