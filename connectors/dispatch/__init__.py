"""Getting orders to departments: Redis stream names, the outbox publisher, signed webhooks and the dispatcher worker."""
