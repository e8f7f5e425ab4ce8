"""Leaf accuracy of the category classifier: cross-validated on the messages this project wrote, or on real messages.

Run: ``.venv/bin/python bench/category_leaf.py [--folds 3]`` (no ../shared needed). For each fold the leaf head is
trained on the other folds' authored messages + the synthetic service-leaf sentences, exactly as
``hotline train category`` does (``fit_leaf_head``, pruned ``LeafHead``), and scored on the held-out fold, the
domain given (the leaf step runs inside the predicted domain). The cue-word rule it replaced is scored on the same
folds. Prints accuracy and top-3 accuracy for both.

Run: ``.venv/bin/python bench/category_leaf.py --real`` (needs ../shared). Scores on the real messages of the dev
split labelled down to the 三级 leaf (``data/dev_tipdm_leaf_labels.csv``, never trained on): the leaf head trained
without and with the leaf-labelled real training messages, and the cue-word rule, the domain given; then the shipped
model end to end (domain predicted, then the leaf, 部件/事件 cue leaves included), top-1 and top-3.

Run: ``.venv/bin/python bench/category_leaf.py --city`` (needs ../shared). Scores the decision "is this a
city-management case, and which 部件/事件 code" on the dev messages labelled with a code or NONE
(``data/dev_tipdm_city_labels.csv``, never trained on), and on the synthetic dev sentences (spoken style; a
部件/事件 leaf's sentence should get its code, a service leaf's none): the cue-word rule, the city head alone and the
city decision as trained (head + cue words, threshold and veto chosen by ``choose_city_decision``), the domain
given; then the shipped model end to end on both. Prints label accuracy, precision and recall of "a city case", and
the code accuracy on the city cases.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np

from hotline.settings import get_settings
from nlu.category.backend import make_backend
from nlu.category.components import DEFAULT_MODEL_NAME
from nlu.category.backends.keyword import KeywordClassifier
from nlu.category.guess import cue_city_code, leaf_in_domain
from nlu.category.training.authored import authored_examples
from nlu.category.backends.linear import NOT_CITY, LinearModel, city_code
from nlu.category.training.corpus import message_text, read_messages
from nlu.category.training.leaf_labels import (
    DEV_CITY_LABELS,
    DEV_LEAF_LABELS,
    TRAIN_CITY_LABELS,
    TRAIN_LEAF_LABELS,
    read_city_labels,
    real_city_examples,
    real_leaf_examples,
)
from nlu.category.training.synth import Example, synth_examples
from nlu.category.training.train import (
    HAND_LABELS,
    TrainConfig,
    TRAIN_HAND_LABELS,
    choose_city_decision,
    city_examples,
    fit,
    fit_leaf_head,
    hand_labels,
    leaf_examples,
    make_vectorizer,
)
from nlu.taxonomy import Taxonomy, load_taxonomy


def score_head(taxonomy: Taxonomy, config: TrainConfig, train: Sequence[Example],
               held: Sequence[Example]) -> tuple[int, int]:
    """(top-1 hits, top-3 hits) of a leaf head trained on ``train``, ranked inside each held example's domain."""
    vectorizer = make_vectorizer(config).fit([e.text for e in train])
    head = fit_leaf_head(vectorizer, train, config)
    matrix = vectorizer.transform([e.text for e in held])
    top1 = top3 = 0
    for i, example in enumerate(held):
        row = matrix.getrow(i)
        scores = head.scores(row.indices.astype(np.int64), row.data.astype(np.float64))
        ranked = [c for _, c in sorted(((s, c) for c, s in scores.items()
                                        if taxonomy[c].domain == example.domain), reverse=True)]
        top1 += bool(ranked) and ranked[0] == example.code
        top3 += example.code in ranked[:3]
    return top1, top3


def score_cues(taxonomy: Taxonomy, keyword: KeywordClassifier, held: Sequence[Example]) -> tuple[int, int]:
    """(top-1 hits, top-3 hits) of the cue-word rule inside each held example's domain."""
    top1 = top3 = 0
    for example in held:
        cue_scores, _ = keyword.scores(example.text)
        ranked = [c for _, c in sorted(((s, c) for c, s in cue_scores.items()
                                        if taxonomy[c].domain == example.domain), reverse=True)]
        top1 += leaf_in_domain(taxonomy, cue_scores, example.domain).code == example.code
        top3 += example.code in ranked[:3]
    return top1, top3


def authored_cv(taxonomy: Taxonomy, config: TrainConfig, folds: int) -> None:
    keyword = KeywordClassifier(taxonomy)
    authored = authored_examples(taxonomy)
    synth = [e for e in synth_examples(taxonomy, per_leaf=config.synth_per_leaf) if e.code.startswith("FW")]
    others = [e for e in leaf_examples(taxonomy, synth) if e.source != "authored"]
    order = np.random.default_rng(0).permutation(len(authored))
    hits = {"head": np.zeros(2, dtype=int), "cue": np.zeros(2, dtype=int)}
    started = time.perf_counter()
    for k in range(folds):
        test = set(order[k::folds].tolist())
        train = [e for i, e in enumerate(authored) if i not in test]
        held = [authored[i] for i in sorted(test)]
        hits["head"] += score_head(taxonomy, config, train + others, held)
        hits["cue"] += score_cues(taxonomy, keyword, held)
    n = len(authored)
    print(f"authored messages: {n}, folds: {folds}, leaves: {len({e.code for e in authored})}, "
          f"{time.perf_counter() - started:.0f} s")
    for name, (top1, top3) in hits.items():
        print(f"{name:5s} leaf accuracy (domain given) {top1 / n:.4f}  top-3 {top3 / n:.4f}")


def real_dev(taxonomy: Taxonomy, config: TrainConfig) -> None:
    held = real_leaf_examples(taxonomy, DEV_LEAF_LABELS)
    real_train = real_leaf_examples(taxonomy, TRAIN_LEAF_LABELS)
    if not held:
        raise SystemExit("needs ../shared/data/tipdm2020-c-smart-gov-messages and data/dev_tipdm_leaf_labels.csv")
    synth = [e for e in synth_examples(taxonomy, per_leaf=config.synth_per_leaf) if e.code.startswith("FW")]
    base = leaf_examples(taxonomy, synth)
    n = len(held)
    print(f"real dev messages with a leaf label: {n} ({len({e.code for e in held})} leaves); "
          f"real training messages with a leaf label: {len(real_train)}")
    rows = {
        "head, authored + synthetic": score_head(taxonomy, config, base, held),
        "head, + real leaf labels (shipped)": score_head(taxonomy, config, base + real_train, held),
        "cue-word rule": score_cues(taxonomy, KeywordClassifier(taxonomy), held),
    }
    for name, (top1, top3) in rows.items():
        print(f"{name:36s} leaf accuracy (domain given) {top1 / n:.4f}  top-3 {top3 / n:.4f}")
    backend = make_backend("linear", taxonomy, model_dir=get_settings().models_dir / DEFAULT_MODEL_NAME)
    top1 = top3 = domain = 0
    for example in held:
        guesses = backend.predict(example.text, top_k=3)
        domain += bool(guesses) and guesses[0].domain == example.domain
        top1 += bool(guesses) and guesses[0].code == example.code
        top3 += example.code in [g.code for g in guesses]
    print(f"shipped model end to end: domain {domain / n:.4f}, leaf top-1 {top1 / n:.4f}, leaf in top-3 {top3 / n:.4f}")


def city_scores(gold: Sequence[str], pred: Sequence[str]) -> str:
    """Label accuracy; precision/recall of "a city case"; code accuracy on the gold city cases."""
    g, p = np.array(gold), np.array(pred)
    city_g, city_p = g != NOT_CITY, p != NOT_CITY
    hits = city_g & (g == p)
    precision = (city_g & city_p).sum() / max(city_p.sum(), 1)
    return (f"accuracy {np.mean(g == p):.4f}, city case precision {precision:.4f} recall "
            f"{(city_g & city_p).sum() / max(city_g.sum(), 1):.4f}, right code {hits.sum()}/{city_g.sum()} "
            f"({hits.sum() / max(city_g.sum(), 1):.4f}), codes given {city_p.sum()}")


def city_dev(taxonomy: Taxonomy, config: TrainConfig) -> None:
    labels = read_city_labels(taxonomy, DEV_CITY_LABELS)
    domains = hand_labels(HAND_LABELS)
    messages = [m for m in read_messages() if m.id in labels]
    if not messages:
        raise SystemExit("needs ../shared/data/tipdm2020-c-smart-gov-messages and data/dev_tipdm_city_labels.csv")
    texts = [message_text(m) for m in messages]
    gold = [labels[m.id] for m in messages]
    print(f"real dev messages with a city label: {len(gold)}, city cases {sum(g != NOT_CITY for g in gold)}; "
          f"real training messages with a city label: {len(read_city_labels(taxonomy, TRAIN_CITY_LABELS))}")
    synth = synth_examples(taxonomy, per_leaf=config.synth_per_leaf)
    training = city_examples(taxonomy, synth, real_city_examples(taxonomy, TRAIN_CITY_LABELS,
                                                                 hand_labels(TRAIN_HAND_LABELS)))
    threshold, veto, report = choose_city_decision(taxonomy, training, config)
    model: LinearModel = fit(training, config, city_training=training)
    keyword = KeywordClassifier(taxonomy)
    spoken = synth_examples(taxonomy, per_leaf=2, seed=101)
    sets = {"real": (texts, [domains[m.id] for m in messages], gold),
            "synthetic": ([e.text for e in spoken], [e.domain for e in spoken],
                          [e.code if taxonomy[e.code].kind != "服务" else NOT_CITY for e in spoken])}
    print(f"city decision chosen: threshold {threshold}, veto {veto} ({report})")
    for name, (rows, row_domains, row_gold) in sets.items():
        cues = [cue_city_code(taxonomy, keyword.scores(text)[0], domain) for text, domain in zip(rows, row_domains)]
        proba = [model.city_proba(text) for text in rows]
        rules = {"cue-word rule": [c or NOT_CITY for c in cues],
                 "city head alone": [city_code(taxonomy, p, d, threshold) or NOT_CITY
                                     for p, d in zip(proba, row_domains)],
                 "city decision (head + cue words)": [city_code(taxonomy, p, d, threshold, veto, c) or NOT_CITY
                                                      for p, d, c in zip(proba, row_domains, cues)]}
        for rule, pred in rules.items():
            print(f"{name:9s} {rule + ', domain given':44s} {city_scores(row_gold, pred)}")
    backend = make_backend("linear", taxonomy, model_dir=get_settings().models_dir / DEFAULT_MODEL_NAME)
    for name, (rows, _, row_gold) in sets.items():
        shipped = []
        for text in rows:
            guesses = backend.predict(text, top_k=1)
            shipped.append(guesses[0].code if guesses and not guesses[0].code.startswith("FW") else NOT_CITY)
        print(f"{name:9s} {'shipped model end to end':44s} {city_scores(row_gold, shipped)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--real", action="store_true", help="score on the leaf-labelled real dev messages")
    parser.add_argument("--city", action="store_true", help="score the 部件/事件 decision on city-labelled dev messages")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    if args.city:
        city_dev(taxonomy, TrainConfig())
    elif args.real:
        real_dev(taxonomy, TrainConfig())
    else:
        authored_cv(taxonomy, TrainConfig(), args.folds)


if __name__ == "__main__":
    main()
