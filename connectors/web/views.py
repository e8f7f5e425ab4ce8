"""Formatting helpers the templates use: local times, deadlines, labels, confidences (all in Chinese)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from triage.lifecycle import OPEN_STATUSES, STATUS_LABELS, Status

URGENCY_LABELS: dict[str, str] = {"normal": "一般", "urgent": "紧急", "emergency": "特急"}
CHANNEL_LABELS: dict[str, str] = {
    "phone": "电话", "web": "网页", "app": "App", "chat": "在线对话", "wechat": "微信", "sms": "短信", "open311": "Open311",
}
ACTION_LABELS: dict[str, str] = {
    "created": "受理", "corrected": "坐席修正", "accepted": "审核立案", "dispatched": "派遣送达", "dead_lettered": "派遣失败",
    "signed": "签收", "returned": "退单", "reassigned": "改派", "extension_requested": "延期申请",
    "extension_approved": "延期批准", "extension_rejected": "延期驳回", "handled": "处置完成", "verified": "核查通过",
    "rework": "返工", "closed": "结案", "followed_up": "回访", "urged": "催办", "satisfied": "市民满意",
    "complained": "市民投诉", "merged": "合并", "reporter_added": "新增反映人", "warned": "预警", "escalated": "督办",
}
FIELD_LABELS: dict[str, str] = {
    "status": "状态", "category_code": "分类代码", "category_name": "分类", "department_id": "部门代码",
    "department_name": "责任部门", "urgency": "紧急程度", "location_normalized": "地点", "street": "街道", "grid": "网格",
    "deadline": "处置时限", "result_note": "处置结果", "photo_url": "现场照片", "needs_review": "待审核",
    "reporter_count": "反映人次", "report": "关联工单", "signed_at": "签收时间", "handled_at": "处置时间",
}


class Clock:
    """Shows times in the city's zone and measures deadlines against ``now``."""

    def __init__(self, tz_name: str, now: datetime | None = None):
        self.tz = ZoneInfo(tz_name)
        self.now = now or datetime.now(timezone.utc)

    def local(self, value: datetime | str | None, fmt: str = "%m-%d %H:%M") -> str:
        """``11-21 14:05`` in the city's zone; ``—`` for nothing."""
        if value is None or value == "":
            return "—"
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return value
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(self.tz).strftime(fmt)

    def overdue(self, order: Any) -> bool:
        """An open order past its deadline (督办)."""
        deadline = getattr(order, "deadline", None)
        return bool(deadline and Status(order.status) in OPEN_STATUSES and deadline < self.now)

    def remaining(self, order: Any) -> str:
        """``剩 3.5 小时`` / ``超时 2.0 小时`` / ``—``."""
        deadline = getattr(order, "deadline", None)
        if not deadline or Status(order.status) not in OPEN_STATUSES:
            return "—"
        hours = (deadline - self.now).total_seconds() / 3600
        if hours < 0:
            return f"超时 {-hours:.1f} 小时"
        if hours >= 48:
            return f"剩 {hours / 24:.1f} 天"
        return f"剩 {hours:.1f} 小时"


def percent(value: float | None) -> str:
    """``87%``, or ``—`` when there is no figure (a zero denominator)."""
    return "—" if value is None else f"{value * 100:.0f}%"


def hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} 小时"


def status_label(status: str) -> str:
    try:
        return STATUS_LABELS[Status(status)]
    except ValueError:
        return status


ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")


def change_text(changes: dict[str, Any] | None, clock: Clock | None = None) -> str:
    """A history row's changes as ``状态：受理 → 立案；分类：… → …`` (times in the city's zone with ``clock``)."""
    parts = []
    for name, pair in (changes or {}).items():
        before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        if clock is not None:
            before, after = (clock.local(v) if isinstance(v, str) and ISO_TIME.match(v) else v for v in (before, after))
        if name == "status":
            before, after = status_label(before) if before else "—", status_label(after) if after else "—"
        if name == "urgency":
            before, after = URGENCY_LABELS.get(before, before), URGENCY_LABELS.get(after, after)
        parts.append(f"{FIELD_LABELS.get(name, name)}：{before if before not in (None, '') else '—'} → {after if after not in (None, '') else '—'}")
    return "；".join(parts)


def template_globals() -> dict[str, Any]:
    """Functions and tables every template may use."""
    return {
        "percent": percent,
        "hours": hours,
        "status_label": status_label,
        "change_text": change_text,
        "URGENCY_LABELS": URGENCY_LABELS,
        "CHANNEL_LABELS": CHANNEL_LABELS,
        "ACTION_LABELS": ACTION_LABELS,
        "STATUS_LABELS": {s.value: label for s, label in STATUS_LABELS.items()},
    }
