"""Shared fixtures: the shipped demo gazetteer and grid layer (no ../shared needed)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from nlu.location.service import DEFAULT_CITY_DIR, build_resolver

CITY_DIR = DEFAULT_CITY_DIR


@pytest.fixture(scope="session")
def resolver():
    """Gazetteer + grids, without the trained parser (its own tests cover it)."""
    return build_resolver(CITY_DIR / "gazetteer.yaml", CITY_DIR / "grids.geojson", models_dir=None)


@pytest.fixture()
def fake_context(tmp_path: Path):
    """The slice of ``PipelineContext`` the component uses (city.yaml is the lead's file)."""
    cache: dict = {}

    def shared(key, build):
        if key not in cache:
            cache[key] = build()
        return cache[key]

    return SimpleNamespace(settings=SimpleNamespace(city_dir=CITY_DIR, models_dir=tmp_path / "no-models"),
                           city=None, shared=shared)
