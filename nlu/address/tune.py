"""Try a parser variant on a split of train.txt (never dev): train on addresses whose index % 10 != 0, score on the
others. The table "What was tried" in docs/location.md comes from this.

Run: ``.venv/bin/python -m nlu.address.tune OUT_DIR [--groups a,b,c] [--params '{"c1": 0.1, "c2": 0.1}']``
(default groups: the shipped ones; default iterations here: 150).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nlu.address.corpus import read_tagged
from nlu.address.train import DEFAULT_GROUPS, corpus_file, train

HOLD_OUT_EVERY = 10


def split(data: list) -> tuple[list, list]:
    """(training part, held-out part): every HOLD_OUT_EVERY-th address is held out."""
    return ([d for i, d in enumerate(data) if i % HOLD_OUT_EVERY != 0],
            [d for i, d in enumerate(data) if i % HOLD_OUT_EVERY == 0])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--groups", default=",".join(DEFAULT_GROUPS))
    ap.add_argument("--params", default="{}")
    args = ap.parse_args(argv)
    params = {"max_iterations": 150, **json.loads(args.params)}
    groups = tuple(g for g in args.groups.split(",") if g)
    part, held_out = split(read_tagged(corpus_file("train")))
    meta = train(part, args.out, params=params, dev_path=held_out, groups=groups)
    print(json.dumps({"groups": groups, "params": meta["params"], "held_out": meta["dev"],
                      "train_seconds": meta["train_seconds"]}, ensure_ascii=False))


if __name__ == "__main__":
    main()
