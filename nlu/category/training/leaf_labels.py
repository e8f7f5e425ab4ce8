"""Real 泰迪杯 messages labelled by this project down to the 三级 leaf.

``data/{dev,train}_tipdm_leaf_labels.csv`` rows: ``id,domain,l2,l3`` — the message id (as in the domain hand-label
files) and the path of a service (``FW``) leaf of the taxonomy. Only ids and labels are committed; the texts are read
from ../shared at build time. The dev file holds the leaf labels of the domain dev split (never trained on): it
measures leaf accuracy on real messages (``bench/category_leaf.py --real``). The train file teaches the leaf head.

``data/{dev,train}_tipdm_city_labels.csv`` rows: ``id,code`` — whether a real message reports a city-management case
and which: a 部件/事件 code of GB/T 30428.2 (``BJ``/``SJ``), or ``NONE``. The train file teaches the city head (which
decides when a message gets a 部件/事件 code instead of a service leaf); the dev file measures that decision
(``bench/category_leaf.py --city``).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from nlu.category.backends.linear import NOT_CITY
from nlu.category.training.corpus import message_text, read_messages, tipdm_available
from nlu.category.training.synth import Example
from nlu.taxonomy import Taxonomy

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEV_LEAF_LABELS = DATA_DIR / "dev_tipdm_leaf_labels.csv"
TRAIN_LEAF_LABELS = DATA_DIR / "train_tipdm_leaf_labels.csv"
DEV_CITY_LABELS = DATA_DIR / "dev_tipdm_city_labels.csv"
TRAIN_CITY_LABELS = DATA_DIR / "train_tipdm_city_labels.csv"
SOURCE = "tipdm-leaf"
CITY_SOURCE = "tipdm-city"


def read_leaf_labels(taxonomy: Taxonomy, path: Path) -> dict[str, str]:
    """``id → FW leaf code``; a row whose path is not a service leaf raises ``ValueError`` naming file and line."""
    if not path.exists():
        return {}
    by_path = {leaf.path: leaf.code for leaf in taxonomy if leaf.kind == "服务"}
    out: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), 2):
            try:
                out[row["id"]] = by_path[(row["domain"], row["l2"], row["l3"])]
            except (KeyError, TypeError) as error:
                raise ValueError(f"{path.name}:{number}: not a service leaf ({error!r})") from error
    return out


def real_leaf_examples(taxonomy: Taxonomy, path: Path = TRAIN_LEAF_LABELS) -> list[Example]:
    """The leaf-labelled real messages of ``path`` as examples (empty without ../shared)."""
    labels = read_leaf_labels(taxonomy, path)
    if not labels or not tipdm_available():
        return []
    return [Example(message_text(m), labels[m.id], taxonomy[labels[m.id]].domain, SOURCE)
            for m in read_messages() if m.id in labels]


def read_city_labels(taxonomy: Taxonomy, path: Path) -> dict[str, str]:
    """``id → 部件/事件 code or NOT_CITY``; a code that is not a 部件/事件 leaf raises ``ValueError`` naming file
    and line."""
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), 2):
            code = (row.get("code") or "").strip()
            leaf = taxonomy.get(code)
            if code != NOT_CITY and (leaf is None or leaf.kind == "服务"):
                raise ValueError(f"{path.name}:{number}: {code!r} is neither a 部件/事件 code nor {NOT_CITY}")
            out[row["id"]] = code
    return out


def real_city_examples(taxonomy: Taxonomy, path: Path = TRAIN_CITY_LABELS,
                       domains: Mapping[str, str] | None = None) -> list[Example]:
    """The city-labelled real messages of ``path`` as examples (empty without ../shared). Their domain is the
    message's hand-labelled domain in ``domains`` (the domain the city decision then runs inside), else the code's
    domain, else "" (a ``NOT_CITY`` message without a domain label)."""
    labels = read_city_labels(taxonomy, path)
    if not labels or not tipdm_available():
        return []
    domains = domains or {}
    return [Example(message_text(m), labels[m.id], domains.get(m.id) or _domain(taxonomy, labels[m.id]), CITY_SOURCE)
            for m in read_messages() if m.id in labels]


def _domain(taxonomy: Taxonomy, code: str) -> str:
    return "" if code == NOT_CITY else taxonomy[code].domain
