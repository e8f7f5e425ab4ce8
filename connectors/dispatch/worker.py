"""The dispatcher worker: reads order events from a Redis stream (consumer group) and delivers each order to its
department's webhook.

One loop, small on purpose:
1. re-publish outbox rows that were committed but never reached Redis;
2. finish this consumer's own pending entries first (a restarted worker resumes where it stopped), then claim
   entries that another, dead consumer left pending for too long;
3. read new entries.
A failed delivery stays pending and is retried with exponential backoff (``RETRY_SCHEDULE``), so an order waits in
the queue while a department's system is down and goes out when it is back. An entry is acknowledged only once the
order is recorded as delivered (or can never be delivered).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from dataclasses import dataclass

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
from triage.lifecycle import Status
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

    # -- queue plumbing ------------------------------------------------------------------------------------------

    def ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(keys.ORDER_EVENTS, keys.DISPATCH_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _due(self, entry_id: str, now: float) -> bool:
        raw = self.redis.hget(keys.RETRY_SCHEDULE, entry_id)
        return raw is None or json.loads(raw)["next_at"] <= now

    def _schedule_retry(self, entry_id: str, now: float) -> float:
        raw = self.redis.hget(keys.RETRY_SCHEDULE, entry_id)
        attempts = (json.loads(raw)["attempts"] if raw else 0) + 1
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
            if respect_schedule and not self._due(entry_id, now):
                continue
            outcome = self.handle(fields)
            handled += 1
            if outcome.ack:
                self._finish(entry_id)
            else:
                delay = self._schedule_retry(entry_id, now)
                log.warning("delivery of %s failed (%s); retry in %.0fs", fields.get("number"), outcome.note, delay)
        return handled

    def step(self, block_ms: int = 1000) -> int:
        """One pass of the loop; returns how many entries were worked on."""
        now = time.monotonic()
        if now - self._last_relay >= self.settings.outbox_relay_after_s:
            self._last_relay = now
            self.outbox.relay(self.settings.outbox_relay_after_s)

        own = self.redis.xreadgroup(keys.DISPATCH_GROUP, self.consumer, {keys.ORDER_EVENTS: "0"}, count=100)
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
        self.ensure_group()
        log.info("dispatcher %s started on %s", self.consumer, keys.ORDER_EVENTS)
        while not stop.is_set():
            try:
                self.step(block_ms)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.error("Redis unavailable (%s); retrying in 2s", exc)
                stop.wait(2)
            except Exception:  # noqa: BLE001 — keep serving other orders; the entry stays pending
                log.exception("dispatcher step failed; retrying in 2s")
                stop.wait(2)

    # -- one delivery ---------------------------------------------------------------------------------------------

    def handle(self, fields: dict[str, str]) -> Outcome:
        """Deliver the order named by one stream entry."""
        order_id = int(fields["order_id"])
        with self.sessions() as session:
            order = session.get(WorkOrder, order_id)
            if order is None:
                return Outcome(True, "order not found")
            if order.dispatch_state == "delivered" or order.status != Status.REGISTERED:
                return Outcome(True, f"nothing to do (state {order.dispatch_state}, status {order.status})")
            order.history  # noqa: B018
            payload = OrderView.from_order(order, "department").model_dump(mode="json")
            department_id = order.department_id
        try:
            department = self.city.department(department_id or "")
        except KeyError:
            return Outcome(True, f"department {department_id!r} is not in the city configuration")
        if department.webhook is None:
            result = DeliveryResult(True, None, "no webhook: the department reads its web inbox")
        else:
            result = deliver(self.http, department.webhook, "order.dispatched", f"{payload['number']}:{department.id}", payload)
        self._record(order_id, department.id, department.name, result)
        return Outcome(result.ok, result.error or f"HTTP {result.status_code}")

    def _record(self, order_id: int, department_id: str, department_name: str, result: DeliveryResult) -> None:
        with transaction(self.sessions) as session:
            order = session.get(WorkOrder, order_id, with_for_update={"of": WorkOrder})
            assert order is not None
            session.add(
                Delivery(order_id=order_id, department_id=department_id, ok=result.ok, status_code=result.status_code, error=result.error)
            )
            order.dispatch_attempts += 1
            if not result.ok:
                return
            before = order.status
            order.status, order.dispatch_state, order.delivered_at = Status.DISPATCHED.value, "delivered", utcnow()
            how = f"HTTP {result.status_code}" if result.status_code else result.error
            session.add(
                OrderHistory(
                    order_id=order_id,
                    actor=f"dispatcher:{self.consumer}",
                    action="dispatched",
                    changes={"status": [before, order.status]},
                    reason=f"已派遣至{department_name}（{how}）",
                )
            )
