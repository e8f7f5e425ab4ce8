"""Who is calling: API keys (systems, channels) and user accounts (people signing in to the web pages), with roles.

Only a key's SHA-256 and a password's scrypt hash are stored; key lookups are cached briefly so auth costs no query
per call.

Roles: ``citizen`` (a channel: web form, chat bot, app — files reports and follows its own), ``agent`` (hotline
staff: sees and corrects everything), ``supervisor`` (sees everything and the measures, changes nothing),
``department`` (sees and acts only on orders sent to its department), ``admin``.
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
from triage.models import ApiKey, User

ROLES = ("citizen", "agent", "supervisor", "department", "admin")
USER_ROLES = ("agent", "supervisor", "department", "admin")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


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


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (hashlib.scrypt: memory-hard, in the standard library)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return secrets.compare_digest(candidate.hex(), digest)


def create_user(
    sessions: sessionmaker[Session], *, username: str, password: str, role: str, display_name: str | None = None,
    department_id: str | None = None,
) -> None:
    """Add a person who signs in to the web pages (replaces the password if the user exists)."""
    if role not in USER_ROLES:
        raise ValueError(f"role must be one of {USER_ROLES}")
    if role == "department" and not department_id:
        raise ValueError("a department user needs department_id")
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    with transaction(sessions) as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            user = User(username=username, display_name=display_name or username, role=role, password_hash="")
            session.add(user)
        user.password_hash, user.role, user.department_id = hash_password(password), role, department_id
        user.display_name = display_name or user.display_name


def authenticate_user(sessions: sessionmaker[Session], username: str, password: str) -> Principal | None:
    """The user's principal if the password is right and the account is enabled (``key_id`` is minus the user id)."""
    with sessions() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or user.disabled or not verify_password(password, user.password_hash):
        return None
    return Principal(-user.id, user.username, user.role, user.department_id)


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
