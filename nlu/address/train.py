"""Train the CRF address parser on the corpus's train split; report dev F1; write ``models/address-crf/``."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import pycrfsuite

from hotline.settings import REPO_ROOT
from nlu.address.corpus import read_tagged, spans_of
from nlu.address.features import ENTITY_LABELS, sentence_features
from nlu.address.metrics import entity_scores
from nlu.address.model import ENTITIES_FILE, META_FILE, MODEL_FILE, AddressParser

CORPUS = "chinese-address-parsing-naacl2019"
DEFAULT_PARAMS = {"c1": 0.1, "c2": 0.1, "max_iterations": 300, "feature.possible_transitions": True}
DEFAULT_GROUPS = ("repeats", "forward_repeats", "division_repeats", "cues", "segments")
"""Feature groups of the shipped model (see ``nlu.address.features.FEATURE_GROUPS``)."""
FOLDS = 5


def entity_counts(data: list[tuple[list[str], list[str]]]) -> Counter:
    """(string, label) → how often the training data names that entity."""
    counts: Counter = Counter()
    for tokens, tags in data:
        for span in spans_of(tags, tokens):
            if span.label in ENTITY_LABELS and len(span.text) >= 2:
                counts[(span.text, span.label)] += 1
    return counts


def as_lexicon(counts: Counter) -> dict[str, frozenset[str]]:
    lexicon: dict[str, set[str]] = {}
    for (text, label), n in counts.items():
        if n > 0:
            lexicon.setdefault(text, set()).add(label)
    return {k: frozenset(v) for k, v in lexicon.items()}


def out_of_fold_lexicons(data: list[tuple[list[str], list[str]]]) -> list[dict[str, frozenset[str]]]:
    """For each training address, the entity lexicon of the OTHER folds (so the CRF learns how much to trust a
    lexicon hit on unseen text, instead of trusting it always)."""
    total = entity_counts(data)
    folds = [entity_counts(data[k::FOLDS]) for k in range(FOLDS)]
    lexicons = [as_lexicon(total - fold) for fold in folds]
    return [lexicons[i % FOLDS] for i in range(len(data))]


def shared_dir() -> Path:
    """``$HOTLINE_SHARED_DIR`` or ``<repo>/../shared``."""
    return Path(os.environ.get("HOTLINE_SHARED_DIR", REPO_ROOT.parent / "shared"))


def corpus_file(split: str) -> Path:
    """train.txt or dev.txt of the address corpus (the test split is reserved and never read here)."""
    if split not in {"train", "dev"}:
        raise ValueError("only the train and dev splits are open")
    return shared_dir() / "data" / CORPUS / f"{split}.txt"


def train(train_path: Path | list, out_dir: Path, use_lexicon: bool = True, params: dict | None = None,
          dev_path: Path | list | None = None, use_entities: bool = True,
          groups: tuple[str, ...] = DEFAULT_GROUPS) -> dict:
    """Train, save model + meta.json (+ entities.tsv) into ``out_dir``; returns the meta (with dev figures when
    ``dev_path``). ``train_path`` / ``dev_path`` may also be already-read ``(tokens, tags)`` lists (tuning splits)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = read_tagged(train_path) if isinstance(train_path, (str, Path)) else list(train_path)
    trainer = pycrfsuite.Trainer(verbose=False)
    oof = out_of_fold_lexicons(data) if use_entities else [None] * len(data)
    for (tokens, tags), lexicon in zip(data, oof):
        trainer.append(sentence_features(tokens, use_lexicon, lexicon, groups=groups), tags)
    entities_path = out_dir / ENTITIES_FILE
    if use_entities:
        lexicon = as_lexicon(entity_counts(data))
        entities_path.write_text("".join(f"{k}\t{','.join(sorted(v))}\n" for k, v in sorted(lexicon.items())),
                                 encoding="utf-8")
    elif entities_path.exists():
        entities_path.unlink()
    trainer.set_params({**DEFAULT_PARAMS, **(params or {})})
    start = time.perf_counter()
    trainer.train(str(out_dir / MODEL_FILE))
    meta = {"algorithm": "crf-lbfgs", "params": {**DEFAULT_PARAMS, **(params or {})}, "use_lexicon": use_lexicon,
            "use_entities": use_entities, "feature_groups": list(groups),
            "train_addresses": len(data), "train_seconds": round(time.perf_counter() - start, 1),
            "train_file": f"{CORPUS}/{train_path.name}" if isinstance(train_path, Path) else "(in-memory split)"}
    (out_dir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    if dev_path is not None:
        overall, _ = evaluate(AddressParser(out_dir), dev_path)
        meta["dev"] = {"precision": round(overall.precision, 4), "recall": round(overall.recall, 4),
                       "f1": round(overall.f1, 4), "entities": overall.support}
        (out_dir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return meta


def evaluate(parser: AddressParser, path: Path | list):
    """Entity scores of ``parser`` on a tagged file (or a ``(tokens, tags)`` list): (overall, per_label)."""
    data = read_tagged(path) if isinstance(path, (str, Path)) else path
    gold = [tags for _, tags in data]
    pred = [parser.tag(tokens) for tokens, _ in data]
    return entity_scores(gold, pred)


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO_ROOT / "models" / "address-crf"
    lexicon = "--no-lexicon" not in sys.argv
    print(json.dumps(train(corpus_file("train"), out, use_lexicon=lexicon, dev_path=corpus_file("dev"),
                           use_entities="--no-entities" not in sys.argv),
                     ensure_ascii=False, indent=2))
