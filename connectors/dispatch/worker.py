"""The dispatcher worker: reads order events from a Redis stream (consumer group) and delivers them to departments'
webhooks; it also re-publishes outbox rows left behind and watches deadlines (预警/督办).

One loop, small on purpose:
1. re-publish outbox rows that were committed but never reached Redis; every ``escalation_every_s``, scan deadlines;
2. finish this consumer's own pending entries first (a restarted worker resumes where it stopped), then claim
   entries that another, dead consumer left pending for too long;
3. read new entries.
A failed delivery stays pending and is retried with exponential backoff (``RETRY_SCHEDULE``); after
``dispatch_max_attempts`` it goes to the dead-letter stream with an alert, and the order to the agents. An entry is
acknowledged only once its effect is recorded. If Redis lost its data (the consumer group is gone), every order
still queued in the database is published again.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.api.schemas import OrderView
from connectors.dispatch import keys
from connectors.dispatch.outbox import OutboxPublisher
from connectors.dispatch.webhook import DeliveryResult, deliver
from hotline.city import CityConfig
from hotline.settings import Settings
from triage.db import transaction
from triage.escalation import scan_deadlines
from triage.lifecycle import Action, Status
from triage.models import Delivery, OrderHistory, WorkOrder, utcnow

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to one stream entry: ``ack`` removes it from the pending list; otherwise it is retried."""

    ack: bool
    note: str


def default_consumer_name() -> str:
    """Stable per host, so a worker restarted on the same machine finds its own pending entries."""
    return f"dispatcher-{socket.gethostname()}"


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        client: redis.Redis,
        city: CityConfig,
        consumer: str | None = None,
        http: httpx.Client | None = None,
        claim_idle_ms: int = 60_000,
    ):
        self.settings = settings
        self.sessions = sessions
        self.redis = client
        self.city = city
        self.consumer = consumer or default_consumer_name()
        self.http = http or httpx.Client(timeout=settings.dispatch_timeout_s)
        self.outbox = OutboxPublisher(sessions, client)
        self.claim_idle_ms = claim_idle_ms
        self._last_relay = 0.0
        self._last_scan = 0.0
        self.handlers: dict[str, Callable[[dict[str, str]], Outcome]] = {
            "order.dispatch": self.deliver_order,
            "order.notice": self.deliver_notice,
        }

    # -- queue plumbing ------------------------------------------------------------------------------------------

    def ensure_group(self) -> None:
        """Create the consumer group if it is missing. Missing after a first start means Redis lost its data: then
        every order the database still holds as queued is published again."""
        try:
            self.redis.xgroup_create(keys.ORDER_EVENTS, keys.DISPATCH_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
            return
        self.requeue_from_database()

    def requeue_from_database(self) -> int:
        """Publish every queued order that has no event in the stream (lost with Redis's data)."""
        with self.sessions() as session:
            stmt = select(WorkOrder).where(WorkOrder.dispatch_state == "queued", WorkOrder.status == Status.REGISTERED)
            queued = list(session.execute(stmt).scalars())
        if not queued:
            return 0
        present = {fields.get("order_id") for _, fields in self.redis.xrange(keys.ORDER_EVENTS)}
        orders = [order for order in queued if str(order.id) not in present]
        for order in orders:
            fields = {"type": "order.dispatch", "order_id": str(order.id), "number": order.number}
            self.redis.xadd(keys.ORDER_EVENTS, {**fields, "department_id": order.department_id or ""})
        if orders:
            log.warning("consumer group was missing (Redis lost its data?): re-queued %d order(s) from the database", len(orders))
        return len(orders)

    def _retry_state(self, entry_id: str) -> dict[str, float]:
        raw = self.redis.hget(keys.RETRY_SCHEDULE, entry_id)
        return json.loads(raw) if raw else {"attempts": 0, "next_at": 0.0}

    def _schedule_retry(self, entry_id: str, attempts: int, now: float) -> float:
        delay = min(self.settings.dispatch_retry_base_s * 2 ** (attempts - 1), self.settings.dispatch_retry_max_s)
        self.redis.hset(keys.RETRY_SCHEDULE, entry_id, json.dumps({"attempts": attempts, "next_at": now + delay}))
        return delay

    def _finish(self, entry_id: str) -> None:
        self.redis.xack(keys.ORDER_EVENTS, keys.DISPATCH_GROUP, entry_id)
        self.redis.hdel(keys.RETRY_SCHEDULE, entry_id)

    def _process(self, entries: list[tuple[str, dict[str, str]]], *, respect_schedule: bool) -> int:
        handled, now = 0, time.time()
        for entry_id, fields in entries:
            if not fields:  # the entry was trimmed from the stream; nothing left to deliver
                self._finish(entry_id)
                continue
            state = self._retry_state(entry_id)
            if respect_schedule and state["next_at"] > now:
                continue
            handler = self.handlers.get(fields.get("type", ""))
            outcome = handler(fields) if handler else Outcome(True, f"unknown event type {fields.get('type')!r}")
            handled += 1
            if outcome.ack:
                self._finish(entry_id)
                continue
            attempts = int(state["attempts"]) + 1
            if attempts >= self.settings.dispatch_max_attempts:
                self._dead_letter(entry_id, fields, outcome.note, attempts)
            else:
                delay = self._schedule_retry(entry_id, attempts, now)
                log.warning("delivery of %s failed (%s); retry %d in %.0fs", fields.get("number"), outcome.note, attempts, delay)
        return handled

    def _dead_letter(self, entry_id: str, fields: dict[str, str], error: str, attempts: int) -> None:
        """Give up on an entry: keep it in the dead-letter stream, alert people, hand the order to the agents."""
        self.redis.xadd(keys.DEAD_LETTERS, {**fields, "error": error[:500], "attempts": str(attempts), "entry_id": entry_id})
        alert = {"type": "dispatch.dead_letter", "number": fields.get("number", ""), "department_id": fields.get("department_id", ""), "error": error[:200]}
        self.redis.xadd(keys.NOTIFICATIONS, alert)
        log.error("gave up delivering %s to %s after %d attempts: %s", fields.get("number"), fields.get("department_id"), attempts, error)
        if fields.get("type") == "order.dispatch":
            with transaction(self.sessions) as session:
                order = session.get(WorkOrder, int(fields["order_id"]), with_for_update={"of": WorkOrder, "key_share": True})
                if order is not None and order.dispatch_state != "delivered":
                    before = order.dispatch_state
                    order.dispatch_state, order.needs_review = "failed", True
                    order.review_reasons = [*(order.review_reasons or []), f"派单失败：{attempts}次推送均未成功，请人工联系部门"]
                    session.add(
                        OrderHistory(
                            order_id=order.id, actor=f"dispatcher:{self.consumer}", action=Action.DEAD_LETTERED,
                            changes={"dispatch_state": [before, "failed"]}, reason=f"推送失败{attempts}次：{error[:200]}",
                        )
                    )
        self._finish(entry_id)

    def _with_lock(self, key: str, ttl_s: float) -> bool:
        return bool(self.redis.set(key, self.consumer, nx=True, px=int(ttl_s * 1000)))

    def housekeeping(self) -> None:
        """Re-publish stale outbox rows; scan deadlines (one worker at a time)."""
        now = time.monotonic()
        if now - self._last_relay >= self.settings.outbox_relay_after_s:
            self._last_relay = now
            self.outbox.relay(self.settings.outbox_relay_after_s)
        if now - self._last_scan >= self.settings.escalation_every_s:
            self._last_scan = now
            if self._with_lock(keys.ESCALATION_LOCK, max(self.settings.escalation_every_s, 1.0)):
                self.escalate()

    def escalate(self) -> int:
        warn = timedelta(hours=self.settings.escalation_warn_before_h)
        found, events = scan_deadlines(self.sessions, utcnow(), warn)
        if events:
            self.outbox.publish(events)
        for item in found:
            kind = "order.overdue" if item.level == 2 else "order.deadline_near"
            self.redis.xadd(keys.NOTIFICATIONS, {"type": kind, "number": item.number, "department_id": item.department_id or "", "deadline": item.deadline.isoformat()})
        return len(found)

    def step(self, block_ms: int = 1000) -> int:
        """One pass of the loop; returns how many entries were worked on."""
        self.housekeeping()
        try:
            own = self.redis.xreadgroup(keys.DISPATCH_GROUP, self.consumer, {keys.ORDER_EVENTS: "0"}, count=100)
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self.ensure_group()  # Redis came back empty
            return 0
        handled = self._process(own[0][1] if own else [], respect_schedule=True)

        claimed = self.redis.xautoclaim(
            keys.ORDER_EVENTS, keys.DISPATCH_GROUP, self.consumer, self.claim_idle_ms, "0-0", count=50
        )
        handled += self._process(claimed[1], respect_schedule=True)

        fresh = self.redis.xreadgroup(
            keys.DISPATCH_GROUP, self.consumer, {keys.ORDER_EVENTS: ">"}, count=50, block=block_ms if not handled else 1
        )
        handled += self._process(fresh[0][1] if fresh else [], respect_schedule=False)
        return handled

    def run(self, stop: threading.Event | None = None, block_ms: int = 1000) -> None:
        """Work until ``stop`` is set; a lost Redis or database connection is waited out, not fatal."""
        stop = stop or threading.Event()
        log.info("dispatcher %s started on %s", self.consumer, keys.ORDER_EVENTS)
        while not stop.is_set():
            try:
                self.ensure_group()
                while not stop.is_set():
                    self.step(block_ms)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.error("Redis unavailable (%s); retrying in 2s", exc)
                stop.wait(2)
            except Exception:  # noqa: BLE001 — keep serving other orders; the entry stays pending
                log.exception("dispatcher step failed; retrying in 2s")
                stop.wait(2)

    # -- deliveries -----------------------------------------------------------------------------------------------

    def deliver_order(self, fields: dict[str, str]) -> Outcome:
        """Deliver the order named by one stream entry and record it as dispatched (派遣)."""
        order_id = int(fields["order_id"])
        with self.sessions() as session:
            order = session.get(WorkOrder, order_id)
            if order is None:
                return Outcome(True, "order not found")
            if order.dispatch_state == "delivered" or order.status != Status.REGISTERED:
                return Outcome(True, f"nothing to do (state {order.dispatch_state}, status {order.status})")
            order.history  # noqa: B018
            payload = OrderView.from_order(order, "department").model_dump(mode="json")
            department_id, seq = order.department_id, order.dispatch_seq
        try:
            department = self.city.department(department_id or "")
        except KeyError:
            return Outcome(True, f"department {department_id!r} is not in the city configuration")
        if department.webhook is None:
            result = DeliveryResult(True, None, "no webhook: the department reads its web inbox")
        else:
            # read from the same row as the status, so racing workers agree; a new (re)assignment gets a new id
            delivery_id = f"{payload['number']}:{department.id}:{seq}"
            result = deliver(self.http, department.webhook, "order.dispatched", delivery_id, payload)
        self._record(order_id, department.id, department.name, result)
        return Outcome(result.ok, result.error or f"HTTP {result.status_code}")

    def deliver_notice(self, fields: dict[str, str]) -> Outcome:
        """Tell a department something about an order it holds (督办, 返工, 延期审批)."""
        try:
            department = self.city.department(fields.get("department_id", ""))
        except KeyError:
            return Outcome(True, "no such department")
        if department.webhook is None:
            return Outcome(True, "no webhook")
        payload = {"number": fields["number"], "notice": fields.get("notice", ""), "outbox_id": fields.get("outbox_id")}
        result = deliver(self.http, department.webhook, "order.notice", f"notice:{fields.get('outbox_id')}", payload)
        with transaction(self.sessions) as session:
            session.add(Delivery(order_id=int(fields["order_id"]), department_id=department.id, ok=result.ok, status_code=result.status_code, error=result.error or "notice"))
        return Outcome(result.ok, result.error or f"HTTP {result.status_code}")

    def _record(self, order_id: int, department_id: str, department_name: str, result: DeliveryResult) -> None:
        with transaction(self.sessions) as session:
            order = session.get(WorkOrder, order_id, with_for_update={"of": WorkOrder, "key_share": True})
            assert order is not None
            session.add(
                Delivery(order_id=order_id, department_id=department_id, ok=result.ok, status_code=result.status_code, error=result.error)
            )
            order.dispatch_attempts += 1
            if not result.ok or order.status != Status.REGISTERED:
                return
            before = order.status
            order.status, order.dispatch_state, order.delivered_at = Status.DISPATCHED.value, "delivered", utcnow()
            how = f"HTTP {result.status_code}" if result.status_code else result.error
            session.add(
                OrderHistory(
                    order_id=order_id,
                    actor=f"dispatcher:{self.consumer}",
                    action=Action.DISPATCHED,
                    changes={"status": [before, order.status]},
                    reason=f"已派遣至{department_name}（{how}）",
                )
            )
