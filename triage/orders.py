"""The order service: a citizen's report becomes a stored work order, with its history and its dispatch event.

Guarantees (tested against SQLite and PostgreSQL):
- one ``Idempotency-Key`` gives one order, however often or concurrently it is retried;
- an order and its dispatch event are committed in one transaction (transactional outbox), so an accepted order is
  never lost between the database and Redis; the event is then published, and the worker's relay re-publishes any
  event left unpublished;
- the queue is checked before anything is written, so with Redis down the caller gets an error and nothing is stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hotline.case import Case
from hotline.city import CityConfig
from triage.db import relaxed_durability, transaction
from triage.lifecycle import OPEN_STATUSES, STATUS_LABELS, Action, Status, TransitionError, check_transition
from triage.models import OrderCounter, OrderHistory, OutboxEvent, WorkOrder, utcnow

ORDER_EVENTS_STREAM = "hotline:orders:events"
"""Name of the Redis stream order events go to (re-exported by ``connectors.dispatch.keys``)."""


class EventPublisher(Protocol):
    """What the order service needs from the queue: a health check and a way to publish committed events."""

    def ping(self) -> None: ...

    def publish(self, event_ids: Iterable[int]) -> None: ...


@dataclass
class DuplicateMatch:
    """An open order this report repeats (合并/关联), and why the finder thinks so."""

    order_id: int
    number: str
    score: float
    reasons: list[str]


class DuplicateFinder(Protocol):
    """Finds an open order about the same problem (same or similar category, same place, recent, similar words)."""

    def find(self, session: Session, case: Case, now: datetime) -> DuplicateMatch | None: ...


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different request."""


class OrderNotFound(Exception):
    """No order with that number (or not visible to the caller)."""


@dataclass
class OrderFilter:
    """Which orders to list; every field given must match (``category_code`` as a prefix, dates as a range)."""

    status: str | None = None
    department_id: str | None = None
    category_code: str | None = None
    street: str | None = None
    urgency: str | None = None
    needs_review: bool | None = None
    contact_phone: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    overdue: bool | None = None
    """True: open orders past their deadline; False: the others."""
    escalation_level: int | None = None
    q: str | None = None
    """Free text: part of the number, the citizen's words, the title or the place (case-insensitive)."""

    def conditions(self) -> list[Any]:
        equal = {
            WorkOrder.status: self.status,
            WorkOrder.department_id: self.department_id,
            WorkOrder.street: self.street,
            WorkOrder.urgency: self.urgency,
            WorkOrder.needs_review: self.needs_review,
            WorkOrder.contact_phone: self.contact_phone,
        }
        found: list[Any] = [column == value for column, value in equal.items() if value is not None]
        if self.category_code:
            found.append(WorkOrder.category_code.startswith(self.category_code))
        if self.created_from:
            found.append(WorkOrder.created_at >= self.created_from)
        if self.created_to:
            found.append(WorkOrder.created_at < self.created_to)
        if self.escalation_level is not None:
            found.append(WorkOrder.escalation_level == self.escalation_level)
        if self.q and self.q.strip():
            needle = self.q.strip()[:100]
            columns = (WorkOrder.number, WorkOrder.text, WorkOrder.title, WorkOrder.location_normalized)
            found.append(or_(*(column.icontains(needle, autoescape=True) for column in columns)))
        if self.overdue is not None:
            late = WorkOrder.status.in_([s.value for s in OPEN_STATUSES]) & (WorkOrder.deadline < utcnow())
            found.append(late if self.overdue else ~late)
        return found


@dataclass
class IntakeInput:
    """What a channel hands to intake (already validated by the API or CLI)."""

    text: str
    channel: str = "web"
    title: str = ""
    contact_name: str | None = None
    contact_phone: str | None = None
    location: str | None = None
    category_code: str | None = None
    """A category the channel already chose (Open311 ``service_code``); the classifier keeps it if it exists."""
    review_reason: str | None = None
    """Set by channels that know a person must look at it (e.g. a chat handed over to an agent)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Channel context kept with the analysis (e.g. a chat transcript)."""

    def fingerprint(self) -> str:
        """A hash of the request, to tell a true retry from a reused Idempotency-Key."""
        payload = json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _upsert_for(session: Session):  # type: ignore[no-untyped-def]
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def next_order_number(factory: sessionmaker[Session], prefix: str, tz: ZoneInfo, now: datetime) -> str:
    """Issue the next number of the day, e.g. ``FS20261121-000123``, in its own short transaction.

    Kept apart from the order's transaction so that concurrent intakes do not queue on the counter row for the whole
    analysis-and-write; the cost is a gap in the numbers when an order write fails after numbering.
    """
    day_prefix = f"{prefix}{now.astimezone(tz):%Y%m%d}"
    with transaction(factory) as session:
        relaxed_durability(session)
        insert = _upsert_for(session)
        stmt = (
            insert(OrderCounter)
            .values(day_prefix=day_prefix, value=1)
            .on_conflict_do_update(index_elements=["day_prefix"], set_={"value": OrderCounter.value + 1})
            .returning(OrderCounter.value)
        )
        value = session.execute(stmt).scalar_one()
    return f"{day_prefix}-{value:06d}"


def _case_columns(case: Case) -> dict[str, Any]:
    """The order columns that come from the analysis."""
    cat, place, dept = case.category, case.location, case.department
    return {
        "category_code": cat.code if cat else None,
        "category_name": cat.name if cat else None,
        "category_path": cat.path if cat else None,
        "category_domain": cat.domain if cat else None,
        "category_confidence": round(cat.confidence, 4) if cat else None,
        "location_raw": place.raw if place else None,
        "location_normalized": place.normalized if place else None,
        "district": place.district if place else None,
        "street": place.street if place else None,
        "community": place.community if place else None,
        "adcode": place.adcode if place else None,
        "grid": place.grid if place else None,
        "lon": place.lon if place else None,
        "lat": place.lat if place else None,
        "location_confidence": round(place.confidence, 4) if place else None,
        "urgency": case.urgency,
        "emergency_handover": case.emergency_handover,
        "deadline": case.deadline,
        "department_id": dept.id if dept else None,
        "department_name": dept.name if dept else None,
        "routing_reasons": dept.reasons if dept else None,
        "needs_review": bool(case.review_reasons),
        "review_reasons": list(case.review_reasons),
    }


class OrderService:
    """Creates and changes work orders. Thin routers and the CLI call this; it knows nothing about HTTP."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        analyse: Callable[[Case], Case],
        city: CityConfig,
        publisher: EventPublisher,
        duplicates: DuplicateFinder | None = None,
    ):
        self.sessions = sessions
        self.analyse = analyse
        self.city = city
        self.publisher = publisher
        self.duplicates = duplicates
        self.tz = ZoneInfo(city.timezone)

    # -- intake ---------------------------------------------------------------------------------------------------

    def find_by_idempotency(self, scope: str, key: str) -> WorkOrder | None:
        with self.sessions() as session:
            stmt = select(WorkOrder).where(WorkOrder.idempotency_scope == scope, WorkOrder.idempotency_key == key)
            return session.execute(stmt).scalar_one_or_none()

    def _replay(self, scope: str, key: str, fingerprint: str) -> WorkOrder | None:
        existing = self.find_by_idempotency(scope, key)
        if existing is not None and existing.request_hash != fingerprint:
            raise IdempotencyConflict(key)
        return existing

    def build_case(self, data: IntakeInput, received_at: datetime | None = None) -> Case:
        """Run the analysis pipeline on an intake (no storage)."""
        case = Case(
            text=data.text,
            channel=data.channel,
            title=data.title,
            location_hint=data.location,
            category_hint=data.category_code,
            received_at=received_at or datetime.now(timezone.utc),
        )
        case.notes.update(data.extra)
        case = self.analyse(case)
        if data.review_reason:
            case.needs_review(data.review_reason)
        return case

    def submit(
        self, data: IntakeInput, *, actor: str, idempotency: tuple[str, str] | None = None
    ) -> tuple[WorkOrder, bool]:
        """Create the order for ``data``; returns ``(order, created)``. ``created`` is False for a replayed key."""
        fingerprint = data.fingerprint()
        if idempotency is not None:
            existing = self._replay(*idempotency, fingerprint)
            if existing is not None:
                return existing, False

        case = self.build_case(data)
        self.publisher.ping()  # fail before writing anything if the queue is down
        number = next_order_number(self.sessions, self.city.order_prefix, self.tz, case.received_at or utcnow())
        try:
            order, event_ids = self._store(case, data, number, actor, idempotency, fingerprint)
        except IntegrityError:
            if idempotency is None:
                raise
            existing = self._replay(*idempotency, fingerprint)  # a concurrent retry won the race
            if existing is None:
                raise
            return existing, False
        if event_ids:
            try:
                self.publisher.publish(event_ids)
            except Exception:  # noqa: BLE001 — the order is committed; the worker's outbox relay publishes it later
                pass
        return order, True

    def _store(
        self,
        case: Case,
        data: IntakeInput,
        number: str,
        actor: str,
        idempotency: tuple[str, str] | None,
        fingerprint: str,
    ) -> tuple[WorkOrder, list[int]]:
        with transaction(self.sessions) as session:
            match = self.duplicates.find(session, case, case.received_at or utcnow()) if self.duplicates else None
            auto_dispatch = match is None and not case.review_reasons and case.department is not None
            status = Status.MERGED if match else (Status.REGISTERED if auto_dispatch else Status.RECEIVED)
            order = WorkOrder(
                number=number,
                channel=data.channel,
                title=data.title,
                text=data.text,
                contact_name=data.contact_name,
                contact_phone=data.contact_phone,
                status=status.value,
                dispatch_state="queued" if auto_dispatch else ("merged" if match else "held"),
                duplicate_of_id=match.order_id if match else None,
                analysis=case.to_dict(),
                idempotency_scope=idempotency[0] if idempotency else None,
                idempotency_key=idempotency[1] if idempotency else None,
                request_hash=fingerprint,
                created_by=actor,
                created_at=case.received_at or utcnow(),
                **_case_columns(case),
            )
            session.add(order)
            session.flush()
            if match:
                why = f"与工单 {match.number} 反映同一问题，已合并：" + "；".join(match.reasons)
                self._add_reporter(session, match, order, actor)
            elif auto_dispatch:
                why = "自动立案并派遣"
            else:
                why = "待坐席审核：" + "；".join(case.review_reasons)
            created = OrderHistory(
                order_id=order.id, actor=actor, action=Action.CREATED, changes={"status": [None, status.value]}, reason=why
            )
            session.add(created)
            event_ids = [self.queue_event(session, order)] if auto_dispatch else []
            order.history, order.duplicate_of  # noqa: B018 — load them before the session closes
        return order, event_ids

    @staticmethod
    def _add_reporter(session: Session, match: DuplicateMatch, order: WorkOrder, actor: str) -> None:
        """Tie another citizen's report to the open order it repeats: one more reporter, one case."""
        # FOR NO KEY UPDATE: compatible with the KEY SHARE lock that concurrent reports' foreign keys take on the
        # parent, so several people reporting one problem at once queue up instead of deadlocking.
        parent = session.get(WorkOrder, match.order_id, with_for_update={"of": WorkOrder, "key_share": True})
        assert parent is not None
        parent.reporter_count += 1
        session.add(
            OrderHistory(
                order_id=parent.id,
                actor=actor,
                action=Action.REPORTER_ADDED,
                changes={"reporter_count": [parent.reporter_count - 1, parent.reporter_count], "report": [None, order.number]},
                reason=f"又一位市民反映同一问题（{order.number}，相似度{match.score:.2f}）",
            )
        )

    @staticmethod
    def queue_event(session: Session, order: WorkOrder, event_type: str = "order.dispatch", **extra: Any) -> int:
        """Add an outbox event about ``order`` to the current transaction; returns its id (publish after commit)."""
        if event_type == "order.dispatch":
            order.dispatch_seq = (order.dispatch_seq or 0) + 1
        payload = {"type": event_type, "order_id": order.id, "number": order.number, "department_id": order.department_id}
        event = OutboxEvent(stream=ORDER_EVENTS_STREAM, payload={**payload, **extra})
        session.add(event)
        session.flush()
        return event.id

    # -- reading --------------------------------------------------------------------------------------------------

    def get(self, number: str, *, department_id: str | None = None) -> WorkOrder:
        """The order with this number; with ``department_id``, only if it was sent to that department."""
        with self.sessions() as session:
            stmt = select(WorkOrder).where(WorkOrder.number == number)
            order = session.execute(stmt).scalar_one_or_none()
            if order is None or (department_id is not None and order.department_id != department_id):
                raise OrderNotFound(number)
            order.history, order.duplicate_of  # noqa: B018 — load before the session closes
            return order

    def list(self, filters: OrderFilter, *, limit: int = 50, offset: int = 0) -> tuple[list[WorkOrder], int]:
        """Orders matching every filter given, newest first, and the total count."""
        conditions = filters.conditions()
        with self.sessions() as session:
            total = session.execute(select(func.count()).select_from(WorkOrder).where(*conditions)).scalar_one()
            stmt = select(WorkOrder).where(*conditions).order_by(WorkOrder.id.desc()).limit(limit).offset(offset)
            return list(session.execute(stmt).scalars()), total

    # -- changes --------------------------------------------------------------------------------------------------

    def change(
        self,
        number: str,
        actor: str,
        action: str | Callable[[], str],
        reason: str,
        apply: Callable[[Session, WorkOrder, list[int]], dict[str, list[Any]]],
        *,
        department_id: str | None = None,
    ) -> WorkOrder:
        """Load (locked), change and record one history row, in one transaction; then publish the events ``apply``
        queued (it appends their outbox ids to the list it is given). ``action`` may be a callable, read after
        ``apply`` ran (when the outcome decides what is recorded). With ``department_id``, only an order sent to that
        department is found."""
        event_ids: list[int] = []
        with transaction(self.sessions) as session:
            stmt = select(WorkOrder).where(WorkOrder.number == number).with_for_update(of=WorkOrder, key_share=True)
            order = session.execute(stmt).scalar_one_or_none()
            if order is None or (department_id is not None and order.department_id != department_id):
                raise OrderNotFound(number)
            changes = apply(session, order, event_ids)
            recorded = action() if callable(action) else action
            session.add(OrderHistory(order_id=order.id, actor=actor, action=recorded, changes=changes, reason=reason))
            session.flush()
            order.history, order.duplicate_of  # noqa: B018
        if event_ids:
            try:
                self.publisher.publish(event_ids)
            except Exception:  # noqa: BLE001 — committed; the relay publishes it
                pass
        return order

    def correct(self, number: str, *, actor: str, reason: str, fields: dict[str, Any]) -> WorkOrder:
        """An agent corrects suggested fields (category, location, department, urgency). Kept as training data."""

        def apply(_session: Session, order: WorkOrder, _events: list[int]) -> dict[str, list[Any]]:
            changes: dict[str, list[Any]] = {}
            for name, value in fields.items():
                before = getattr(order, name)
                if before != value:
                    setattr(order, name, value)
                    changes[name] = [before, value]
            return changes

        self.publisher.ping()
        return self.change(number, actor, Action.CORRECTED, reason, apply)

    def accept(self, number: str, *, actor: str, reason: str = "坐席审核通过") -> WorkOrder:
        """An agent accepts a reviewed order: 立案 and queue it for dispatch."""

        def apply(session: Session, order: WorkOrder, events: list[int]) -> dict[str, list[Any]]:
            if not order.department_id:
                raise ValueError("工单尚未指定责任部门，不能派遣")
            if Status(order.status) not in (Status.RECEIVED, Status.RETURNED):
                raise TransitionError(f"工单状态为“{STATUS_LABELS[Status(order.status)]}”，无需审核")
            check_transition(order.status, Status.REGISTERED)
            before = order.status
            order.status, order.needs_review, order.dispatch_state = Status.REGISTERED.value, False, "queued"
            events.append(self.queue_event(session, order))
            return {"status": [before, order.status]}

        self.publisher.ping()
        return self.change(number, actor, Action.ACCEPTED, reason, apply)

    def note(self, number: str, *, actor: str, action: str, reason: str) -> WorkOrder:
        """Record a citizen's 催办, feedback or any note in the history without changing fields."""
        return self.change(number, actor, action, reason, lambda _s, _o, _e: {})
