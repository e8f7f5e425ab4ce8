"""City configuration: departments, routing rules, jurisdiction and the data files of one city, as a folder of YAML.

The shipped demo is ``cities/foshan-nanhai`` (佛山市南海区, 桂城街道 first). A real city copies that folder, replaces
the files and points ``HOTLINE_CITY_DIR`` at it. Strings may use ``${VAR}`` or ``${VAR:-default}`` so that secrets and
endpoint addresses come from the environment instead of the file.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

_ENV_REF = re.compile(r"\$\{([A-Z0-9_]+)(?::-([^}]*))?\}")


def expand_env(value: Any) -> Any:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string of a parsed YAML tree."""
    if isinstance(value, str):
        return _ENV_REF.sub(lambda m: os.environ.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, list):
        return [expand_env(v) for v in value]
    if isinstance(value, dict):
        return {k: expand_env(v) for k, v in value.items()}
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Jurisdiction(_Strict):
    province: str
    city: str
    district: str
    adcode: str
    """The district's 6-digit code (南海区: 440605)."""


class Webhook(_Strict):
    url: str
    secret: str = ""
    """Shared HMAC secret; empty → deliveries are unsigned (the demo sets one)."""


class Department(_Strict):
    id: str
    name: str
    types: list[str] = Field(default_factory=list)
    """Department types (行业/条线) this department handles, matched against taxonomy leaves' department_type."""
    street: str | None = None
    """For 属地 departments (街道办): the street (乡镇/街道) they are responsible for."""
    webhook: Webhook | None = None
    demo: bool = False
    """True where the name or details are invented for the demo city."""


class RoutingRule(_Strict):
    """``when`` all given conditions hold, send to ``department``; first matching rule wins."""

    department: str
    department_type: str | None = None
    category_prefix: str | None = None
    street: str | None = None
    district: str | None = None
    reason: str = ""


class Routing(_Strict):
    rules: list[RoutingRule]
    fallback: str
    """Department for cases no rule matches (normally the centre's own 分拨 desk, which an agent reviews)."""


class CityFiles(_Strict):
    gazetteer: str | None = None
    grids: str | None = None
    taxonomy_extension: str | None = None
    holidays: str | None = None
    samples: str | None = None


class CityConfig(_Strict):
    """One city's configuration, loaded from ``city.yaml`` in the city folder."""

    name: str
    order_prefix: str = Field(pattern=r"^[A-Z]{1,4}$")
    timezone: str = "Asia/Shanghai"
    demo: bool = False
    jurisdiction: Jurisdiction
    departments: list[Department]
    routing: Routing
    files: CityFiles = CityFiles()
    folder: Path = Path(".")

    def department(self, department_id: str) -> Department:
        """The department with this id (KeyError if the configuration names none)."""
        for dept in self.departments:
            if dept.id == department_id:
                return dept
        raise KeyError(department_id)

    def file(self, name: str) -> Path | None:
        """Absolute path of one of the city's data files (``gazetteer``, ``grids`` …), or None if not configured."""
        rel = getattr(self.files, name)
        return (self.folder / rel) if rel else None


def load_city(folder: Path) -> CityConfig:
    """Read and validate ``folder/city.yaml``; unknown keys (except ``x-…`` anchors) and dangling ids are errors."""
    raw = yaml.safe_load((folder / "city.yaml").read_text(encoding="utf-8"))
    raw = {k: v for k, v in raw.items() if not k.startswith("x-")}  # ``x-…`` keys only hold YAML anchors
    city = CityConfig(**expand_env(raw), folder=folder.resolve())
    known = {d.id for d in city.departments}
    dangling = {r.department for r in city.routing.rules if r.department not in known}
    if city.routing.fallback not in known:
        dangling.add(city.routing.fallback)
    if dangling:
        raise ValueError(f"{folder}/city.yaml: routing names unknown departments: {sorted(dangling)}")
    return city


@lru_cache(maxsize=8)
def cached_city(folder: Path) -> CityConfig:
    """``load_city`` once per folder and process."""
    return load_city(folder)
