"""A department's receiving end, as a real HTTP server on loopback, for the demo and the tests.

It stands in for systems outside the product (a department's own case system): it checks each webhook's signature
and replay window, keeps one copy per delivery id, and can be switched "down" (answers 503) to show that orders wait
in the queue until the department is back.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from connectors.dispatch.webhook import verify


class DepartmentServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], secret: str):
        super().__init__(address, _Handler)
        self.secret = secret
        self.down = False
        self.delay_s = 0.0
        """Answer this slowly (a department system under load; longer than the sender's timeout = a time-out)."""
        self.received: dict[str, dict[str, Any]] = {}
        """delivery id → {"department": id, "order": payload}; duplicates are not stored twice."""
        self.duplicates = 0
        self.rejected = 0
        self.lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> DepartmentServer:
        self._thread = threading.Thread(target=self.serve_forever, name="department-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def reset(self) -> None:
        """Forget everything received and come back up (between demo runs or tests)."""
        with self.lock:
            self.received.clear()
            self.duplicates = self.rejected = 0
            self.down = False
            self.delay_s = 0.0

    def orders(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.received.values())


class _Handler(BaseHTTPRequestHandler):
    server: DepartmentServer

    def log_message(self, *args: Any) -> None:  # quiet: the demo prints its own table
        pass

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/received":
            self._reply(200, {"orders": self.server.orders(), "duplicates": self.server.duplicates})
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        server = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if server.delay_s:
            time.sleep(server.delay_s)
        if server.down:
            self._reply(503, {"error": "部门系统维护中"})
            return
        if not self.path.startswith("/hooks/"):
            self._reply(404, {"error": "not found"})
            return
        ok = verify(server.secret, self.headers.get("X-Hotline-Timestamp", ""), body, self.headers.get("X-Hotline-Signature", ""))
        if not ok:
            with server.lock:
                server.rejected += 1
            self._reply(401, {"error": "签名无效或已过期"})
            return
        delivery = self.headers.get("X-Hotline-Delivery", "")
        with server.lock:
            if delivery in server.received:
                server.duplicates += 1
                self._reply(200, {"received": True, "duplicate": True})
                return
            server.received[delivery] = {
                "department": self.path.removeprefix("/hooks/"),
                "order": json.loads(body),
                "received_at": time.time(),
            }
        self._reply(200, {"received": True})
