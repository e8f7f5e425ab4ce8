"""Placement: a point → its 万米单元网格 cell, 责任网格 and 社区, by point-in-polygon over a GeoJSON grid layer.

The layer is a FeatureCollection of Polygon cells with properties ``id`` (单元网格代码), ``street``, ``community``,
``zone`` (责任网格); a real city loads its own layer through ``files.grids`` in ``city.yaml``. Lookups use shapely's
STRtree (bounding-box index, then an exact ``covers`` test).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True, slots=True)
class GridCell:
    """One 万米单元网格."""

    cell_id: str
    street: str | None
    community: str | None
    zone: str | None
    """责任网格 id."""
    geometry: BaseGeometry


class GridIndex:
    """Point-in-polygon lookups over grid cells."""

    def __init__(self, cells: list[GridCell]):
        self.cells = cells
        self.tree = STRtree([c.geometry for c in cells])

    def __len__(self) -> int:
        return len(self.cells)

    def locate(self, lon: float, lat: float) -> GridCell | None:
        """The cell covering (lon, lat); on a shared edge the lowest cell id wins; None outside the layer."""
        point = Point(lon, lat)
        hits = [self.cells[i] for i in self.tree.query(point, predicate="intersects")]
        return min(hits, key=lambda c: c.cell_id) if hits else None

    def cells_of(self, community: str) -> list[GridCell]:
        return [c for c in self.cells if c.community == community]


def load_grid_index(path: Path) -> GridIndex:
    """Read a GeoJSON grid layer (cells as Polygon features)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = []
    for feature in data.get("features", ()):
        props = feature.get("properties") or {}
        geometry = shape(feature["geometry"])
        if geometry.is_empty or geometry.geom_type not in {"Polygon", "MultiPolygon"}:
            continue
        cells.append(GridCell(str(props.get("id")), props.get("street"), props.get("community"), props.get("zone"),
                              geometry))
    if not cells:
        raise ValueError(f"{path}: no polygon cells")
    return GridIndex(cells)
