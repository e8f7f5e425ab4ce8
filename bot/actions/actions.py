"""The bot's custom actions (rasa_sdk). Each one gathers what the dialogue needs and asks the product's API the rest.

Served by ``rasa run actions --actions bot.actions.actions`` from the repository root (see ``bot/serve.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions import texts
from bot.actions.api import ApiError, HotlineApi, NotFound, Rejected, Unavailable
from bot.actions.spoken import choose_candidate, normalize_text, parse_correction, parse_order_number, parse_phone

log = logging.getLogger(__name__)
API = HotlineApi()

INTERRUPTIONS = frozenset({"silence", "request_agent", "goodbye", "emergency", "greet", "thank"})
"""Intents that are never taken as the answer to a form's question (rules handle them)."""
NO_VALUE_INTENTS = frozenset({"dont_know", "deny"})
REPORT_SLOTS = ("problem_description", "problem_location", "problem_since", "contact_phone", "report_confirmed",
                "location_candidates", "awaiting_correction", "is_emergency", "emergency_line")
LOOKUP_SLOTS = ("lookup_purpose", "lookup_number", "lookup_phone", "lookup_note")
LOCATION_CONFIDENT = 0.6
"""Below this confidence, or with a runner-up this close, the caller picks among candidates."""
LOCATION_MARGIN = 0.15
MAX_LOCATION_ATTEMPTS = 2
MAX_CANDIDATES = 3


def latest_text(tracker: Tracker) -> str:
    return normalize_text(tracker.latest_message.get("text") or "")


def latest_intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def transcript(tracker: Tracker, limit: int = 60) -> list[dict[str, str]]:
    """The conversation so far as ``[{"role": "citizen"|"bot", "text"}]`` (silences left out)."""
    turns: list[dict[str, str]] = []
    for event in tracker.events:
        text = event.get("text")
        if not text or text.startswith("/"):
            continue
        if event.get("event") == "user":
            turns.append({"role": "citizen", "text": text})
        elif event.get("event") == "bot":
            turns.append({"role": "bot", "text": text})
    return turns[-limit:]


def reset(slots: tuple[str, ...]) -> list[EventType]:
    defaults = {"awaiting_correction": False, "is_emergency": False, "location_candidates": None}
    return [SlotSet(name, defaults.get(name)) for name in slots]


async def file_handover(tracker: Tracker, dispatcher: CollectingDispatcher, reason: str) -> bool:
    """Leave the conversation so far with the agents; tell the caller what happened. True when it was kept."""
    try:
        order = await API.handover(tracker.sender_id, transcript(tracker), reason)
    except ApiError as exc:
        log.warning("handover failed: %s", exc)
        dispatcher.utter_message(text="抱歉，人工客服暂时繁忙，请稍后再试，或直接拨打12345热线。")
        return False
    number = order.get("number")
    dispatcher.utter_message(text=f"已为您转人工客服，您的留言已记录（编号：{number}），工作人员会尽快与您联系。"
                             if number else "已为您转人工客服，您的留言已记录，工作人员会尽快与您联系。")
    return True


# --- report a problem ---------------------------------------------------------------------------------------------

def _candidate_names(analysis: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for place in analysis.get("location_candidates") or []:
        name = texts.name_of(place)
        if name and name not in names:
            names.append(name)
    return names[:MAX_CANDIDATES]


def judge_location(analysis: dict[str, Any]) -> tuple[str | None, list[str]]:
    """(the place to take, or None; the candidates to offer when it is ambiguous)."""
    location = analysis.get("location")
    candidates = analysis.get("location_candidates") or []
    names = _candidate_names(analysis)
    if location is None and not names:
        return None, []
    confidence = float((location or {}).get("confidence") or 0.0)
    runner_up = sorted((float(c.get("confidence") or 0) for c in candidates), reverse=True)[1:2]
    close = bool(runner_up) and confidence - runner_up[0] < LOCATION_MARGIN
    if location is not None and confidence >= LOCATION_CONFIDENT and not close:
        return texts.name_of(location), []
    if len(names) >= 2:
        return None, names
    if location is not None:
        return texts.name_of(location), []
    return names[0], []


class ActionStartReport(Action):
    """A report begins: keep the caller's words, warn at once in an emergency, take the place if it is clear."""

    def name(self) -> str:
        return "action_start_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        events: list[EventType] = [SlotSet("report_confirmed", None), SlotSet("awaiting_correction", False)]
        intent, text = latest_intent(tracker), latest_text(tracker)
        if intent not in ("report_problem", "emergency") or not text:
            return events
        events.append(SlotSet("problem_description", text))
        try:
            analysis = await API.analyse(text)
        except ApiError as exc:
            log.warning("analyse failed: %s", exc)
            analysis = {}
        emergency = intent == "emergency" or analysis.get("urgency") == "emergency"
        if emergency:
            line = analysis.get("emergency_handover")
            dispatcher.utter_message(text=texts.emergency_advice(line) + "同时我马上为您登记紧急工单。")
            events += [SlotSet("is_emergency", True), SlotSet("emergency_line", line), SlotSet("problem_since", "刚刚")]
        place, candidates = judge_location(analysis) if analysis else (None, [])
        if place and not candidates:
            events.append(SlotSet("problem_location", place))
        elif candidates:
            events.append(SlotSet("location_candidates", candidates))
        return events


class ActionEmergencyAdvice(Action):
    """An emergency mentioned in the middle of a form: warn at once, mark the report urgent, then carry on."""

    def name(self) -> str:
        return "action_emergency_advice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        line = None
        try:
            line = (await API.analyse(text)).get("emergency_handover")
        except ApiError as exc:
            log.warning("analyse failed: %s", exc)
        dispatcher.utter_message(text=texts.emergency_advice(line))
        description = tracker.get_slot("problem_description")
        merged = f"{description}；{text}" if description and text not in description else (description or text)
        return [SlotSet("is_emergency", True), SlotSet("emergency_line", line), SlotSet("problem_description", merged)]


class ActionAskProblemLocation(Action):
    """Ask where; when the place was ambiguous, offer the ranked candidates."""

    def name(self) -> str:
        return "action_ask_problem_location"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        candidates = tracker.get_slot("location_candidates") or []
        if candidates:
            listing = "\n".join(f"{i}. {name}" for i, name in enumerate(candidates, 1))
            dispatcher.utter_message(
                text=f"您说的地点可能是以下几处，请问是哪一个？\n{listing}\n可以回复序号，也可以说得更具体一些。",
                buttons=[{"title": name, "payload": name} for name in candidates])
        else:
            dispatcher.utter_message(text="请问问题发生在什么地方？可以说路名和门牌号、小区名，或者附近的标志性建筑。")
        return []


class ActionAskReportConfirmed(Action):
    """Read the report back (with the analysed category and department) and ask for confirmation."""

    def name(self) -> str:
        return "action_ask_report_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("awaiting_correction"):
            dispatcher.utter_message(text="好的，请告诉我需要修改的内容，比如“不对，地点是海五路”或“电话是幺三八……”。")
            return []
        slots = {name: tracker.get_slot(name) for name in REPORT_SLOTS}
        try:
            analysis = await API.analyse(slots["problem_description"] or "", slots["problem_location"])
        except ApiError as exc:
            log.warning("analyse failed: %s", exc)
            analysis = None
        dispatcher.utter_message(text=texts.summary(slots, analysis),
                                 buttons=[{"title": "对，提交", "payload": "对"},
                                          {"title": "需要修改", "payload": "需要修改"}])
        return []


class ValidateReportForm(FormValidationAction):
    """Extracts every answer of the report form (any slot may be corrected at any time) and checks it."""

    def name(self) -> str:
        return "validate_report_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        if tracker.get_slot("is_emergency"):  # file at once: what, where, who
            return [s for s in domain_slots if s not in ("problem_since", "report_confirmed")]
        return domain_slots

    # -- extraction: one place decides which slot the caller's words fill ----------------------------------------

    def _answer_for(self, slot: str, tracker: Tracker) -> Any:
        """The value the latest message gives ``slot``, or ``None``."""
        intent, text = latest_intent(tracker), latest_text(tracker)
        if not text or intent in INTERRUPTIONS or text.startswith("/"):
            return None
        requested = tracker.get_slot("requested_slot")
        if intent == "correct" or (tracker.get_slot("awaiting_correction") and requested == "report_confirmed"):
            correction = parse_correction(text)
            if correction is None:
                return None
            target = correction.slot
            if target is None:
                target = requested if requested not in (None, "report_confirmed") else "problem_description"
            return correction.value if target == slot else None
        if slot != requested:
            if slot == "contact_phone" and requested != "contact_phone" and tracker.get_slot("contact_phone") is None:
                return parse_phone(text)  # a phone given early is kept
            return None
        if slot == "report_confirmed":
            return {"affirm": True, "deny": False}.get(intent)
        if slot == "problem_since" and intent == "dont_know":
            return "不清楚"
        if slot == "contact_phone" and intent in NO_VALUE_INTENTS:
            return "none"
        return text

    async def extract_problem_description(self, dispatcher, tracker, domain) -> dict[str, Any]:
        value = self._answer_for("problem_description", tracker)
        return {"problem_description": value} if value else {}

    async def extract_problem_location(self, dispatcher, tracker, domain) -> dict[str, Any]:
        value = self._answer_for("problem_location", tracker)
        return {"problem_location": value} if value else {}

    async def extract_problem_since(self, dispatcher, tracker, domain) -> dict[str, Any]:
        value = self._answer_for("problem_since", tracker)
        return {"problem_since": value} if value else {}

    async def extract_contact_phone(self, dispatcher, tracker, domain) -> dict[str, Any]:
        value = self._answer_for("contact_phone", tracker)
        return {"contact_phone": value} if value else {}

    async def extract_report_confirmed(self, dispatcher, tracker, domain) -> dict[str, Any]:
        value = self._answer_for("report_confirmed", tracker)
        if value is None and tracker.get_slot("requested_slot") == "report_confirmed" and latest_intent(tracker) == "correct":
            return {}
        return {"report_confirmed": value} if value is not None else {}

    # -- validation ----------------------------------------------------------------------------------------------

    async def validate_problem_description(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        text = normalize_text(str(value or ""))
        if len(text) < 2:
            dispatcher.utter_message(text="请再具体说一下是什么问题。")
            return {"problem_description": None}
        return {"problem_description": text[:2000], "awaiting_correction": False}

    async def validate_problem_location(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        text = normalize_text(str(value or ""))
        candidates = tracker.get_slot("location_candidates") or []
        if candidates:
            picked = choose_candidate(text, candidates)
            if picked is not None:
                return {"problem_location": candidates[picked], "location_candidates": None,
                        "awaiting_correction": False}
        if not text:
            return {"problem_location": None}
        try:
            analysis = await API.analyse(tracker.get_slot("problem_description") or text, text)
        except ApiError as exc:  # never block a citizen on our own outage: an agent reviews the place
            log.warning("analyse failed: %s", exc)
            return {"problem_location": text, "location_candidates": None, "awaiting_correction": False}
        place, offered = judge_location(analysis)
        attempts = float(tracker.get_slot("location_attempts") or 0) + 1
        if offered:
            return {"problem_location": None, "location_candidates": offered, "location_attempts": attempts}
        if place:
            return {"problem_location": place, "location_candidates": None, "location_attempts": 0,
                    "awaiting_correction": False}
        if attempts > MAX_LOCATION_ATTEMPTS:  # keep the caller's words; an agent will place it
            return {"problem_location": text, "location_candidates": None, "location_attempts": 0,
                    "awaiting_correction": False}
        dispatcher.utter_message(text=f"没能在本辖区找到“{text[:30]}”，请说得再具体一些，比如路名加门牌号，"
                                      "或附近的商场、学校、公园。")
        return {"problem_location": None, "location_candidates": None, "location_attempts": attempts}

    async def validate_problem_since(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        text = normalize_text(str(value or ""))[:100]
        return {"problem_since": text or "不清楚", "awaiting_correction": False}

    async def validate_contact_phone(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        if value == "none":
            dispatcher.utter_message(text="好的，不留电话也可以登记，但工作人员将无法回访您。")
            return {"contact_phone": "none", "awaiting_correction": False}
        phone = parse_phone(str(value or ""))
        if phone is None:
            dispatcher.utter_message(text="这个号码好像不完整，请再说一遍，比如“幺三八零零幺三八零零零”，"
                                          "座机请带区号。")
            return {"contact_phone": None}
        return {"contact_phone": phone, "awaiting_correction": False}

    async def validate_report_confirmed(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is True:
            return {"report_confirmed": True, "awaiting_correction": False}
        return {"report_confirmed": None, "awaiting_correction": True}


class ActionFileReport(Action):
    """File the confirmed report through ``POST /v1/intake`` and tell the number, department and deadline."""

    def name(self) -> str:
        return "action_file_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        description = tracker.get_slot("problem_description")
        if not description:
            return reset(REPORT_SLOTS)
        since = tracker.get_slot("problem_since")
        text = description if not since or since in ("不清楚", "刚刚") else f"{description}（开始时间：{since}）"
        phone = tracker.get_slot("contact_phone")
        counter = int(tracker.get_slot("reports_filed") or 0) + 1
        try:
            order = await API.intake(text=text, location=tracker.get_slot("problem_location"),
                                     phone=phone if phone and phone != "none" else None,
                                     idempotency_key=f"chat:{tracker.sender_id}:{counter}")
        except (Unavailable, Rejected) as exc:
            log.warning("intake failed: %s", exc)
            if await file_handover(tracker, dispatcher, "intake_failed"):
                dispatcher.utter_message(text="系统暂时无法自动登记，您反映的内容已完整转给人工客服处理。")
            return reset(REPORT_SLOTS) + [SlotSet("reports_filed", counter)]
        if tracker.get_slot("is_emergency"):
            dispatcher.utter_message(text="已按紧急工单处理。" + texts.emergency_advice(tracker.get_slot("emergency_line")))
        dispatcher.utter_message(text=texts.filed(order))
        return reset(REPORT_SLOTS) + [SlotSet("reports_filed", counter),
                                      SlotSet("last_order_number", order.get("number"))]


# --- progress, 催办, complaints --------------------------------------------------------------------------------------

PURPOSES: dict[str, str] = {"query_progress": "query", "urge": "urge", "complain": "complain"}


class ActionStartLookup(Action):
    """A progress question, 催办 or complaint begins: note the purpose and any number or phone already given."""

    def name(self) -> str:
        return "action_start_lookup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        purpose = PURPOSES.get(latest_intent(tracker), "query")
        events: list[EventType] = [SlotSet("lookup_purpose", purpose), SlotSet("lookup_note", text)]
        number = parse_order_number(text)
        if number is None and "刚才" in text and tracker.get_slot("last_order_number"):
            number = tracker.get_slot("last_order_number")
        if number:
            events.append(SlotSet("lookup_number", number))
        phone = parse_phone(text)
        if phone:
            events.append(SlotSet("lookup_phone", phone))
        return events


class ValidateLookupForm(FormValidationAction):
    """Order number (or “不记得”) and the phone used on the order."""

    def name(self) -> str:
        return "validate_lookup_form"

    async def extract_lookup_number(self, dispatcher, tracker, domain) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "lookup_number" or latest_intent(tracker) in INTERRUPTIONS:
            return {}
        text = latest_text(tracker)
        number = parse_order_number(text)
        if number:
            return {"lookup_number": number}
        if latest_intent(tracker) in NO_VALUE_INTENTS or any(w in text for w in ("不记得", "忘了", "不知道", "没有")):
            return {"lookup_number": "none"}
        return {"lookup_number": text} if text else {}

    async def extract_lookup_phone(self, dispatcher, tracker, domain) -> dict[str, Any]:
        if latest_intent(tracker) in INTERRUPTIONS:
            return {}
        phone = parse_phone(latest_text(tracker))
        if phone:
            return {"lookup_phone": phone}
        if tracker.get_slot("requested_slot") == "lookup_phone" and latest_text(tracker):
            return {"lookup_phone": latest_text(tracker)}
        return {}

    async def validate_lookup_number(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        if value == "none":
            return {"lookup_number": "none"}
        number = parse_order_number(str(value or ""))
        if number is None:
            dispatcher.utter_message(text="没听清工单编号，请再说一遍；不记得的话可以说“不记得”。")
            return {"lookup_number": None}
        return {"lookup_number": number}

    async def validate_lookup_phone(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        phone = parse_phone(str(value or ""))
        if phone is None:
            dispatcher.utter_message(text="这个号码好像不完整，请再说一遍登记时留的电话。")
            return {"lookup_phone": None}
        return {"lookup_phone": phone}


class ActionOrderFollowup(Action):
    """Answer the lookup: progress, 催办 or complaint, through the API (which never shows others' orders)."""

    def name(self) -> str:
        return "action_order_followup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        purpose = tracker.get_slot("lookup_purpose") or "query"
        number, phone = tracker.get_slot("lookup_number"), tracker.get_slot("lookup_phone")
        note = tracker.get_slot("lookup_note") or ""
        try:
            if number in (None, "none"):
                number = await self._by_phone(dispatcher, purpose, phone)
                if number is None:
                    return reset(LOOKUP_SLOTS)
            handler = {"query": self._query, "urge": self._urge, "complain": self._complain}[purpose]
            await handler(dispatcher, number, phone, note)
        except NotFound:
            dispatcher.utter_message(text=f"没有查到编号为{number}、登记电话为该号码的工单，请核对工单编号和电话后再试。")
        except Rejected:
            dispatcher.utter_message(text=f"工单{number}目前无法办理该操作（可能已结案或刚催办过），如有疑问可以说“转人工”。")
        except Unavailable as exc:
            log.warning("order lookup failed: %s", exc)
            dispatcher.utter_message(text="抱歉，工单系统暂时无法访问，请稍后再试，或说“转人工”。")
        return reset(LOOKUP_SLOTS)

    async def _by_phone(self, dispatcher: CollectingDispatcher, purpose: str, phone: str) -> str | None:
        orders = await API.list_orders(phone)
        if not orders:
            dispatcher.utter_message(text="该电话名下没有查到工单。如需反映新问题，请直接告诉我。")
            return None
        open_orders = [o for o in orders if texts.status_label(o.get("status")) != "已结案"]
        if purpose == "query" or len(orders) > 1 and purpose == "urge" and len(open_orders) != 1:
            lines = [texts.order_view(o) for o in orders[:5]]
            dispatcher.utter_message(text=f"该电话名下共有{len(orders)}张工单：\n" + "\n".join(lines))
            if purpose != "query":
                dispatcher.utter_message(text="请说“催办”加上工单编号，我来为您办理。")
            return None
        if purpose == "urge":
            return open_orders[0].get("number") if open_orders else orders[0].get("number")
        return orders[0].get("number")

    async def _query(self, dispatcher: CollectingDispatcher, number: str, phone: str, note: str) -> None:
        dispatcher.utter_message(text=texts.order_view(await API.get_order(number, phone)))

    async def _urge(self, dispatcher: CollectingDispatcher, number: str, phone: str, note: str) -> None:
        order = await API.urge(number, phone, note or "市民来电催办")
        department = texts.name_of(order.get("department")) or "承办部门"
        dispatcher.utter_message(text=f"已为您催办工单{number}，我们会督促{department}尽快处理。"
                                      + texts.order_view(order))

    async def _complain(self, dispatcher: CollectingDispatcher, number: str, phone: str, note: str) -> None:
        await API.feedback(number, phone, False, note or "市民对处理结果不满意")
        dispatcher.utter_message(text=f"已记录您对工单{number}处理情况的意见，将安排回访并视情况返工，工作人员会与您联系。")


# --- handover, fallback -------------------------------------------------------------------------------------------

HANDOVER_REASONS: dict[str, str] = {"consult": "consult", "out_of_scope": "out_of_scope",
                                    "request_agent": "citizen_request", "nlu_fallback": "not_understood"}


class ActionHandover(Action):
    """Hand the conversation to an agent as a 'leave a message' order (rules end any open form first)."""

    def name(self) -> str:
        return "action_handover"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = latest_intent(tracker)
        if intent in ("consult", "out_of_scope"):
            dispatcher.utter_message(text="这个问题我暂时回答不了，我帮您转给人工客服。")
        await file_handover(tracker, dispatcher, HANDOVER_REASONS.get(intent, "other"))
        return [SlotSet("fallback_count", 0)] + reset(REPORT_SLOTS) + reset(LOOKUP_SLOTS)


class ActionFallback(Action):
    """Not understood: ask to rephrase once; the second time in a row, hand over to an agent."""

    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        count = int(tracker.get_slot("fallback_count") or 0) + 1
        if count >= 2:
            await file_handover(tracker, dispatcher, "not_understood")
            return [SlotSet("fallback_count", 0)]
        dispatcher.utter_message(response="utter_default")
        return [SlotSet("fallback_count", count)]
