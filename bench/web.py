"""Page speed: server time to render each web page and the console's live suggestion, over HTTP in-process.

    .venv/bin/python bench/web.py [--orders 300] [--repeat 30] [--pipeline config/pipeline.yaml]

Seeds an SQLite database (temporary) with ``--orders`` reports from the demo city's samples, signs in as each role
and times each page ``--repeat`` times (median and 95th percentile, milliseconds). Redis: ``HOTLINE_REDIS_URL`` if
set, else the embedded server.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from fastapi.testclient import TestClient

from connectors.api.app import build_services, create_app
from connectors.api.auth import create_user
from hotline.settings import REPO_ROOT, Settings
from triage.orders import IntakeInput


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pipeline", type=Path, default=REPO_ROOT / "config" / "pipeline.yaml")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-web-"))
    settings = Settings(data_dir=tmp / "var", database_url=f"sqlite:///{tmp / 'h.db'}", pipeline_config=args.pipeline.resolve(),
                        session_secret=secrets.token_urlsafe(32))
    services = build_services(settings)
    samples = yaml.safe_load(services.city.file("samples").read_text(encoding="utf-8"))["samples"]
    for i in range(args.orders):
        sample = samples[i % len(samples)]
        services.orders.submit(IntakeInput(text=f"{sample['text']}（第{i}次）", channel="web", contact_phone="13800000000"),
                               actor="bench")
    number = services.orders.list(__import__("triage.orders", fromlist=["OrderFilter"]).OrderFilter(), limit=1)[0][0].number
    for user, role, dept in (("agent", "agent", None), ("sup", "supervisor", None), ("dept", "department", "nh-sz")):
        create_user(services.sessions, username=user, password="bench-pass-1", role=role, department_id=dept)
    app = create_app(settings, services)
    cases = [
        ("agent", "GET", "/agent", None), ("agent", "GET", "/agent/review", None), ("agent", "GET", "/orders", None),
        ("agent", "GET", f"/orders/{number}", None),
        ("agent", "POST", "/web/api/suggest", {"text": "桂城街道海五路有个井盖丢了，晚上很黑"}),
        ("dept", "GET", "/dept", None), ("sup", "GET", "/supervisor", None), (None, "GET", "/report", None),
    ]
    print(f"{args.orders} orders, {args.repeat} requests per page; pipeline {args.pipeline.name}")
    print(f"{'page':32} {'median ms':>10} {'p95 ms':>8} {'KiB':>6}")
    with TestClient(app) as client:
        for user, method, path, body in cases:
            client.cookies.clear()
            if user:
                client.post("/login", data={"username": user, "password": "bench-pass-1"}, follow_redirects=False)
            times, size = [], 0
            for _ in range(args.repeat):
                start = time.perf_counter()
                response = client.request(method, path, json=body)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (path, response.status_code)
                size = len(response.content)
            times.sort()
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            print(f"{method + ' ' + path[:26]:32} {statistics.median(times):10.1f} {p95:8.1f} {size / 1024:6.0f}")


if __name__ == "__main__":
    main()
