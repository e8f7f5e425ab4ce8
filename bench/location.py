"""Speed of location understanding (one process, one core): resolver build time, normalisation throughput
(phrases/s over the spoken-style phrase set), and address-parser latency per utterance (p50/p95/max), for the CRF
alone (what the resolver runs inside complaints) and for the CRF with its BiLSTM members (``predict address``).

Run: ``.venv/bin/python bench/location.py [--seconds 3]``. Prints the figures; no ../shared needed.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import time

from hotline.settings import REPO_ROOT
from nlu.location.evaluate import PHRASES
from nlu.location.service import DEFAULT_CITY_DIR, build_resolver


def _phrases() -> list[str]:
    with PHRASES.open(encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle, delimiter="\t")]


def _throughput(fn, items: list[str], seconds: float) -> tuple[float, int]:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for item in items:
            fn(item)
        done += len(items)
    return done / (time.perf_counter() - start), done


def _latencies(fn, items: list[str], rounds: int = 3) -> list[float]:
    out = []
    for _ in range(rounds):
        for item in items:
            start = time.perf_counter()
            fn(item)
            out.append((time.perf_counter() - start) * 1000)
    return sorted(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    phrases = _phrases()
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}, "
          f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    start = time.perf_counter()
    resolver = build_resolver(DEFAULT_CITY_DIR / "gazetteer.yaml", DEFAULT_CITY_DIR / "grids.geojson", None)
    print(f"resolver build (gazetteer + national divisions + grids): {(time.perf_counter() - start) * 1000:.0f} ms")
    rate, n = _throughput(resolver.resolve, phrases, args.seconds)
    print(f"normalisation (gazetteer only): {rate:,.0f} phrases/s over {n} resolutions of {len(phrases)} phrases")
    lat = _latencies(resolver.resolve, phrases)
    print(f"normalisation latency ms: p50 {statistics.median(lat):.3f}  p95 {lat[int(0.95 * len(lat))]:.3f}")

    from nlu.address.model import load_default_parser

    start = time.perf_counter()
    parser = load_default_parser(REPO_ROOT / "models")
    if parser is not None:
        parser.spans("浙江省杭州市")  # first call loads the lexicons and the jieba dictionary
        print(f"address parser load + first call: {(time.perf_counter() - start) * 1000:.0f} ms")
    if parser is None:
        print("address parser: no model in models/address-crf (skipped)")
        return
    compact = [p.replace(" ", "") for p in phrases]
    crf_alone = load_default_parser(REPO_ROOT / "models", neural=False)
    for name, each in (("CRF alone, as inside complaints", crf_alone),
                       (f"CRF + {len(parser.neural)} BiLSTM members, as predict/eval address", parser)):
        lat = _latencies(each.spans, compact)
        print(f"parse latency ms ({name}; whole utterance, {len(compact)} utterances x3): "
              f"p50 {statistics.median(lat):.3f}  p95 {lat[int(0.95 * len(lat))]:.3f}  max {lat[-1]:.3f}")
    with_parser = build_resolver(DEFAULT_CITY_DIR / "gazetteer.yaml", DEFAULT_CITY_DIR / "grids.geojson",
                                 REPO_ROOT / "models")
    rate, n = _throughput(with_parser.resolve, phrases, args.seconds)
    print(f"normalisation (gazetteer + parser): {rate:,.0f} phrases/s over {n} resolutions")
    lat = _latencies(with_parser.resolve, phrases)
    print(f"locate latency ms (gazetteer + parser): p50 {statistics.median(lat):.3f}  "
          f"p95 {lat[int(0.95 * len(lat))]:.3f}")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
