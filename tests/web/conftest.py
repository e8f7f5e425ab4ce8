"""The real service for browser tests: uvicorn on a free loopback port, SQLite, Redis (the server at 127.0.0.1:6379,
else the embedded one), the loopback department endpoint, a dispatcher stepped by the tests, and headless Chromium
driven by Selenium.

No Chromium (Debian ``chromium`` + ``chromium-driver``) → the browser tests skip with that reason on a developer's
machine and fail under CI (``CI`` set). The page tests that need no browser (``test_web_pages.py``) always run.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn

from connectors.api.app import build_services, create_app
from connectors.api.auth import create_user
from connectors.api.deps import AppServices
from connectors.dispatch.department_server import DepartmentServer
from connectors.dispatch.worker import Dispatcher
from hotline.city import load_city
from hotline.pipeline import load_pipeline
from hotline.settings import REPO_ROOT, Settings

PASSWORD = "web-test-pass-1"
USERS: tuple[tuple[str, str, str | None], ...] = (
    ("agent", "agent", None),
    ("supervisor", "supervisor", None),
    ("dept-sz", "department", "nh-sz"),
    ("dept-cg", "department", "gc-cgzd"),
    ("admin", "admin", None),
)
PIPELINE = Path(__file__).with_name("pipeline.yaml")
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("HOTLINE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HOTLINE_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--lang=zh-CN",
)


def _redis_url() -> str | None:
    """A free database on the Redis server at 127.0.0.1:6379, or None (then the embedded server is used)."""
    base = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379")
    url = f"{base}/{1 + secrets.randbelow(15)}"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.ping()
        client.flushdb()
        client.close()
    except redis.RedisError:
        return None
    return url


@dataclass
class Live:
    """The running service and the handles the tests need."""

    base: str
    settings: Settings
    services: AppServices
    departments: DepartmentServer
    dispatcher: Dispatcher
    users: dict[str, str] = field(default_factory=dict)

    def dispatch(self, rounds: int = 4) -> None:
        """Run the dispatcher a few passes (each waits at most 50 ms for new entries)."""
        self.dispatcher.ensure_group()
        for _ in range(rounds):
            self.dispatcher.step(block_ms=50)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("web")
    saved = {k: os.environ.get(k) for k in ("HOTLINE_DEPT_BASE_URL", "HOTLINE_DEPT_SECRET", "HOTLINE_VOSK_MODEL")}
    departments = DepartmentServer(("127.0.0.1", 0), secret=secrets.token_hex(16)).start()
    os.environ.update(HOTLINE_DEPT_BASE_URL=departments.url, HOTLINE_DEPT_SECRET=departments.secret,
                      HOTLINE_VOSK_MODEL=str(tmp / "no-vosk-model"))
    redis_url = _redis_url()
    settings = Settings(data_dir=tmp / "var", database_url=f"sqlite:///{tmp / 'hotline.db'}", redis_url=redis_url,
                        pipeline_config=PIPELINE, dispatch_retry_base_s=0.0, outbox_relay_after_s=0.0,
                        session_secret=secrets.token_urlsafe(32))
    services = build_services(settings, city=load_city(REPO_ROOT / "cities" / "foshan-nanhai"),
                              pipeline=load_pipeline(settings))
    for username, role, department in USERS:
        create_user(services.sessions, username=username, password=PASSWORD, role=role, department_id=department)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, services), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, name="web-test-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not (server.started and server.servers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    dispatcher = Dispatcher(settings, services.sessions, services.redis, services.city, consumer="web-test",
                            http=httpx.Client(timeout=2))
    yield Live(f"http://127.0.0.1:{port}", settings, services, departments, dispatcher, {u: PASSWORD for u, _, _ in USERS})
    server.should_exit = True
    thread.join(timeout=10)
    departments.stop()
    if redis_url:
        services.redis.flushdb()
    services.redis.close()
    services.engine.dispose()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def browser_missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} — CI machines must have it (apt-get install -y chromium chromium-driver)")
    pytest.skip(f"{reason} (apt-get install -y chromium chromium-driver)")


@pytest.fixture(scope="session")
def driver() -> Iterator[Any]:
    """One headless Chromium for the package's browser tests."""
    for path, what in ((CHROMIUM, "Chromium"), (CHROMEDRIVER, "chromedriver")):
        if not (Path(path).is_file() or shutil.which(path)):
            browser_missing(f"{what} not found at {path}")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        browser_missing(f"selenium is not installed ({exc})")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1280,900")
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(30)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield browser
    browser.quit()
