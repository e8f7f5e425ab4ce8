"""Who is signed in to the pages, and which roles a page admits.

The principal is stored as ``dataclasses.asdict(principal)`` under ``connectors.api.deps.SESSION_USER``, the same key
the ``/v1`` API reads, so one sign-in serves the pages and their scripts.
"""

from __future__ import annotations

from dataclasses import asdict

from starlette.requests import Request

from connectors.api.auth import Principal
from connectors.api.deps import SESSION_USER, session_principal

ROLE_HOME: dict[str, str] = {
    "agent": "/agent",
    "admin": "/agent",
    "supervisor": "/supervisor",
    "department": "/dept",
}
"""Where each role lands after signing in."""

ROLE_LABELS: dict[str, str] = {"agent": "坐席", "admin": "管理员", "supervisor": "督办/主管", "department": "承办部门"}

STAFF_ROLES = ("agent", "admin")
READ_ALL_ROLES = ("agent", "admin", "supervisor")


class SignInRequired(Exception):
    """The page needs a signed-in user (answered with a redirect to the sign-in page)."""


class RoleForbidden(Exception):
    """The signed-in user's role may not open this page (answered with a Chinese 403 page)."""


def current_user(request: Request) -> Principal | None:
    """The signed-in person, or None."""
    return session_principal(request)


def sign_in(request: Request, principal: Principal) -> None:
    """Start a fresh session for ``principal`` (the old session's contents are dropped)."""
    request.session.clear()
    request.session[SESSION_USER] = asdict(principal)


def sign_out(request: Request) -> None:
    request.session.clear()


def require(request: Request, *roles: str) -> Principal:
    """The signed-in user if their role is one of ``roles``; otherwise ``SignInRequired`` / ``RoleForbidden``."""
    user = current_user(request)
    if user is None:
        raise SignInRequired()
    if user.role not in roles:
        raise RoleForbidden(user.role)
    return user


def home_for(user: Principal | None) -> str:
    return ROLE_HOME.get(user.role, "/") if user else "/"
