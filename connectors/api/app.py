"""The FastAPI service: ``create_app()`` builds the services from settings and mounts the routers.

Routers stay thin: they validate, authorise and call ``triage.orders.OrderService``; storage, analysis and queues are
built here once and injected (``connectors.api.deps``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from fastapi import Depends, FastAPI

from connectors import redis_conn
from connectors.api.auth import KeyStore, create_key
from connectors.api.body_guard import BodyGuard
from connectors.api.deps import AppServices, documented_key, require_roles
from connectors.api.errors import install_error_handlers
from connectors.api.routers import health, intake, loop, orders
from connectors.dispatch.outbox import OutboxPublisher
from hotline import __version__
from hotline.city import CityConfig, cached_city
from hotline.pipeline import Pipeline, load_pipeline
from hotline.settings import Settings, get_settings
from triage import db
from triage.orders import OrderService

log = logging.getLogger(__name__)

# Routers other packages ship: (module, roles allowed; empty = the router authenticates itself). Mounted when the
# module is present. A router module may declare ``BODY_LIMITS = {path_prefix: bytes}`` for bodies larger than the
# API's default (audio uploads).
OPTIONAL_ROUTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("connectors.api.routers.speech", ("agent", "admin", "citizen")),
    ("connectors.api.routers.chat", ("citizen", "agent", "admin")),
    ("connectors.api.routers.open311", ()),
    ("connectors.api.routers.kpi", ("agent", "supervisor", "admin")),
)


def build_services(settings: Settings, city: CityConfig | None = None, pipeline: Pipeline | None = None) -> AppServices:
    """Connect to the database and Redis; load the city and the pipeline unless they are given."""
    url = settings.resolved_database_url()
    if settings.auto_migrate:
        db.upgrade(url)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    client = redis_conn.connect(settings)
    city = city or cached_city(settings.city_dir.resolve())
    pipeline = pipeline or load_pipeline(settings)
    publisher = OutboxPublisher(sessions, client)
    if settings.bootstrap_admin_key:
        create_key(sessions, name="bootstrap-admin", role="admin", key=settings.bootstrap_admin_key)

    @lru_cache(maxsize=1)
    def taxonomy() -> Any:
        from nlu.taxonomy import load_taxonomy

        return load_taxonomy(city.file("taxonomy_extension"))

    return AppServices(
        settings=settings,
        engine=engine,
        sessions=sessions,
        redis=client,
        pipeline=pipeline,
        city=city,
        orders=OrderService(sessions, pipeline, city, publisher, duplicates=_duplicate_finder(settings, city)),
        keys=KeyStore(sessions),
        extras={"taxonomy": taxonomy},
    )


def _in_process_handover(services: AppServices) -> Any:
    """What the chat relay calls when the bot is down: the citizen's words become an order for the agents."""
    from starlette.concurrency import run_in_threadpool

    from connectors.api.routers.intake import file_handover
    from connectors.api.schemas import HandoverRequest

    async def handover(conversation_id: str, transcript: list[dict[str, str]], reason: str) -> dict[str, Any]:
        body = HandoverRequest(conversation_id=conversation_id, transcript=transcript, reason=reason)
        order, _ = await run_in_threadpool(file_handover, services, "chat:relay", "chat-relay", body)
        return {"number": order.number}

    return handover


def _duplicate_finder(settings: Settings, city: CityConfig) -> Any:
    """The configured duplicate finder (``triage.duplicates.make_duplicate_finder``), if that module is present."""
    try:
        from triage.duplicates import make_duplicate_finder
    except ModuleNotFoundError as exc:
        if exc.name == "triage.duplicates":
            return None
        raise
    return make_duplicate_finder(settings, city)


def _mount_optional(app: FastAPI) -> dict[str, int]:
    """Mount the optional routers present; return their body limits."""
    limits: dict[str, int] = {}
    for module_name, roles in OPTIONAL_ROUTERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        app.include_router(module.router, dependencies=[Depends(require_roles(*roles))] if roles else [])
        limits.update(getattr(module, "BODY_LIMITS", {}))
    return limits


def create_app(settings: Settings | None = None, services: AppServices | None = None) -> FastAPI:
    """The service. Pass ``services`` to share already-built ones (tests, the demo)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "services", None) is None:
            app.state.services = build_services(settings)
        app.state.pipeline = app.state.services.pipeline  # for routers that only need analysis
        app.state.handover = _in_process_handover(app.state.services)
        yield
        app.state.services.engine.dispose()

    app = FastAPI(
        title="12345 热线智能受理 API",
        version=__version__,
        description="Citizens' reports in, classified, located and routed work orders out. "
        "Every /v1 call needs an API key (header X-API-Key).",
        lifespan=lifespan,
    )
    app.state.services = services
    if services is not None:
        app.state.pipeline = services.pipeline
        app.state.handover = _in_process_handover(services)
    install_error_handlers(app)
    app.include_router(health.router)
    for router in (intake.router, orders.router, loop.router):
        app.include_router(router, dependencies=[Depends(documented_key)])
    limits = _mount_optional(app) | _mount_web(app, settings)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes, limits=limits)
    return app


def _mount_web(app: FastAPI, settings: Settings) -> dict[str, int]:
    """The web pages (``connectors.web.mount(app, settings)``: pages, static files, sign-in sessions), if present;
    returns their body limits."""
    try:
        from connectors import web
    except ModuleNotFoundError as exc:
        if exc.name == "connectors.web":
            return {}
        raise
    return web.mount(app, settings)
