"""Every Redis key and stream the product uses, named in one place."""

from triage.orders import ORDER_EVENTS_STREAM

ORDER_EVENTS = ORDER_EVENTS_STREAM
"""Stream of order events (``order.dispatch`` …), written from the outbox."""

DISPATCH_GROUP = "dispatchers"
"""Consumer group of the dispatcher workers on ``ORDER_EVENTS``."""

RETRY_SCHEDULE = "hotline:dispatch:retry"
"""Hash: stream entry id → JSON ``{"attempts": n, "next_at": unix seconds}`` for deliveries that failed."""

OUTBOX_RELAY_LOCK = "hotline:outbox:relay-lock"
"""Lock so that only one worker at a time re-publishes stale outbox rows."""
