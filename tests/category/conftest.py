"""Fixtures for the classification tests: the shipped taxonomy and a minimal pipeline context (no ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.city import load_city
from hotline.pipeline import PipelineContext
from hotline.settings import Settings
from nlu.taxonomy import Taxonomy, load_taxonomy

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "cities" / "foshan-nanhai" / "taxonomy-extension.yaml"

MINIMAL_CITY = """
name: 测试市
order_prefix: T
jurisdiction: {province: 广东省, city: 佛山市, district: 南海区, adcode: "440605"}
departments:
  - {id: centre, name: 分拨中心, types: [街道办]}
routing: {rules: [], fallback: centre}
files: {taxonomy_extension: taxonomy-extension.yaml}
"""


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy(EXTENSION)


@pytest.fixture()
def context(tmp_path: Path) -> PipelineContext:
    """A pipeline context over a throw-away city folder that uses the shipped taxonomy extension."""
    (tmp_path / "city.yaml").write_text(MINIMAL_CITY, encoding="utf-8")
    (tmp_path / "taxonomy-extension.yaml").write_text(EXTENSION.read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings(city_dir=tmp_path, models_dir=tmp_path / "models", data_dir=tmp_path / "var")
    return PipelineContext(settings=settings, city=load_city(tmp_path))
