"""Generate the DEMO grid layer ``cities/foshan-nanhai/grids.geojson`` (万米单元网格 of central 桂城街道).

Everything in the output is invented for the demo: a regular lattice of ~100 m × 100 m cells (≈10,000 m², the
万米单元网格 size of GB/T 30428.1) over central 桂城 (lon 113.130–113.167, lat 23.018–23.058, WGS84); each cell
belongs to the nearest 桂城 community centre of ``gazetteer.yaml`` (a Voronoi partition, not real boundaries) and to a
责任网格 of 5 × 5 cells within that community. Cell ids follow the GB/T 30428.1 layout: 6-digit district code +
3-digit street code + 3-digit community sequence + 4-digit cell sequence.

Run from the repository root: ``.venv/bin/python cities/foshan-nanhai/tools/make_grids.py``
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import yaml

CITY_DIR = Path(__file__).resolve().parents[1]
BOX = (113.130, 23.018, 113.167, 23.058)
CELL_METRES = 100.0
ZONE_CELLS = 5
STREET = "桂城街道"


def main() -> None:
    gazetteer = yaml.safe_load((CITY_DIR / "gazetteer.yaml").read_text(encoding="utf-8"))
    street_code = next(s["code"] for s in gazetteer["streets"] if s["name"] == STREET)
    communities = [c for c in gazetteer["communities"] if c.get("street") == STREET]
    community_seq = {c["name"]: f"{i + 1:03d}" for i, c in enumerate(communities)}
    lon0, lat0, lon1, lat1 = BOX
    dlat = CELL_METRES / 111_320.0
    dlon = CELL_METRES / (111_320.0 * math.cos(math.radians((lat0 + lat1) / 2)))
    cols, rows = round((lon1 - lon0) / dlon), round((lat1 - lat0) / dlat)
    counters: dict[str, int] = {}
    features = []
    for row in range(rows):
        for col in range(cols):
            x0, y0 = lon0 + col * dlon, lat0 + row * dlat
            x1, y1 = x0 + dlon, y0 + dlat
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            nearest = min(communities, key=lambda c: math.hypot((c["center"][0] - cx) * math.cos(math.radians(cy)),
                                                                c["center"][1] - cy))
            seq = community_seq[nearest["name"]]
            counters[seq] = counters.get(seq, 0) + 1
            prefix = f"{street_code}{seq}"
            ring = [[round(x, 6), round(y, 6)] for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))]
            features.append({
                "type": "Feature",
                "properties": {"id": f"{prefix}{counters[seq]:04d}", "street": STREET,
                               "community": nearest["name"],
                               "zone": f"{prefix}Z{row // ZONE_CELLS:02d}{col // ZONE_CELLS:02d}"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            })
    out = CITY_DIR / "grids.geojson"
    header = ('{"type":"FeatureCollection","name":"桂城街道万米单元网格（演示数据，非真实边界）",'
              '"demo":true,'
              '"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[\n')
    body = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    out.write_text(header + body + "\n]}\n", encoding="utf-8")
    print(f"wrote {len(features)} cells ({cols}x{rows}) in {len(counters)} communities to {out} "
          f"({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
