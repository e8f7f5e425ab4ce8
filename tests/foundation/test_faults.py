"""Dependencies going down: a clear 503, nothing half-written, and service back when they return.

The database and Redis are the real servers, reached through a loopback TCP proxy that the test cuts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from connectors.api.app import build_services, create_app
from connectors.api.auth import create_key
from connectors.dispatch.department_server import DepartmentServer
from hotline.pipeline import Pipeline
from tests.support.stack import MANHOLE, STALLS, city_for, make_settings
from tests.support.tcp_proxy import TcpProxy
from triage.db import normalize_url
from triage.models import OutboxEvent, WorkOrder


def via(proxy: TcpProxy, url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}")
    return parts._replace(netloc=netloc).geturl()


class Faulty:
    def __init__(self, client: TestClient, key: str, db_url: str, db: TcpProxy, redis: TcpProxy):
        self.client, self.key, self.db_url, self.db, self.redis = client, key, db_url, db, redis

    def intake(self, body: dict | None = None):  # type: ignore[no-untyped-def]
        return self.client.post("/v1/intake", json=body or {"text": MANHOLE}, headers={"X-API-Key": self.key})

    def counts(self) -> tuple[int, int]:
        """Orders and outbox events, read directly (not through the proxy)."""
        engine = create_engine(normalize_url(self.db_url))
        with engine.connect() as conn:
            result = (
                conn.execute(select(func.count()).select_from(WorkOrder)).scalar_one(),
                conn.execute(select(func.count()).select_from(OutboxEvent)).scalar_one(),
            )
        engine.dispose()
        return result


@pytest.fixture
def faulty(
    tmp_path: Path,
    postgres_url: str,
    redis_url: str,
    pipeline: Pipeline,
    department_server: DepartmentServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Faulty]:
    pg, rd = urlsplit(postgres_url), urlsplit(redis_url)
    db_proxy, redis_proxy = TcpProxy(pg.hostname, pg.port), TcpProxy(rd.hostname, rd.port)
    settings = make_settings(tmp_path, via(db_proxy, postgres_url), via(redis_proxy, redis_url))
    services = build_services(settings, city=city_for(department_server, monkeypatch), pipeline=pipeline)
    key = create_key(services.sessions, name="web", role="citizen")
    with TestClient(create_app(settings, services)) as client:
        yield Faulty(client, key, postgres_url, db_proxy, redis_proxy)
    db_proxy.close()
    redis_proxy.close()


def test_database_down_is_503_and_nothing_is_half_written(faulty: Faulty) -> None:
    assert faulty.intake().status_code == 201
    faulty.db.cut()
    r = faulty.intake()
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "database_unavailable" and "未保存" in r.json()["error"]["message"]
    ready = faulty.client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith("unavailable")
    assert faulty.counts() == (1, 1)
    faulty.db.restore()
    assert faulty.intake({"text": STALLS}).status_code == 201  # another problem (the same one would be merged)
    assert faulty.counts() == (2, 2)


def test_redis_down_is_503_and_nothing_is_stored(faulty: Faulty) -> None:
    faulty.redis.cut()
    r = faulty.intake()
    assert r.status_code == 503 and r.json()["error"]["code"] == "queue_unavailable"
    ready = faulty.client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["redis"].startswith("unavailable")
    assert faulty.counts() == (0, 0)
    faulty.redis.restore()
    assert faulty.intake().status_code == 201
    assert faulty.counts() == (1, 1)


def test_an_order_written_before_redis_fell_is_kept_for_the_relay(faulty: Faulty, monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis answers the pre-write check, then falls before the publish: the order stands, its event waits."""
    services = faulty.client.app.state.services  # type: ignore[attr-defined]
    publisher = services.orders.publisher
    original = publisher.publish

    def fall_then_publish(ids):  # type: ignore[no-untyped-def]
        faulty.redis.cut()
        return original(ids)

    monkeypatch.setattr(publisher, "publish", fall_then_publish)
    r = faulty.intake()
    assert r.status_code == 201  # accepted: the order and its event are committed together
    engine = create_engine(normalize_url(faulty.db_url))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar_one() == 1
    engine.dispose()
    faulty.redis.restore()
    assert publisher.relay(older_than_s=0) == 1
