"""API keys with roles. Only a key's SHA-256 is stored; lookups are cached briefly so auth costs no query per call.

Roles: ``citizen`` (a channel: web form, chat bot, app — files reports and follows its own), ``agent`` (hotline
staff: sees and corrects everything), ``department`` (sees only orders sent to its department), ``admin``.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from triage.db import transaction
from triage.models import ApiKey

ROLES = ("citizen", "agent", "department", "admin")


@dataclass(frozen=True)
class Principal:
    key_id: int
    name: str
    role: str
    department_id: str | None

    @property
    def actor(self) -> str:
        """How this caller appears in order history."""
        return f"{self.role}:{self.name}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(
    sessions: sessionmaker[Session], *, name: str, role: str, department_id: str | None = None, key: str | None = None
) -> str:
    """Store a new key and return it in clear (shown once). ``key`` lets an operator choose it (bootstrap)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if role == "department" and not department_id:
        raise ValueError("a department key needs department_id")
    key = key or f"hk_{role[:3]}_{secrets.token_urlsafe(24)}"
    with transaction(sessions) as session:
        exists = session.execute(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).scalar_one_or_none()
        if exists is None:
            session.add(ApiKey(key_hash=hash_key(key), name=name, role=role, department_id=department_id))
    return key


class KeyStore:
    """Resolves presented keys to principals, with a short TTL cache (revocations take effect within ``ttl_s``)."""

    def __init__(self, sessions: sessionmaker[Session], ttl_s: float = 30.0):
        self.sessions = sessions
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def resolve(self, key: str) -> Principal | None:
        digest = hash_key(key)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        with self.sessions() as session:
            row = session.execute(select(ApiKey).where(ApiKey.key_hash == digest)).scalar_one_or_none()
            principal = (
                Principal(row.id, row.name, row.role, row.department_id) if row is not None and not row.revoked else None
            )
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now, principal)
        return principal
