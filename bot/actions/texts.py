"""How the bot words what the API returns (Chinese, for citizens). Plain Python, no Rasa."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.actions.spoken import mask_phone

STATUS_LABELS: dict[str, str] = {
    "received": "已受理", "new": "已受理", "pending_review": "待人工审核", "review": "待人工审核",
    "registered": "已立案", "opened": "已立案", "dispatched": "已派遣", "assigned": "已派遣",
    "in_progress": "处置中", "handling": "处置中", "handled": "已处置，待核查", "verified": "已核查",
    "closed": "已结案", "returned": "退单，待改派", "rework": "返工中", "follow_up": "待回访",
}
"""Order status codes → the words the closed loop (受理→立案→派遣→处置→核查→结案→回访) uses."""

EMERGENCY_LINES: dict[str, str] = {
    "119": "请立即拨打119火警电话！远离危险区域，不要开关电器、不要使用明火。",
    "110": "请立即拨打110报警电话，注意自身安全！",
    "120": "请立即拨打120急救电话！在确保安全的前提下照看伤者。",
    "12319": "请同时拨打12319城建热线。",
}
GENERIC_EMERGENCY = "如有人员受伤或危险正在发生，请立即拨打119（火警）、120（急救）或110（报警）！"


def status_label(status: Any) -> str:
    """The Chinese label of an order status (the code itself when unknown)."""
    if isinstance(status, dict):
        status = status.get("label") or status.get("code") or status.get("name")
    text = str(status or "")
    return STATUS_LABELS.get(text, text or "处理中")


def format_deadline(value: Any) -> str | None:
    """``2026-11-22T18:00:00+08:00`` → ``11月22日 18:00``; ``None`` when absent or unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


def name_of(value: Any) -> str | None:
    """The ``name`` of a ``{"id","name"}``-like object, or the value itself when it is a string."""
    if isinstance(value, dict):
        return value.get("name") or value.get("normalized") or value.get("id")
    return value or None


def emergency_advice(line: str | None) -> str:
    """What to tell a caller in danger, for the emergency line the API chose (or a generic warning)."""
    if line and line in EMERGENCY_LINES:
        return EMERGENCY_LINES[line]
    return GENERIC_EMERGENCY


def summary(slots: dict[str, Any], analysis: dict[str, Any] | None) -> str:
    """The read-back before filing: what, where, since when, phone, and the analysed category/department."""
    phone = slots.get("contact_phone")
    lines = [
        "我跟您核对一下登记内容：",
        f"问题：{slots.get('problem_description') or '（未说明）'}",
        f"地点：{slots.get('problem_location') or '（未说明）'}",
        f"开始时间：{slots.get('problem_since') or '不清楚'}",
        f"联系电话：{mask_phone(phone) if phone and phone != 'none' else '未留'}",
    ]
    if analysis:
        category = name_of(analysis.get("category"))
        department = name_of(analysis.get("department"))
        if category or department:
            lines.append(f"（初步判断：{category or '待人工分类'}，拟转{department or '相关部门'}处理）")
    lines.append("以上信息对吗？确认请回复“对”，需要修改请直接说出要改的内容，比如“不对，地点是海五路”。")
    return "\n".join(lines)


def filed(order: dict[str, Any]) -> str:
    """The answer once an order is filed: number, department, deadline."""
    text = f"已为您登记，工单编号：{order.get('number')}。"
    department = name_of(order.get("department"))
    if department:
        text += f"已转交{department}处理"
        deadline = format_deadline(order.get("deadline"))
        text += f"，处理时限为{deadline}前。" if deadline else "。"
    else:
        text += "工作人员会尽快审核并派给相关部门。"
    text += "请记好工单编号，之后可以随时查询进度或催办。"
    return text


def order_view(order: dict[str, Any]) -> str:
    """One order's public view in a sentence."""
    parts = [f"工单{order.get('number')}：当前状态“{status_label(order.get('status'))}”"]
    category = name_of(order.get("category"))
    if category:
        parts.append(f"问题类型：{category}")
    department = name_of(order.get("department"))
    if department:
        parts.append(f"承办部门：{department}")
    deadline = format_deadline(order.get("deadline"))
    if deadline:
        parts.append(f"处理时限：{deadline}前")
    return "，".join(parts) + "。"
