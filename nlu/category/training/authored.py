"""Messages this project wrote itself, one JSON object per line, labelled down to the 三级 leaf.

``data/authored/*.jsonl`` rows: ``{"title", "text", "domain", "l2", "l3"}``, where ``(domain, l2, l3)`` is the path
of a service (``FW``) leaf of the taxonomy. They are invented in the style of a city message board (anonymised
places like "A市A3区"), spread over every 三级 leaf of the 15 domains; see docs/classification.md for how they were
written. Unlike the 泰迪杯 messages they are committed, and unlike them they carry leaf labels.
"""

from __future__ import annotations

import json
from pathlib import Path

from nlu.category.text import prepare
from nlu.category.training.synth import Example
from nlu.taxonomy import Taxonomy

AUTHORED_DIR = Path(__file__).resolve().parents[1] / "data" / "authored"
SOURCE = "authored"


def authored_examples(taxonomy: Taxonomy, folder: Path = AUTHORED_DIR) -> list[Example]:
    """Every authored message as an ``Example`` with its leaf code; a row that does not parse or whose path is
    not a leaf raises ``ValueError`` naming the file and line (the files are ours: a bad row is a bug)."""
    by_path = {leaf.path: leaf for leaf in taxonomy if leaf.kind == "服务"}
    out: list[Example] = []
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                leaf = by_path[(row["domain"], row["l2"], row["l3"])]
                text = prepare(row["text"], row.get("title", "")).text
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path.name}:{number}: not an authored message ({error!r})") from error
            out.append(Example(text, leaf.code, leaf.domain, SOURCE))
    return out
