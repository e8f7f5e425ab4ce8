"""Every Redis key and stream the product uses, named in one place."""

from triage.orders import ORDER_EVENTS_STREAM

ORDER_EVENTS = ORDER_EVENTS_STREAM
"""Stream of order events (``order.dispatch`` …), written from the outbox."""

DISPATCH_GROUP = "dispatchers"
"""Consumer group of the dispatcher workers on ``ORDER_EVENTS``."""

RETRY_SCHEDULE = "hotline:dispatch:retry"
"""Hash: stream entry id → JSON ``{"attempts": n, "next_at": unix seconds}`` for deliveries that failed."""

ESCALATION_LOCK = "hotline:escalation:lock"
"""Lock so that one worker at a time scans deadlines."""

DEAD_LETTERS = "hotline:orders:dead"
"""Stream of deliveries given up after ``settings.dispatch_max_attempts`` failures (an agent must act)."""

NOTIFICATIONS = "hotline:notifications"
"""Stream of alerts for people: dead letters, 预警 (deadline near), 督办 (deadline passed)."""

CALLBACK_SEEN_TTL_S = 2 * 24 * 3600


def callback_seen(department_id: str, delivery_id: str) -> str:
    """Marks a department callback as processed (makes a repeated callback harmless)."""
    return f"hotline:callbacks:seen:{department_id}:{delivery_id}"
