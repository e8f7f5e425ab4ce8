"""Duplicate-finder speed: one ``find`` (the indexed query + judging) against a table of recent orders.

Usage: ``python bench/duplicates.py [--orders 20000] [--near 50] [--runs 200] [--database-url URL]``
Prints per-call latency (p50/p95, ms) for a report with a near duplicate and for one without.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hotline.case import Case
from hotline.pipeline import load_pipeline
from hotline.settings import Settings
from triage import db
from triage.duplicates import make_duplicate_finder, order_from_case

NEAR = "南海大道和桂澜路交界处水管爆了，水喷得很高。"
PROBE_SAME = "桂澜路和南海大道交界的地方水管爆裂，一直在喷水。"
PROBE_OTHER = "海八路的路灯一到晚上就不亮。"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=20000, help="orders in the table (spread over the district)")
    ap.add_argument("--near", type=int, default=50, help="of which open, recent and at the probe's place")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()

    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    db.upgrade(url)
    sessions = db.make_sessionmaker(db.make_engine(url))
    pipeline = load_pipeline(Settings())
    now = datetime.now(timezone.utc)
    template = pipeline(Case(text=NEAR, received_at=now))
    rng = random.Random(7)
    with sessions() as session, session.begin():
        for i in range(args.orders):
            order = order_from_case(template, number=f"B{i:07d}")
            order.id = None  # type: ignore[assignment]
            order.created_at = now - timedelta(hours=rng.uniform(0, 24 * 60))
            if i >= args.near:  # elsewhere: another grid and 1-30 km away
                order.lon, order.lat = 113.15 + rng.uniform(-0.3, 0.3), 23.03 + rng.uniform(-0.3, 0.3)
                order.grid, order.street = f"G{i % 500}", "桂城街道"
                if abs(order.lon - 113.153) < 0.01:
                    order.lon += 0.05
            else:
                order.created_at = now - timedelta(hours=rng.uniform(0, 48))
            session.add(order)
    finder = make_duplicate_finder(Settings())
    for label, text in (("with duplicate", PROBE_SAME), ("without duplicate", PROBE_OTHER)):
        case = pipeline(Case(text=text, received_at=now))
        times = []
        found = None
        for _ in range(args.runs):
            with sessions() as session:
                t = time.perf_counter()
                found = finder.find(session, case, now)
                times.append((time.perf_counter() - t) * 1000)
        times.sort()
        print(f"{label:<18} orders={args.orders} near={args.near} {db.normalize_url(url).split(':')[0]:<20} "
              f"p50={statistics.median(times):.2f} ms p95={times[int(0.95 * len(times)) - 1]:.2f} ms match={found is not None}")


if __name__ == "__main__":
    main()
