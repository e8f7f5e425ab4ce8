"""Grid placement by point-in-polygon (shapely STRtree) on the shipped demo layer and on a tiny layer."""

from __future__ import annotations

import json

from nlu.location.grids import load_grid_index
from nlu.location.service import DEFAULT_CITY_DIR


def test_demo_layer_covers_central_guicheng():
    index = load_grid_index(DEFAULT_CITY_DIR / "grids.geojson")
    assert len(index) > 1000
    cell = index.locate(113.1455, 23.0455)
    assert cell is not None and cell.street == "桂城街道" and cell.community == "千灯湖社区"
    assert len(cell.cell_id) == 16 and cell.cell_id.startswith("440605011")
    assert 8_000 < cell.geometry.area * (111_320 ** 2) * 0.92 < 12_000  # ≈ 10,000 m²
    assert index.locate(116.4, 39.9) is None  # 北京: outside the layer


def test_tiny_layer(tmp_path):
    square = lambda x0, y0: [[[x0, y0], [x0 + 1, y0], [x0 + 1, y0 + 1], [x0, y0 + 1], [x0, y0]]]
    layer = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "B", "community": "乙", "zone": "Z1", "street": "s"},
         "geometry": {"type": "Polygon", "coordinates": square(1, 0)}},
        {"type": "Feature", "properties": {"id": "A", "community": "甲", "zone": "Z1", "street": "s"},
         "geometry": {"type": "Polygon", "coordinates": square(0, 0)}},
    ]}
    path = tmp_path / "g.geojson"
    path.write_text(json.dumps(layer), encoding="utf-8")
    index = load_grid_index(path)
    assert index.locate(0.5, 0.5).community == "甲"
    assert index.locate(1.5, 0.5).cell_id == "B"
    assert index.locate(1.0, 0.5).cell_id == "A"  # shared edge: lowest id
    assert index.locate(5, 5) is None
