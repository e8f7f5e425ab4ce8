"""Assemble a ``LocationResolver`` from files: the city gazetteer, the grid layer, the address parser model.

Used by the pipeline component, the CLI and the benchmark, so the three always build the same thing.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from hotline.settings import REPO_ROOT
from nlu.geodata.divisions import load_divisions
from nlu.location.gazetteer import load_gazetteer
from nlu.location.resolver import LocationResolver

DEFAULT_CITY_DIR = REPO_ROOT / "cities" / "foshan-nanhai"


def build_resolver(gazetteer_path: Path, grids_path: Path | None = None, models_dir: Path | None = None,
                   review_below: float = 0.6) -> LocationResolver:
    """A resolver over ``gazetteer_path``; grid placement when ``grids_path`` is given; the trained address parser
    (for names the gazetteer lacks) when ``models_dir`` holds one."""
    grids = None
    if grids_path is not None and Path(grids_path).exists():
        from nlu.location.grids import load_grid_index

        grids = load_grid_index(Path(grids_path))
    finders = []
    if models_dir is not None:
        from nlu.location.parsed import parser_mention_finder

        finder = parser_mention_finder(Path(models_dir))
        if finder is not None:
            finders.append(finder)
    return LocationResolver(load_gazetteer(Path(gazetteer_path)), load_divisions(), grids=grids,
                            review_below=review_below, mention_finders=finders)


@lru_cache(maxsize=4)
def resolver_for(city_dir: Path = DEFAULT_CITY_DIR, models_dir: Path | None = REPO_ROOT / "models") -> LocationResolver:
    """The resolver of a city folder (``gazetteer.yaml`` + ``grids.geojson``), cached per process."""
    grids = city_dir / "grids.geojson"
    return build_resolver(city_dir / "gazetteer.yaml", grids if grids.exists() else None, models_dir)
