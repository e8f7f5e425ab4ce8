"""Fixtures for whole-stack tests: real database (SQLite or PostgreSQL), real Redis, the real pipeline and city, the
FastAPI app in-process, and a department endpoint on loopback."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from connectors.api.app import build_services, create_app
from connectors.api.auth import create_key
from connectors.dispatch.department_server import DepartmentServer
from hotline.pipeline import Pipeline, load_pipeline
from hotline.settings import Settings
from tests.support.stack import Stack, city_for, make_settings


@pytest.fixture
def department_server() -> Iterator[DepartmentServer]:
    """A fresh endpoint per test: a slow request from one test cannot land in the next one's."""
    server = DepartmentServer(("127.0.0.1", 0), secret=secrets.token_hex(16)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    """The shipped pipeline, loaded once (it holds no per-test state)."""
    return load_pipeline(Settings())


@pytest.fixture
def stack(
    pipeline: Pipeline,
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    department_server: DepartmentServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Stack]:
    department_server.reset()
    settings = make_settings(tmp_path, database_url, redis_url)
    services = build_services(settings, city=city_for(department_server, monkeypatch), pipeline=pipeline)
    app = create_app(settings, services)
    keys = {
        "citizen": create_key(services.sessions, name="web", role="citizen"),
        "agent": create_key(services.sessions, name="agent-1", role="agent"),
        "admin": create_key(services.sessions, name="admin", role="admin"),
        "dept_sz": create_key(services.sessions, name="市政", role="department", department_id="nh-sz"),
        "dept_cg": create_key(services.sessions, name="城管", role="department", department_id="gc-cgzd"),
    }
    with TestClient(app) as client:
        yield Stack(settings, services, client, department_server, keys)
    services.redis.close()
    services.engine.dispose()
