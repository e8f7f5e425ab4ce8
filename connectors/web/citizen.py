"""What the citizens' pages do on the server: file a report, look up an order by number and phone.

Citizens do not sign in. The pages act through ``CITIZEN``, a server-side principal of the web channel (history
shows ``citizen:web``); nothing secret reaches the browser. The rules are the API's: a citizen sees an order only
with the phone used on it, and only its public view (no history, phone masked).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from connectors.api.auth import Principal
from connectors.api.schemas import OrderView
from triage.lifecycle import Status
from triage.orders import IntakeInput, OrderNotFound

CITIZEN = Principal(key_id=0, name="web", role="citizen", department_id=None)
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
NUMBER = re.compile(r"^[A-Za-z]{1,4}\d{8}-\d{6}$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_NAME = 64
MAX_LOCATION = 200


@dataclass
class Filed:
    order: dict[str, Any] | None = None
    merged_into: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class LookedUp:
    order: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)
    notice: str | None = None


def clean(value: str | None) -> str:
    """NFC, control characters (except newlines) removed, surrounding space stripped."""
    value = unicodedata.normalize("NFC", value or "")
    return "".join(ch for ch in value if ch == "\n" or unicodedata.category(ch)[0] != "C").strip()


def _digits(phone: str | None) -> str:
    return re.sub(r"\D", "", phone or "")


def validate_report(form: dict[str, str], max_chars: int) -> tuple[dict[str, str], dict[str, str]]:
    """The cleaned fields and the errors (field → Chinese message)."""
    data = {name: clean(form.get(name)) for name in ("text", "location", "name", "phone", "token")}
    errors: dict[str, str] = {}
    if not data["text"]:
        errors["text"] = "请填写您要反映的问题。"
    elif len(data["text"]) > max_chars:
        errors["text"] = f"内容过长（最多 {max_chars} 字），请精简后再提交。"
    if len(data["location"]) > MAX_LOCATION:
        errors["location"] = f"地点最多 {MAX_LOCATION} 字。"
    if len(data["name"]) > MAX_NAME:
        errors["name"] = f"称呼最多 {MAX_NAME} 字。"
    if data["phone"] and not PHONE.match(data["phone"]):
        errors["phone"] = "请填写正确的手机或座机号码（只含数字、空格或短横线）。"
    return data, errors


def file_report(svc: Any, form: dict[str, str]) -> Filed:
    """A web-form report becomes a work order (a repeated submission of one form gives the same order)."""
    data, errors = validate_report(form, svc.settings.max_text_chars)
    if errors:
        return Filed(errors=errors)
    intake = IntakeInput(text=data["text"], channel="web", contact_name=data["name"] or None,
                         contact_phone=data["phone"] or None, location=data["location"] or None)
    scope = ("web-form", data["token"]) if TOKEN.match(data["token"]) else None
    order, _ = svc.orders.submit(intake, actor=CITIZEN.actor, idempotency=scope)
    merged_into = order.duplicate_of.number if order.status == Status.MERGED.value and order.duplicate_of else None
    return Filed(order=OrderView.from_order(order, "public").model_dump(), merged_into=merged_into)


def look_up(svc: Any, form: dict[str, str]) -> LookedUp:
    """The public view of an order, if the phone matches the one on it; urges it when asked (催办)."""
    number, phone = clean(form.get("number")).upper(), clean(form.get("phone"))
    errors: dict[str, str] = {}
    if not NUMBER.match(number):
        errors["number"] = "请填写完整的工单编号，例如 FS20261121-000123。"
    if not PHONE.match(phone):
        errors["phone"] = "请填写提交诉求时留下的电话号码。"
    if errors:
        return LookedUp(errors=errors)
    try:
        order = svc.orders.get(number)
    except OrderNotFound:
        return LookedUp()
    if not _digits(order.contact_phone) or _digits(phone) != _digits(order.contact_phone):
        return LookedUp()  # the same answer as an unknown number: numbers cannot be probed
    notice = None
    if form.get("urge") == "1" and Status(order.status) not in (Status.CLOSED, Status.FOLLOWED_UP, Status.MERGED):
        order = svc.orders.note(number, actor=CITIZEN.actor, action="urged", reason=clean(form.get("note"))[:500] or "市民催办")
        notice = "已为您催办，工作人员会尽快处理。"
    return LookedUp(order=OrderView.from_order(order, "public").model_dump(), notice=notice)
