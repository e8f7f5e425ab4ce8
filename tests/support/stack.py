"""Helpers for whole-stack tests: real database (SQLite or PostgreSQL), real Redis, the real pipeline and city, the
FastAPI app in-process, and a department endpoint on loopback."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from connectors.api.deps import AppServices
from connectors.dispatch.department_server import DepartmentServer
from connectors.dispatch.worker import Dispatcher
from hotline.city import CityConfig, load_city
from hotline.settings import REPO_ROOT, Settings


def city_for(server: DepartmentServer, monkeypatch: pytest.MonkeyPatch) -> CityConfig:
    """The demo city with every webhook pointing at the loopback department server."""
    monkeypatch.setenv("HOTLINE_DEPT_BASE_URL", server.url)
    monkeypatch.setenv("HOTLINE_DEPT_SECRET", server.secret)
    return load_city(REPO_ROOT / "cities" / "foshan-nanhai")


@dataclass
class Stack:
    settings: Settings
    services: AppServices
    client: TestClient
    departments: DepartmentServer
    keys: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str, **extra: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[role], **extra}

    def dispatcher(self, consumer: str = "test-dispatcher", **kwargs: object) -> Dispatcher:
        return Dispatcher(
            self.settings,
            self.services.sessions,
            self.services.redis,
            self.services.city,
            consumer=consumer,
            http=httpx.Client(timeout=2),
            **kwargs,  # type: ignore[arg-type]
        )

    def drain(self, dispatcher: Dispatcher, rounds: int = 5) -> None:
        """Run the dispatcher loop a few times (each pass blocks at most 50 ms for new entries)."""
        dispatcher.ensure_group()
        for _ in range(rounds):
            dispatcher.step(block_ms=50)


def make_settings(tmp_path: Path, database_url: str, redis_url: str, **overrides: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        redis_url=redis_url,
        dispatch_retry_base_s=0.0,
        outbox_relay_after_s=0.0,
        **overrides,  # type: ignore[arg-type]
    )


MANHOLE = "我要反映一下，桂城街道海五路有个井盖丢了，晚上很黑，怕有人掉下去。"
STALLS = "千灯湖公园旁边天天有人摆摊占道经营，人行道都走不了。"
VAGUE = "你好，我就是想说一下，那个，就是那个事情怎么还没处理。"


def run_threads(target, count: int) -> list[object]:  # type: ignore[no-untyped-def]
    """Run ``target(i)`` in ``count`` threads at once; return results in order (exceptions re-raised)."""
    results: list[object] = [None] * count
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
