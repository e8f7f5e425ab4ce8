"""Agents' corrections as training data: each category an agent set by hand is a labelled example."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.settings import Settings
from triage import db
from triage.models import OrderHistory, WorkOrder


def category_corrections(source: Settings | sessionmaker[Session]) -> list[dict[str, Any]]:
    """Every category correction, oldest first: ``{"text", "title", "code", "order_number", "corrected_at"}``.

    The last correction of an order wins (an agent may correct twice).
    """
    if isinstance(source, Settings):
        source = db.make_sessionmaker(db.make_engine(source.resolved_database_url(), pool_size=1))
    stmt = (
        select(OrderHistory, WorkOrder)
        .join(WorkOrder, WorkOrder.id == OrderHistory.order_id)
        .where(OrderHistory.action == "corrected")
        .order_by(OrderHistory.id)
    )
    latest: dict[str, dict[str, Any]] = {}
    with source() as session:
        for history, order in session.execute(stmt):
            change = (history.changes or {}).get("category_code")
            if change:
                latest[order.number] = {
                    "text": order.text,
                    "title": order.title,
                    "code": change[1],
                    "order_number": order.number,
                    "corrected_at": history.at.isoformat(),
                }
    return list(latest.values())
