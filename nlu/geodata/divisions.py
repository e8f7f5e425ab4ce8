"""China's administrative divisions down to 乡镇/街道 (国家统计局 2023, via modood, WTFPL), loaded from the compact
``divisions.tsv.gz`` shipped next to this module (rebuild with ``python -m nlu.geodata.build_divisions``).

A division's level follows from its code length: 2 → 省, 4 → 市, 6 → 县/区, 9 → 乡镇/街道. ``Divisions`` answers
"what is this code / name", fills in the implied upper levels, and lists the surface forms (full names and safe
short forms such as 广州 for 广州市) that a text scanner may look for.
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("divisions.tsv.gz")

LEVEL_BY_CODE_LENGTH: dict[int, str] = {2: "province", 4: "city", 6: "district", 9: "street"}
PARENT_CODE_LENGTH: dict[int, int] = {4: 2, 6: 4, 9: 6}

# Suffixes removed to form short names (longest first). 自治区 names keep their ethnic part out: 广西壮族自治区 → 广西.
_PROVINCE_SUFFIX = re.compile(r"(壮族自治区|回族自治区|维吾尔自治区|自治区|省|市)$")
_CITY_SUFFIX = re.compile(r"(市|地区|盟)$")
_DISTRICT_SUFFIX = re.compile(r"(区|县|市|旗)$")
_PLACEHOLDER = re.compile(r"直辖|行政区划")


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division."""

    code: str
    name: str

    @property
    def level(self) -> str:
        """``province`` | ``city`` | ``district`` | ``street``."""
        return LEVEL_BY_CODE_LENGTH[len(self.code)]

    @property
    def parent_code(self) -> str | None:
        length = PARENT_CODE_LENGTH.get(len(self.code))
        return self.code[:length] if length else None


def short_name(division: Division) -> str | None:
    """A safe short form (广东省 → 广东, 广州市 → 广州, 番禺区 → 番禺), or None when too short or unsafe."""
    pattern = {"province": _PROVINCE_SUFFIX, "city": _CITY_SUFFIX, "district": _DISTRICT_SUFFIX}.get(division.level)
    if pattern is None:
        return None
    short = pattern.sub("", division.name)
    if division.level == "city" and short.endswith("自治州"):
        return None
    return short if len(short) >= 2 and short != division.name else None


class Divisions:
    """Code and name lookups over all divisions."""

    def __init__(self, rows: list[tuple[str, str]]):
        self.by_code: dict[str, Division] = {}
        self.by_name: dict[str, list[Division]] = defaultdict(list)
        for code, name in rows:
            division = Division(code, name)
            self.by_code[code] = division
            self.by_name[name].append(division)

    def __len__(self) -> int:
        return len(self.by_code)

    def get(self, code: str) -> Division | None:
        return self.by_code.get(code)

    def lineage(self, code: str) -> dict[str, Division]:
        """The division and all its ancestors, keyed by level (``province`` … ``street``)."""
        out: dict[str, Division] = {}
        current = self.by_code.get(code)
        while current is not None:
            if not _PLACEHOLDER.search(current.name):
                out[current.level] = current
            parent = current.parent_code
            current = self.by_code.get(parent) if parent else None
        if "city" not in out and "province" in out and len(code) >= 4:
            out["city"] = out["province"]  # 直辖市: the province is also the city
        return out

    def named(self, name: str) -> list[Division]:
        """Divisions with exactly this full name (several places share names like 城关镇)."""
        return list(self.by_name.get(name, ()))

    def surface_forms(self, home_province: str | None = None) -> dict[str, list[Division]]:
        """Strings a scanner may match, each with the divisions it can mean.

        Full names of every division (streets only when three characters or longer); short forms of provinces and
        cities everywhere, of districts only inside ``home_province`` (a caller in 佛山 says 番禺 for 番禺区, while
        two-character district stems elsewhere would match ordinary words).
        """
        forms: dict[str, list[Division]] = defaultdict(list)
        for division in self.by_code.values():
            if _PLACEHOLDER.search(division.name):
                continue
            if division.level != "street" or len(division.name) >= 3:
                forms[division.name].append(division)
            short = short_name(division)
            if short is None:
                continue
            if division.level == "district" and (home_province is None or division.code[:2] != home_province):
                continue
            forms[short].append(division)
        # 直辖市: 北京市 is listed as province and (placeholder-renamed) city; keep one meaning, the province.
        for key, values in forms.items():
            seen: dict[tuple[str, str], Division] = {}
            for value in values:
                seen.setdefault((value.name, value.level), value)
            forms[key] = _dedupe_municipality(list(seen.values()))
        return dict(forms)


def _dedupe_municipality(values: list[Division]) -> list[Division]:
    provinces = {v.name for v in values if v.level == "province"}
    return [v for v in values if not (v.level == "city" and v.name in provinces)] or values


def load_rows(path: Path = DATA_FILE) -> list[tuple[str, str]]:
    """Read ``code<TAB>name`` rows from the compact file."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [tuple(line.rstrip("\n").split("\t", 1)) for line in handle if line.strip()]  # type: ignore[misc]


@lru_cache(maxsize=1)
def load_divisions() -> Divisions:
    """The shipped national divisions (cached per process)."""
    return Divisions(load_rows())
