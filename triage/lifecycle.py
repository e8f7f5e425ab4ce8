"""Order statuses of the closed loop (受理 → 立案 → 派遣 → 处置 → 核查 → 结案 → 回访) and the moves allowed between them.

The foundation uses the first steps (intake, review, dispatch); the triage issue adds department replies, 退单, 改派,
延期, 返工 and 回访 on top of the same table.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    RECEIVED = "received"        # 受理: taken in, waiting for an agent's review
    REGISTERED = "registered"    # 立案: accepted as a case, queued for dispatch
    DISPATCHED = "dispatched"    # 派遣: delivered to the responsible department
    HANDLING = "handling"        # 处置: the department is working on it
    HANDLED = "handled"          # 已处置: the department reports it done, waiting for 核查
    VERIFIED = "verified"        # 核查: the centre checked the result
    CLOSED = "closed"            # 结案
    FOLLOWED_UP = "followed_up"  # 回访: the citizen was called back
    RETURNED = "returned"        # 退单: the department sent it back as not theirs
    MERGED = "merged"            # 合并: linked to an earlier order about the same problem


STATUS_LABELS: dict[Status, str] = {
    Status.RECEIVED: "受理",
    Status.REGISTERED: "立案",
    Status.DISPATCHED: "派遣",
    Status.HANDLING: "处置中",
    Status.HANDLED: "已处置",
    Status.VERIFIED: "已核查",
    Status.CLOSED: "结案",
    Status.FOLLOWED_UP: "已回访",
    Status.RETURNED: "退单",
    Status.MERGED: "已合并",
}

ALLOWED: dict[Status, frozenset[Status]] = {
    # 受理 → 立案 (agent accepts or 改派), merged as a duplicate, or closed at once (a question answered on the phone)
    Status.RECEIVED: frozenset({Status.REGISTERED, Status.MERGED, Status.CLOSED}),
    Status.REGISTERED: frozenset({Status.DISPATCHED, Status.RECEIVED, Status.REGISTERED}),
    # the department signs (签收), reports it handled, or sends it back (退单); the centre may 改派 (→ registered)
    Status.DISPATCHED: frozenset({Status.HANDLING, Status.HANDLED, Status.RETURNED, Status.REGISTERED}),
    Status.HANDLING: frozenset({Status.HANDLED, Status.RETURNED, Status.REGISTERED}),
    # 核查: passed → verified; failed → 返工 (back to handling)
    Status.HANDLED: frozenset({Status.VERIFIED, Status.HANDLING}),
    Status.VERIFIED: frozenset({Status.CLOSED, Status.HANDLING}),
    # 回访: satisfied → followed up; not satisfied → 返工
    Status.CLOSED: frozenset({Status.FOLLOWED_UP, Status.HANDLING}),
    Status.FOLLOWED_UP: frozenset(),
    Status.RETURNED: frozenset({Status.REGISTERED, Status.RECEIVED}),
    Status.MERGED: frozenset(),
}

OPEN_STATUSES: frozenset[Status] = frozenset(
    {Status.RECEIVED, Status.REGISTERED, Status.DISPATCHED, Status.HANDLING, Status.RETURNED}
)
"""Orders the centre still owes the citizen a result on (counted for deadlines and escalation)."""


class Action(StrEnum):
    """What an ``order_history`` row records (its ``action`` column). KPIs and audits read these names."""

    CREATED = "created"                        # 受理 (status received/registered/merged, see changes)
    CORRECTED = "corrected"                    # an agent changed suggested fields
    ACCEPTED = "accepted"                      # an agent accepted a reviewed order → 立案
    DISPATCHED = "dispatched"                  # 派遣: delivered to the department's system
    DEAD_LETTERED = "dead_lettered"            # delivery gave up after N failures; an agent must act
    SIGNED = "signed"                          # 签收: the department took it on → 处置中
    RETURNED = "returned"                      # 退单: the department says it is not theirs
    REASSIGNED = "reassigned"                  # 改派: the centre sends it to another department
    EXTENSION_REQUESTED = "extension_requested"  # 延期申请
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REJECTED = "extension_rejected"
    HANDLED = "handled"                        # the department reports it done (result note)
    VERIFIED = "verified"                      # 核查 passed
    REWORK = "rework"                          # 返工: 核查 failed or the citizen was not satisfied
    CLOSED = "closed"                          # 结案
    FOLLOWED_UP = "followed_up"                # 回访 (satisfied or not in changes)
    URGED = "urged"                            # 催办
    SATISFIED = "satisfied"                    # the citizen said they are satisfied (outside 回访)
    COMPLAINED = "complained"                  # the citizen complained about the handling
    MERGED = "merged"                          # this report was linked to an earlier order (合并)
    REPORTER_ADDED = "reporter_added"          # another citizen reported the same problem
    WARNED = "warned"                          # 预警: the deadline is near
    ESCALATED = "escalated"                    # 督办: the deadline has passed


class TransitionError(ValueError):
    """A status change the closed loop does not allow."""


def check_transition(current: str, new: str) -> None:
    """Raise ``TransitionError`` unless ``current → new`` is allowed."""
    if Status(new) not in ALLOWED[Status(current)]:
        raise TransitionError(f"{STATUS_LABELS[Status(current)]} → {STATUS_LABELS[Status(new)]} 不允许 ({current} → {new})")
