"""Train the address parser (CRF, then its BiLSTM members when torch is installed) and write ``models/address-crf/``.

Recipes: ``train_on_train`` (train.txt; dev figures) and ``train_with_dev`` (train.txt + dev.txt: the shipped model),
with ``dev_fold_estimate`` for an honest figure of the latter. ``train`` is the CRF step on any list of addresses.
Run: ``.venv/bin/python -m nlu.address.train [OUT] [--with-dev] [--crf-only] [--no-lexicon]`` (or
``hotline models train-address``).
"""

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
from nlu.address.metrics import entity_scores, score_fields
from nlu.address.model import ENTITIES_FILE, META_FILE, MODEL_FILE, AddressParser, update_meta

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
          groups: tuple[str, ...] = DEFAULT_GROUPS, source: str | None = None) -> dict:
    """Train, save model + meta.json (+ entities.tsv) into ``out_dir``; returns the meta (with dev figures when
    ``dev_path``). ``train_path`` / ``dev_path`` may also be already-read ``(tokens, tags)`` lists (tuning splits);
    ``source`` names what such a list holds (written to meta.json as ``train_file``)."""
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
            "train_file": (f"{CORPUS}/{train_path.name}" if isinstance(train_path, Path)
                           else source or "(in-memory split)")}
    (out_dir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    if dev_path is not None:
        meta = update_meta(out_dir, dev=score_fields(evaluate(AddressParser(out_dir), dev_path)[0]))
    return meta


def neural_available() -> bool:
    """True when torch is installed (training the BiLSTM members needs it; using them does not)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def add_neural_members(data: list, out_dir: Path, source: str, neural: bool = True) -> dict | None:
    """Train the BiLSTM members next to the CRF in ``out_dir`` (``nlu.address.train_neural``) when asked and torch
    is there; returns their meta entry, or None (the parser then runs the CRF alone)."""
    if not neural or not neural_available():
        return None
    from nlu.address.train_neural import train_members

    return train_members(data, out_dir, source=source)


def train_with_dev(out_dir: Path, neural: bool = True, **kwargs) -> dict:
    """The shipping recipe: the chosen configuration trained on train.txt + dev.txt (no dev figures: dev is seen;
    the estimate comes from ``dev_fold_estimate``, and the train-only twin gives the plain dev figure)."""
    data = read_tagged(corpus_file("train")) + read_tagged(corpus_file("dev"))
    source = f"{CORPUS}/train.txt + dev.txt"
    train(data, out_dir, source=source, **kwargs)
    add_neural_members(data, out_dir, source, neural)
    return update_meta(out_dir, trained_on_dev=True)


def train_on_train(out_dir: Path, neural: bool = True, **kwargs) -> dict:
    """The chosen configuration trained on train.txt only, with its dev figures (the train-only twin)."""
    data = read_tagged(corpus_file("train"))
    train(data, out_dir, source=f"{CORPUS}/train.txt", **kwargs)
    add_neural_members(data, out_dir, f"{CORPUS}/train.txt", neural)
    return update_meta(out_dir, dev=score_fields(evaluate(AddressParser(out_dir), corpus_file("dev"))[0]))


def dev_half(k: int) -> tuple[list, list]:
    """(dev addresses with index % 2 != k, those with index % 2 == k)."""
    dev = read_tagged(corpus_file("dev"))
    return ([d for i, d in enumerate(dev) if i % 2 != k], [d for i, d in enumerate(dev) if i % 2 == k])


def dev_fold_estimate(work_dir: Path, neural: bool = True, **kwargs) -> dict:
    """An honest figure for a model trained on train + dev: train on train.txt + one half of dev.txt, score on the
    other half, both ways; pooled entity micro P/R/F1 (the models see 1,492 fewer addresses than the shipped one,
    so the figure is slightly pessimistic)."""
    gold: list[list[str]] = []
    pred: list[list[str]] = []
    base = read_tagged(corpus_file("train"))
    for k in (0, 1):
        extra, held = dev_half(k)
        folder = work_dir / f"dev-fold-{k}"
        source = f"{CORPUS}/train.txt + dev.txt (index % 2 != {k})"
        train(base + extra, folder, source=source, **kwargs)
        add_neural_members(base + extra, folder, source, neural)
        parser = AddressParser(folder)
        gold += [tags for _, tags in held]
        pred += [parser.tag(tokens) for tokens, _ in held]
    return {**score_fields(entity_scores(gold, pred)[0]), "method": "2-fold over dev.txt halves (index parity), trained with train.txt"}


def evaluate(parser: AddressParser, path: Path | list):
    """Entity scores of ``parser`` on a tagged file (or a ``(tokens, tags)`` list): (overall, per_label)."""
    data = read_tagged(path) if isinstance(path, (str, Path)) else path
    gold = [tags for _, tags in data]
    pred = [parser.tag(tokens) for tokens, _ in data]
    return entity_scores(gold, pred)


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else (
        REPO_ROOT / "models" / "address-crf")
    recipe = train_with_dev if "--with-dev" in sys.argv else train_on_train
    print(json.dumps(recipe(out, neural="--crf-only" not in sys.argv, use_lexicon="--no-lexicon" not in sys.argv),
                     ensure_ascii=False, indent=2))
