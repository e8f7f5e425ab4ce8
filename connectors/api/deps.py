"""Dependencies injected into the routers: the app's services and the authenticated caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import redis
from fastapi import Depends
from fastapi.security import APIKeyHeader, APIKeyQuery
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from connectors.api.auth import KeyStore, Principal
from connectors.api.errors import ApiError
from hotline.city import CityConfig
from hotline.pipeline import Pipeline
from hotline.settings import Settings
from triage.orders import OrderService

API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key (header)")
API_KEY_QUERY = APIKeyQuery(name="api_key", auto_error=False, description="API key (query; for WebSocket clients)")


@dataclass
class AppServices:
    """Everything the routers use, built once at start-up (``connectors.api.app.build_services``)."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    redis: redis.Redis
    pipeline: Pipeline
    city: CityConfig
    orders: OrderService
    keys: KeyStore
    extras: dict[str, Any]


def services(conn: HTTPConnection) -> AppServices:
    return conn.app.state.services


Services = Annotated[AppServices, Depends(services)]


def _presented_key(conn: HTTPConnection) -> str | None:
    return conn.headers.get("x-api-key") or conn.query_params.get("api_key")


SESSION_USER = "user"
"""Key of the signed-in user's principal in the web session (set by the web pages' sign-in)."""


def session_principal(conn: HTTPConnection) -> Principal | None:
    """The person signed in to the web pages, if the session middleware is installed and has one."""
    data = conn.scope.get("session", {}).get(SESSION_USER)
    return Principal(**data) if data else None


def require_roles(*roles: str) -> Callable[..., Principal]:
    """A dependency that admits callers with one of ``roles`` (401 without valid credentials, 403 wrong role).

    Credentials: an API key (header ``X-API-Key`` or query ``api_key``, for HTTP and WebSocket), or else the web
    session of a signed-in user (the session cookie is SameSite=strict, and the API takes JSON bodies only).
    """

    def dependency(conn: HTTPConnection) -> Principal:
        key = _presented_key(conn)
        if not key:
            signed_in = session_principal(conn)
            if signed_in is not None:
                return _admit(signed_in)
            raise ApiError(401, "missing_api_key", "缺少 API 密钥（X-API-Key）", "missing API key (X-API-Key header)")
        return _admit(services(conn).keys.resolve(key))

    def _admit(principal: Principal | None) -> Principal:
        if principal is None:
            raise ApiError(401, "invalid_api_key", "API 密钥无效或已停用", "invalid or revoked API key")
        if principal.role not in roles:
            raise ApiError(403, "forbidden", "当前角色无权执行此操作", f"role {principal.role!r} may not do this")
        return principal

    return dependency


def documented_key(
    _header: Annotated[str | None, Depends(API_KEY_HEADER)], _query: Annotated[str | None, Depends(API_KEY_QUERY)]
) -> None:
    """No-op dependency that makes the key schemes appear in the OpenAPI document."""


CitizenOrStaff = Annotated[Principal, Depends(require_roles("citizen", "agent", "admin"))]
Staff = Annotated[Principal, Depends(require_roles("agent", "admin"))]
AnyRole = Annotated[Principal, Depends(require_roles("citizen", "agent", "supervisor", "department", "admin"))]


