"""The closed loop over HTTP: departments and agents act on orders (签收, 退单, 延期, 处置, 改派, 核查, 结案, 回访),
and departments' systems report back through signed callbacks."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from connectors.api.deps import AnyRole, Services
from connectors.api.errors import ApiError
from connectors.api.schemas import DepartmentCallback, LoopActionOut, LoopActionRequest, OrderView
from connectors.dispatch import keys
from connectors.dispatch.webhook import verify
from triage.loop import LOOP_ACTIONS, ActionNotAllowed, LoopRequest, LoopService, MissingFields
from triage.models import WorkOrder

router = APIRouter(tags=["closed loop"])


def _loop(svc: Services) -> LoopService:
    return LoopService(svc.orders, svc.city)


def _perform(svc: Services, number: str, name: str, body: LoopActionRequest, role: str, actor: str, department_id: str | None) -> WorkOrder:
    if name not in LOOP_ACTIONS:
        raise ApiError(404, "unknown_action", f"没有名为“{name}”的操作", f"no loop action named {name!r}")
    try:
        return _loop(svc).perform(
            number, name, LoopRequest(**body.model_dump(include=set(LoopRequest.__dataclass_fields__))),
            role=role, actor=actor, department_id=department_id,
        )
    except ActionNotAllowed as exc:
        raise ApiError(403, "forbidden", str(exc), f"role {role!r} may not take action {name!r}") from exc
    except MissingFields as exc:
        raise ApiError(422, "action_invalid", str(exc), f"action {name!r}: {exc}") from exc


@router.get("/v1/loop/actions", response_model=list[LoopActionOut], summary="The closed-loop actions and who may take them")
def list_actions(_principal: AnyRole) -> list[LoopActionOut]:
    return [LoopActionOut(name=a.name, label=a.label, roles=sorted(a.roles), requires=list(a.requires)) for a in LOOP_ACTIONS.values()]


@router.post("/v1/orders/{number}/actions/{name}", response_model=OrderView, summary="Take a closed-loop action")
def take_action(number: str, name: str, body: LoopActionRequest, svc: Services, principal: AnyRole) -> OrderView:
    order = _perform(svc, number, name, body, principal.role, principal.actor, principal.department_id)
    return OrderView.from_order(order, "department" if principal.role == "department" else "full")


@router.post("/v1/callbacks/{department_id}", response_model=OrderView, summary="A department's system reports back (signed)")
async def department_callback(department_id: str, request: Request) -> OrderView:
    """Signed like our webhooks: ``X-Hotline-Timestamp`` and ``X-Hotline-Signature`` (HMAC-SHA256 of
    ``timestamp.body`` with the department's secret); ``X-Hotline-Delivery`` makes a repeated callback harmless."""
    svc = request.app.state.services
    try:
        department = svc.city.department(department_id)
    except KeyError:
        raise ApiError(404, "unknown_department", "部门不存在", f"unknown department {department_id}") from None
    raw = await request.body()
    secret = department.webhook.secret if department.webhook else ""
    headers = request.headers
    if not secret or not verify(secret, headers.get("x-hotline-timestamp", ""), raw, headers.get("x-hotline-signature", "")):
        raise ApiError(401, "bad_signature", "回调签名无效或已过期", "callback signature invalid or outside the replay window")
    body = DepartmentCallback.model_validate_json(raw)
    delivery = headers.get("x-hotline-delivery")

    def run() -> WorkOrder:
        if delivery and not svc.redis.set(keys.callback_seen(department_id, delivery), "1", nx=True, ex=keys.CALLBACK_SEEN_TTL_S):
            return svc.orders.get(body.number, department_id=department_id)  # a repeat: the first one counted
        try:
            return _perform(svc, body.number, body.action, body, "department", f"department:{department_id}", department_id)
        except Exception:
            if delivery:
                svc.redis.delete(keys.callback_seen(department_id, delivery))  # let the department retry
            raise

    return OrderView.from_order(await run_in_threadpool(run), "department")
