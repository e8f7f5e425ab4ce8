"""The heat view: cases per 万米单元网格 drawn as SVG from the city's grid layer (no map tiles, works offline)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.lifecycle import Status
from triage.models import WorkOrder

SVG_WIDTH = 640.0
PALETTE: tuple[str, ...] = ("#fde9c8", "#f9c27e", "#f08a4b", "#d6482b", "#8f1d12")
"""Light to dark: 1 case, then higher quantiles (colour-blind safe sequential oranges)."""


@dataclass(frozen=True)
class Cell:
    id: str
    street: str
    community: str
    points: str
    """SVG polygon points in the map's coordinates."""


@dataclass(frozen=True)
class GridMap:
    width: float
    height: float
    cells: tuple[Cell, ...]
    background: str
    """One SVG path with every cell (drawn once, under the coloured ones)."""


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry.get("type") == "MultiPolygon":
        return [poly[0] for poly in geometry["coordinates"]]
    return []


@lru_cache(maxsize=4)
def load_grid_map(path: Path) -> GridMap | None:
    """Project the grid layer (lon/lat, CRS84) to an SVG ``SVG_WIDTH`` wide; None if there is no usable layer."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    features = [(f.get("properties") or {}, _rings(f.get("geometry") or {})) for f in data.get("features", [])]
    features = [(p, rings) for p, rings in features if rings and p.get("id")]
    if not features:
        return None
    lons = [pt[0] for _, rings in features for ring in rings for pt in ring]
    lats = [pt[1] for _, rings in features for ring in rings for pt in ring]
    min_lon, max_lon, min_lat, max_lat = min(lons), max(lons), min(lats), max(lats)
    x_scale = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = max((max_lon - min_lon) * x_scale, 1e-9)
    span_y = max(max_lat - min_lat, 1e-9)
    scale = SVG_WIDTH / span_x
    height = round(span_y * scale, 1)

    def point(pt: list[float]) -> str:
        return f"{(pt[0] - min_lon) * x_scale * scale:.1f},{(max_lat - pt[1]) * scale:.1f}"

    cells, background = [], []
    for props, rings in features:
        points = " ".join(point(pt) for pt in rings[0][:-1] or rings[0])
        cells.append(Cell(str(props["id"]), str(props.get("street") or ""), str(props.get("community") or ""), points))
        background.extend("M" + " L".join(point(pt) for pt in ring[:-1] or ring) + "Z" for ring in rings)
    return GridMap(SVG_WIDTH, height, tuple(cells), "".join(background))


def counts_by(session: Session, column: Any, since: datetime | None = None) -> dict[str, int]:
    """Cases (merged reports left out) per value of ``column`` (``WorkOrder.grid``, ``.street``, ``.community``)."""
    stmt = select(column, func.count()).where(column.is_not(None), WorkOrder.status != Status.MERGED.value)
    if since is not None:
        stmt = stmt.where(WorkOrder.created_at >= since)
    return {key: n for key, n in session.execute(stmt.group_by(column)).all()}


def colour(count: int, maximum: int) -> str:
    """The palette colour for ``count`` cases on a map whose busiest cell has ``maximum`` (the busiest is darkest)."""
    if count <= 0 or maximum <= 0:
        return "none"
    step = math.ceil(min(count, maximum) * len(PALETTE) / maximum) - 1
    return PALETTE[max(0, step)]


def heat_cells(grid_map: GridMap, counts: dict[str, int]) -> list[dict[str, Any]]:
    """The cells that have cases, with their colour and a Chinese tooltip, busiest last (drawn on top)."""
    maximum = max(counts.values(), default=0)
    hot = [
        {"id": c.id, "points": c.points, "count": counts[c.id], "fill": colour(counts[c.id], maximum),
         "title": f"网格 {c.id}（{c.street}{c.community}）：{counts[c.id]} 件"}
        for c in grid_map.cells if counts.get(c.id)
    ]
    return sorted(hot, key=lambda cell: cell["count"])


def legend(counts: dict[str, int]) -> list[dict[str, Any]]:
    """One entry per colour in use, labelled with the range of counts (present on the map) it stands for."""
    maximum = max(counts.values(), default=0)
    ranges: dict[str, list[int]] = {}
    for count in sorted(set(n for n in counts.values() if n > 0)):
        ranges.setdefault(colour(count, maximum), []).append(count)
    return [{"fill": fill, "label": f"{found[0]}" if len(found) == 1 else f"{found[0]}–{found[-1]}"}
            for fill, found in sorted(ranges.items(), key=lambda kv: kv[1][0])]
