"""Build ``nlu/geodata/divisions.tsv.gz``: China's administrative divisions down to 乡镇/街道, in compact form.

Source: modood/Administrative-divisions-of-China (WTFPL v2), 国家统计局 2023年统计用区划代码 (as of 2023-06-30),
read from ``$HOTLINE_SHARED_DIR/data/admin-divisions-china-modood`` (default ``<repo>/../shared``).

Output: one division per line, ``code<TAB>name``; the level follows from the code's length (2 省, 4 市, 6 县/区,
9 乡镇/街道) and the parent from its prefix. The placeholder city names of the 直辖市 (``市辖区``, ``县``) are written
as the province's name so that 北京市 is both the province and the city.

Rebuild: ``.venv/bin/python -m nlu.geodata.build_divisions``
"""

from __future__ import annotations

import csv
import gzip
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(__file__).with_name("divisions.tsv.gz")
PLACEHOLDER_CITY_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def source_dir() -> Path:
    """The modood folder inside the shared data directory."""
    shared = Path(os.environ.get("HOTLINE_SHARED_DIR", REPO_ROOT.parent / "shared"))
    return shared / "data" / "admin-divisions-china-modood"


def read_rows(folder: Path) -> list[tuple[str, str]]:
    """(code, name) for every province, city, district and street, placeholder city names replaced."""
    rows: list[tuple[str, str]] = []
    provinces: dict[str, str] = {}
    for file_name in ("provinces.csv", "cities.csv", "areas.csv", "streets.csv"):
        with (folder / file_name).open(encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                code, name = record["code"].strip(), record["name"].strip()
                if len(code) == 2:
                    provinces[code] = name
                if len(code) == 4 and name in PLACEHOLDER_CITY_NAMES:
                    name = provinces[code[:2]] if name in {"市辖区", "县"} else name
                rows.append((code, name))
    return rows


def main() -> None:
    rows = read_rows(source_dir())
    with gzip.open(OUTPUT, "wt", encoding="utf-8", compresslevel=9) as out:
        for code, name in rows:
            out.write(f"{code}\t{name}\n")
    print(f"wrote {len(rows)} divisions to {OUTPUT} ({OUTPUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
