"""Start the bot's two servers (Rasa with its REST channel and API, and the action server) as subprocesses.

Used by ``hotline bot run``, by the tests and by the benchmark. Imports nothing from Rasa: it runs the ``rasa``
executable of ``.venv-rasa`` (made by ``bot/setup.sh``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

BOT_DIR = Path(__file__).resolve().parent
REPO_ROOT = BOT_DIR.parent
RASA_VENV = Path(os.environ.get("HOTLINE_RASA_VENV", REPO_ROOT / ".venv-rasa"))
MODEL_PATH = BOT_DIR / "models" / "hotline-bot.tar.gz"


class BotNotInstalled(RuntimeError):
    """``.venv-rasa`` or the trained model is missing."""


def rasa_executable() -> Path:
    """The ``rasa`` command of the bot's own environment; raises ``BotNotInstalled`` with the fix when absent."""
    exe = RASA_VENV / "bin" / "rasa"
    if not exe.exists():
        raise BotNotInstalled(f"{exe} is missing: run `bash bot/setup.sh` (or `hotline bot setup`) first")
    return exe


def require_model() -> Path:
    if not MODEL_PATH.exists():
        raise BotNotInstalled(f"{MODEL_PATH} is missing: run `bash bot/train.sh` (or `hotline bot train`) first")
    return MODEL_PATH


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_env(redis_url: str) -> dict[str, str]:
    """``redis://[:password@]host:port/db`` → the ``BOT_REDIS_*`` variables endpoints.yml reads."""
    parsed = urlparse(redis_url)
    return {
        "BOT_REDIS_HOST": parsed.hostname or "127.0.0.1",
        "BOT_REDIS_PORT": str(parsed.port or 6379),
        "BOT_REDIS_DB": (parsed.path or "/0").lstrip("/") or "0",
        "BOT_REDIS_PASSWORD": parsed.password or "",
    }


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def wait_http(url: str, timeout_s: float, process: subprocess.Popen | None = None) -> None:
    """Poll ``url`` until it answers 200; raise ``TimeoutError`` (or ``RuntimeError`` if ``process`` died)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout_s:.0f} s")


@dataclass
class BotServers:
    """Rasa (``--enable-api``, REST channel) and the action server on loopback ports; a context manager."""

    redis_url: str = field(default_factory=lambda: os.environ.get("HOTLINE_REDIS_URL") or "redis://127.0.0.1:6379/0")
    rasa_port: int = 5005
    action_port: int = 5055
    api_url: str | None = None
    """The product API the actions call (``HOTLINE_API_URL``); default: inherited from the environment."""
    api_key: str | None = None
    log_dir: Path | None = None
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}/webhook"

    def _log(self, name: str):
        if self.log_dir is None:
            return subprocess.DEVNULL
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return open(self.log_dir / f"{name}.log", "ab")

    def start(self, timeout_s: float = 180.0) -> "BotServers":
        rasa = rasa_executable()
        model = require_model()
        env = base_env() | redis_env(self.redis_url) | {"BOT_ACTION_URL": self.action_url}
        if self.api_url:
            env["HOTLINE_API_URL"] = self.api_url
        if self.api_key is not None:
            env["HOTLINE_BOT_API_KEY"] = self.api_key
        actions = subprocess.Popen(
            [str(rasa), "run", "actions", "--actions", "bot.actions.actions", "-p", str(self.action_port)],
            cwd=REPO_ROOT, env=env, stdout=self._log("actions"), stderr=subprocess.STDOUT)
        self.processes.append(actions)
        command = [str(rasa), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(self.rasa_port), "-m", str(model),
                   "--endpoints", str(BOT_DIR / "endpoints.yml"), "--credentials", str(BOT_DIR / "credentials.yml")]
        if os.environ.get("HOTLINE_RASA_TOKEN"):
            command += ["--auth-token", os.environ["HOTLINE_RASA_TOKEN"]]
        server = subprocess.Popen(command, cwd=BOT_DIR, env=env, stdout=self._log("rasa"), stderr=subprocess.STDOUT)
        self.processes.append(server)
        try:
            wait_http(f"http://127.0.0.1:{self.action_port}/health", timeout_s, actions)
            wait_http(f"{self.rasa_url}/status" if not os.environ.get("HOTLINE_RASA_TOKEN") else self.rasa_url,
                      timeout_s, server)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def __enter__(self) -> "BotServers":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
