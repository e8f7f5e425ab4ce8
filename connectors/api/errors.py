"""Errors the API answers with: one JSON shape, a Chinese message for people and an English one for developers.

``{"error": {"code": "...", "message": "中文说明", "message_en": "English", "details": ...}}``
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from triage.lifecycle import TransitionError
from triage.orders import IdempotencyConflict, OrderNotFound

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, message_en: str, details: Any = None):
        super().__init__(message_en)
        self.status, self.code, self.message, self.message_en, self.details = status, code, message, message_en, details


def error_response(status: int, code: str, message: str, message_en: str, details: Any = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "message_en": message_en, "details": details}}
    return JSONResponse(body, status_code=status)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.message_en, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        if any(d["type"] == "extra_forbidden" for d in details):
            fields = ", ".join(str(d["loc"][-1]) for d in details if d["type"] == "extra_forbidden")
            return error_response(422, "unknown_field", f"请求包含未知字段：{fields}", f"unknown field(s): {fields}", details)
        if any(d["loc"][-1:] == ["text"] for d in details):
            return error_response(422, "empty_text", "诉求内容不能为空", "text must not be empty", details)
        return error_response(422, "validation_error", "请求内容不符合要求", "request validation failed", details)

    @app.exception_handler(OrderNotFound)
    async def _not_found(_request: Request, exc: OrderNotFound) -> JSONResponse:
        return error_response(404, "order_not_found", f"未找到工单 {exc}", f"order {exc} not found")

    @app.exception_handler(IdempotencyConflict)
    async def _conflict(_request: Request, exc: IdempotencyConflict) -> JSONResponse:
        return error_response(
            409,
            "idempotency_conflict",
            "该幂等键已用于另一份不同的请求",
            "this Idempotency-Key was already used with a different request",
        )

    @app.exception_handler(TransitionError)
    async def _transition(_request: Request, exc: TransitionError) -> JSONResponse:
        return error_response(409, "invalid_transition", f"工单状态不允许此操作：{exc}", f"transition not allowed: {exc}")

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    async def _db_down(_request: Request, exc: Exception) -> JSONResponse:
        # Only a lost or refused connection is "unavailable"; any other database error is a bug and stays a 500.
        lost = isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)) or getattr(exc, "connection_invalidated", False)
        if not lost:
            raise exc
        log.error("database unavailable: %s", type(exc).__name__)
        return error_response(503, "database_unavailable", "数据库暂时不可用，工单未保存，请稍后重试", "database unavailable; nothing was saved, retry later")

    @app.exception_handler(redis.ConnectionError)
    @app.exception_handler(redis.TimeoutError)
    async def _redis_down(_request: Request, exc: Exception) -> JSONResponse:
        log.error("redis unavailable: %s", type(exc).__name__)
        return error_response(503, "queue_unavailable", "派单队列暂时不可用，工单未保存，请稍后重试", "queue (Redis) unavailable; nothing was saved, retry later")
