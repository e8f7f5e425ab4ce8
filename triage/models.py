"""Storage models (SQLAlchemy 2). Schemas that the API shows live apart, in ``connectors.api.schemas``.

Tables: ``work_orders`` (one row per order, its current state), ``order_history`` (append-only: every change, who,
when, why — database triggers refuse UPDATE and DELETE), ``order_counters`` (per-day order numbers), ``outbox``
(events written in the same transaction as the order, then published to Redis), ``deliveries`` (each attempt to hand
an order to a department) and ``api_keys``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every database (SQLite stores them naive; they come back as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class WorkOrder(Base):
    """A 工单: what the citizen said, what the assistant understood, where it went and where it stands."""

    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("idempotency_scope", "idempotency_key", name="uq_work_orders_idempotency"),
        Index("ix_work_orders_status_created", "status", "created_at"),
        Index("ix_work_orders_department_status", "department_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    """The citizen's own words, never rewritten."""

    contact_name: Mapped[str | None] = mapped_column(String(64))
    contact_phone: Mapped[str | None] = mapped_column(String(32), index=True)

    category_code: Mapped[str | None] = mapped_column(String(32), index=True)
    category_name: Mapped[str | None] = mapped_column(String(64))
    category_path: Mapped[list[Any] | None] = mapped_column(JSON)
    category_domain: Mapped[str | None] = mapped_column(String(32))
    category_confidence: Mapped[float | None] = mapped_column(Float)

    location_raw: Mapped[str | None] = mapped_column(String(200))
    location_normalized: Mapped[str | None] = mapped_column(String(200))
    district: Mapped[str | None] = mapped_column(String(32))
    street: Mapped[str | None] = mapped_column(String(32), index=True)
    community: Mapped[str | None] = mapped_column(String(32))
    adcode: Mapped[str | None] = mapped_column(String(12))
    grid: Mapped[str | None] = mapped_column(String(32), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    location_confidence: Mapped[float | None] = mapped_column(Float)

    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    emergency_handover: Mapped[str | None] = mapped_column(String(8))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    department_id: Mapped[str | None] = mapped_column(String(32))
    department_name: Mapped[str | None] = mapped_column(String(64))
    routing_reasons: Mapped[list[Any] | None] = mapped_column(JSON)

    status: Mapped[str] = mapped_column(String(16))
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    review_reasons: Mapped[list[Any] | None] = mapped_column(JSON)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    reporter_count: Mapped[int] = mapped_column(Integer, default=1)

    dispatch_state: Mapped[str] = mapped_column(String(16), default="held")
    """held (waits for an agent) | queued | delivered | failed."""
    dispatch_attempts: Mapped[int] = mapped_column(Integer, default=0)
    dispatch_seq: Mapped[int] = mapped_column(Integer, default=0)
    """How many times the order was queued for dispatch (改派 adds one): part of the delivery id departments dedupe on."""
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # The closed loop (timestamps denormalised from the history for measures and lists)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result_note: Mapped[str | None] = mapped_column(Text)
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    returned_count: Mapped[int] = mapped_column(Integer, default=0)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    """0 none, 1 预警 (deadline near), 2 督办 (deadline passed)."""
    pending_extension_hours: Mapped[float | None] = mapped_column(Float)
    pending_extension_reason: Mapped[str | None] = mapped_column(Text)

    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The pipeline's full output when the order was created (candidates, reasons, trace)."""

    idempotency_scope: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    history: Mapped[list[OrderHistory]] = relationship(
        back_populates="order", order_by="OrderHistory.id", cascade="save-update, merge"
    )
    duplicate_of: Mapped[WorkOrder | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)


class OrderHistory(Base):
    """One change to an order. Rows are only ever inserted (enforced by triggers created in the migration)."""

    __tablename__ = "order_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """``{field: [before, after]}``."""
    reason: Mapped[str] = mapped_column(Text, default="")

    order: Mapped[WorkOrder] = relationship(back_populates="history")


class OrderCounter(Base):
    """The last order number issued per prefix and day (``FS20261121`` → 123 gives ``FS20261121-000123``)."""

    __tablename__ = "order_counters"

    day_prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class OutboxEvent(Base):
    """An event committed with the order it is about; published to a Redis stream afterwards (transactional outbox)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class Delivery(Base):
    """One attempt to hand an order to a department's system."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    department_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")


class ApiKey(Base):
    """An API key (only its SHA-256 is stored) with a role and, for departments, the department it speaks for."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class User(Base):
    """A person who signs in to the web pages: an agent, a supervisor, a department's staff member, an admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    """``scrypt$n$r$p$salt_hex$hash_hex`` (see ``connectors.api.auth.hash_password``)."""
    role: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
