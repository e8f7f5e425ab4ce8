"""Real 泰迪杯 messages labelled by this project down to the 三级 leaf.

``data/{dev,train}_tipdm_leaf_labels.csv`` rows: ``id,domain,l2,l3`` — the message id (as in the domain hand-label
files) and the path of a service (``FW``) leaf of the taxonomy. Only ids and labels are committed; the texts are read
from ../shared at build time. The dev file holds the leaf labels of the domain dev split (never trained on): it
measures leaf accuracy on real messages (``bench/category_leaf.py --real``). The train file teaches the leaf head.
"""

from __future__ import annotations

import csv
from pathlib import Path

from nlu.category.training.corpus import message_text, read_messages, tipdm_available
from nlu.category.training.synth import Example
from nlu.taxonomy import Taxonomy

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEV_LEAF_LABELS = DATA_DIR / "dev_tipdm_leaf_labels.csv"
TRAIN_LEAF_LABELS = DATA_DIR / "train_tipdm_leaf_labels.csv"
SOURCE = "tipdm-leaf"


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
