"""Shared fixtures: both databases (SQLite file, PostgreSQL at 127.0.0.1:5432), the real Redis at 127.0.0.1:6379,
and a loopback department endpoint.

A missing PostgreSQL or Redis makes its tests skip with the reason on a developer's machine; under CI (``CI`` set)
it is a failure, because CI machines have both.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

POSTGRES_ADMIN_URL = os.environ.get("HOTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def service_missing(what: str, exc: Exception) -> None:
    message = f"{what} is not reachable ({type(exc).__name__}: {exc})"
    if os.environ.get("CI"):
        pytest.fail(message + " — CI machines must have it")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            pass
    except Exception as exc:  # noqa: BLE001
        service_missing(f"PostgreSQL at {POSTGRES_ADMIN_URL}", exc)
    return POSTGRES_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    name = f"hotline_t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = postgres_server.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on both databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hotline.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database on the real server, emptied before and after the test."""
    # one database per pytest process (two suites run side by side on a developer machine must not flush each other)
    db = int(os.environ.get("HOTLINE_TEST_REDIS_DB", "0")) or 1 + os.getpid() % 15
    url = f"{REDIS_TEST_URL}/{db}"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at {REDIS_TEST_URL}", exc)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
