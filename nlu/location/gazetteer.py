"""The city gazetteer (``cities/<city>/gazetteer.yaml``): streets, communities, roads and landmarks with geometry,
plus the indexes the matcher needs (surface forms, pinyin keys).

Entry kinds: ``street`` (乡镇/街道, with its 9-digit code), ``community`` (社区/村), ``road`` (路/街/大道, a polyline),
``poi`` (landmark, a point). Every entry knows its street, so a road implies 佛山市南海区桂城街道.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from nlu.location.text import chinese_to_digits, name_pinyin_key

ENTRY_KINDS = ("street", "community", "road", "poi")
KIND_LABELS = {"street": "街道/镇", "community": "社区", "road": "道路", "poi": "地标"}
FUZZY_MIN_CHARS = 3
"""Shorter names are never matched by pinyin alone (two syllables collide with ordinary words too often)."""


@dataclass(frozen=True)
class Jurisdiction:
    """The area the hotline serves (a district in the demo)."""

    province: str
    city: str
    district: str
    adcode: str


@dataclass(eq=False)
class GazetteerEntry:
    """One named place of the city."""

    kind: str
    name: str
    street: str | None = None
    community: str | None = None
    code: str | None = None
    """9-digit 乡镇/街道 code (for streets; other entries take their street's)."""
    aliases: tuple[str, ...] = ()
    geometry: BaseGeometry | None = None
    poi_kind: str | None = None
    demo: bool = False
    order: int = 0
    """Position in the file: ties between equally good candidates keep the file's order."""

    @property
    def point(self) -> Point | None:
        """A representative point (a road's middle, a landmark itself)."""
        if self.geometry is None:
            return None
        if isinstance(self.geometry, LineString):
            return self.geometry.interpolate(0.5, normalized=True)
        return self.geometry.representative_point()

    def label(self) -> str:
        return f"{KIND_LABELS.get(self.kind, self.kind)}「{self.name}」"


@dataclass(frozen=True, slots=True)
class Surface:
    """A string that names an entry, and how (``name`` | ``alias`` | ``variant``)."""

    text: str
    entry: GazetteerEntry
    how: str


@dataclass
class Gazetteer:
    """All entries of one city with lookup indexes."""

    jurisdiction: Jurisdiction
    entries: list[GazetteerEntry]
    district_aliases: tuple[str, ...] = ()
    city_aliases: tuple[str, ...] = ()
    source: Path | None = None
    surfaces: dict[str, list[Surface]] = field(default_factory=dict)
    pinyin: dict[tuple[str, ...], list[Surface]] = field(default_factory=dict)
    pinyin_folded: dict[tuple[str, ...], list[Surface]] = field(default_factory=dict)
    streets: dict[str, GazetteerEntry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._index()

    def _index(self) -> None:
        surfaces: dict[str, list[Surface]] = defaultdict(list)
        for entry in self.entries:
            forms = [(entry.name, "name")] + [(alias, "alias") for alias in entry.aliases]
            forms += [(chinese_to_digits(text), "variant") for text, _ in list(forms)]
            seen: set[str] = set()
            for text, how in forms:
                if text and text not in seen:
                    seen.add(text)
                    surfaces[text].append(Surface(text, entry, how))
            if entry.kind == "street":
                self.streets[entry.name] = entry
        self.surfaces = dict(surfaces)
        pinyin: dict[tuple[str, ...], list[Surface]] = defaultdict(list)
        folded: dict[tuple[str, ...], list[Surface]] = defaultdict(list)
        for text, items in self.surfaces.items():
            if len(text) < FUZZY_MIN_CHARS or any(ch.isdigit() for ch in text):
                continue
            pinyin[name_pinyin_key(text)].extend(items)
            folded[name_pinyin_key(text, fold=True)].extend(items)
        self.pinyin, self.pinyin_folded = dict(pinyin), dict(folded)

    @property
    def max_surface_len(self) -> int:
        return max((len(s) for s in self.surfaces), default=0)

    def named(self, name: str, kind: str | None = None) -> list[GazetteerEntry]:
        """Entries called (or aliased) ``name``, optionally of one kind."""
        return [s.entry for s in self.surfaces.get(name, ()) if kind is None or s.entry.kind == kind]

    def street_code(self, street: str | None) -> str | None:
        entry = self.streets.get(street or "")
        return entry.code if entry else None


def _geometry(raw: dict[str, Any]) -> BaseGeometry | None:
    if "line" in raw:
        return LineString([tuple(p) for p in raw["line"]])
    for key in ("point", "center"):
        if key in raw:
            return Point(*raw[key])
    return None


def _entry(kind: str, raw: dict[str, Any], order: int, streets: dict[str, str]) -> GazetteerEntry:
    name = str(raw["name"])
    street = name if kind == "street" else raw.get("street")
    return GazetteerEntry(
        kind=kind,
        name=name,
        street=street,
        community=raw.get("community") or (name if kind == "community" else None),
        code=str(raw["code"]) if raw.get("code") else streets.get(street or ""),
        aliases=tuple(str(a) for a in raw.get("aliases") or ()),
        geometry=_geometry(raw),
        poi_kind=raw.get("kind"),
        demo=bool(raw.get("demo", False)),
        order=order,
    )


def load_gazetteer(path: Path) -> Gazetteer:
    """Read and index a gazetteer YAML file (format: see ``cities/foshan-nanhai/gazetteer.yaml``)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    jurisdiction = Jurisdiction(**{k: str(v) for k, v in raw["jurisdiction"].items()})
    street_codes = {str(s["name"]): str(s["code"]) for s in raw.get("streets") or () if s.get("code")}
    entries: list[GazetteerEntry] = []
    for kind, section in (("street", "streets"), ("community", "communities"), ("road", "roads"), ("poi", "pois")):
        for item in raw.get(section) or ():
            entries.append(_entry(kind, item, len(entries), street_codes))
    unknown = {e.street for e in entries if e.street and e.street not in street_codes}
    if unknown:
        raise ValueError(f"{path}: entries name streets that the file does not list: {sorted(unknown)}")
    return Gazetteer(
        jurisdiction=jurisdiction,
        entries=entries,
        district_aliases=tuple(raw.get("district_aliases") or ()),
        city_aliases=tuple(raw.get("city_aliases") or ()),
        source=Path(path),
    )
