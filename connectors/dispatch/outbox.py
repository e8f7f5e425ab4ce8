"""Publishing committed outbox events to their Redis stream (and re-publishing any that were left behind)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from triage.db import relaxed_durability, transaction
from triage.models import OutboxEvent, utcnow

log = logging.getLogger(__name__)

STREAM_MAXLEN = 100_000
"""Streams are trimmed to about this many entries (acknowledged history; pending entries are never this old)."""


class OutboxPublisher:
    """Moves outbox rows onto Redis streams. Publishing twice is harmless: consumers skip delivered orders."""

    def __init__(self, sessions: sessionmaker[Session], client: redis.Redis):
        self.sessions = sessions
        self.redis = client

    def ping(self) -> None:
        """Raise ``redis.ConnectionError`` if Redis does not answer."""
        self.redis.ping()

    def _publish_rows(self, session: Session, rows: Iterable[OutboxEvent]) -> int:
        count = 0
        for row in rows:
            fields = {k: str(v) for k, v in row.payload.items() if v is not None}
            fields["outbox_id"] = str(row.id)
            self.redis.xadd(row.stream, fields, maxlen=STREAM_MAXLEN, approximate=True)
            row.published_at = utcnow()
            count += 1
        return count

    def publish(self, event_ids: Iterable[int]) -> None:
        """Publish these (committed) outbox rows now."""
        ids = list(event_ids)
        with transaction(self.sessions) as session:
            relaxed_durability(session)
            stmt = select(OutboxEvent).where(OutboxEvent.id.in_(ids), OutboxEvent.published_at.is_(None))
            self._publish_rows(session, session.execute(stmt).scalars())

    def relay(self, older_than_s: float, batch: int = 200) -> int:
        """Publish rows still unpublished after ``older_than_s`` seconds (their first publish failed). Returns count."""
        cutoff = utcnow() - timedelta(seconds=older_than_s)
        with transaction(self.sessions) as session:
            stmt = (
                select(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None), OutboxEvent.created_at < cutoff)
                .order_by(OutboxEvent.id)
                .limit(batch)
            )
            count = self._publish_rows(session, session.execute(stmt).scalars())
        if count:
            log.info("outbox relay published %d event(s) left behind", count)
        return count
