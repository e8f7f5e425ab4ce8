"""Resolution accuracy on the spoken-style phrase set (``data/resolution_phrases.tsv``), clean vs noisy.

A phrase counts for 街道/镇 when ``place.street`` is the expected street, and for road/landmark when the place's
road (roads), poi (landmarks) or crossing (intersections, either order) is the expected one.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from hotline.case import Place
from nlu.location.resolver import LocationResolver

PHRASES = Path(__file__).with_name("data") / "resolution_phrases.tsv"


@dataclass
class Tally:
    total: int = 0
    street: int = 0
    target: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)

    def row(self) -> dict[str, float | int]:
        return {"phrases": self.total, "street_acc": round(self.street / self.total, 4) if self.total else 0.0,
                "target_acc": round(self.target / self.total, 4) if self.total else 0.0}


def target_ok(place: Place | None, kind: str, target: str) -> bool:
    if place is None:
        return False
    if kind == "road":
        return place.road == target and (place.poi is None)
    if kind == "poi":
        return place.poi == target
    a, _, b = target.partition("与")
    return place.poi in {f"{a}与{b}交叉口", f"{b}与{a}交叉口"}


def evaluate_resolution(resolver: LocationResolver, path: Path = PHRASES) -> dict[str, Tally]:
    """Tallies per variant (clean, noisy) and overall ``all``."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    with Path(path).open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            place = resolver.resolve(row["text"]).place
            street_ok = place is not None and place.street == row["street"]
            hit = target_ok(place, row["kind"], row["target"])
            for key in (row["variant"], "all"):
                t = tallies[key]
                t.total += 1
                t.street += street_ok
                t.target += hit
                if not (street_ok and hit) and key != "all":
                    t.misses.append((row["id"], row["text"], place.normalized if place else "—"))
    return dict(tallies)
