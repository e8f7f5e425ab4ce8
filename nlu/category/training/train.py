"""Build the training set, fit the linear backend, calibrate it, measure it on the dev splits, promote it if not
worse, and write its model card.

Data (see docs/classification.md):
- synthetic hotline sentences per leaf (+ ASR-noised copies), this project's own templates (weight ``synth_weight``);
- the real 泰迪杯 messages of 附件3/附件4 weakly labelled by ``WeakLabeller`` (weight 1);
- hand-labelled real messages ``data/train_tipdm_hand_labels.csv`` (weight ``hand_weight``);
- agents' corrections (weight ``hand_weight``).
Never trained on: ``data/dev_tipdm_hand_labels.csv`` (the dev split) and the synthetic dev split (another seed).

Calibration: k-fold over the hand-labelled training messages (each fold's model never saw that fold) gives
held-out predictions; on them we choose the cue-vote fusion weight (best 7-domain macro-F1) and fit a softmax
temperature (least log-loss). Dev is not used for any choice.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from nlu.category.backends.keyword import KeywordClassifier
from nlu.category.backends.linear import (
    META_FILE,
    NOT_CITY,
    LeafHead,
    LinearClassifier,
    LinearModel,
    city_code,
)
from nlu.category.domain_cues import DOMAIN_CUES_PATH, DomainCues, cached_domain_cues
from nlu.category.features import DEFAULT_BLOCKS, FeatureBlock, view
from nlu.category.guess import cue_city_code
from nlu.category.mix import can_adapt, predict_batch
from nlu.category.text import prepare
from nlu.category.training.authored import authored_examples
from nlu.category.training.corpus import message_text, read_messages, tipdm_available
from nlu.category.training.leaf_labels import CITY_SOURCE, real_city_examples, real_leaf_examples
from nlu.category.training.synth import AsrNoise, Example, synth_examples
from nlu.category.training.weak import WeakLabeller
from nlu.taxonomy import Taxonomy

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
HAND_LABELS = DATA_DIR / "dev_tipdm_hand_labels.csv"
TRAIN_HAND_LABELS = DATA_DIR / "train_tipdm_hand_labels.csv"
SEVEN = ["城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生"]
RESERVED_PRIOR = {"城乡建设": 101, "劳动和社会保障": 104, "教育文体": 96, "卫生计生": 58, "交通运输": 55,
                  "商贸旅游": 48, "环境保护": 33}
"""Class sizes of the reserved set (published in the issue); dev is also scored re-weighted to these proportions."""
FUSION_CANDIDATES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)
"""Weights tried for the domain cue votes."""
CUE_CANDIDATES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)
"""Weights tried for the taxonomy (leaf) cue-word scores."""


@dataclass
class TrainConfig:
    synth_per_leaf: int = 6
    noisy_copies: int = 1
    blocks: tuple[FeatureBlock, ...] = DEFAULT_BLOCKS
    """The TF-IDF blocks every head reads (``nlu.category.features``)."""
    learner: str = "svm"
    """Domain head learner, a key of ``DOMAIN_LEARNERS`` (chosen by bench/category_cv.py, docs/classification.md)."""
    c: float | None = None
    """Inverse regularisation of the domain head; None → the learner's tuned default (``LEARNER_C``)."""
    synth_weight: float = 1.0
    hand_weight: float = 3.0
    calibrate_folds: int = 3
    use_tipdm: bool = True
    max_iter: int = 150
    leaf_c: float = 16.0
    leaf_keep: int = 500
    """Leaf head: regularisation and weights kept per leaf (3-fold CV on the authored messages, bench/category_leaf.py)."""
    city_c: float = 16.0
    """City head (部件/事件 code or none) regularisation; its threshold and veto are chosen by ``choose_city_decision``."""
    city_blocks: int = 1
    """The city head reads the first this many blocks (1: character n-grams). With all three its right codes on the
    real dev messages fell from 28 to 25 of 59 (``bench/category_leaf.py --city``, seventh session)."""


@dataclass
class DevReport:
    name: str
    n: int
    accuracy: float
    macro_f1: float
    per_class_n: dict[str, int] = field(default_factory=dict)
    coverage_curve: list[dict[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def hand_labels(path: Path = HAND_LABELS) -> dict[str, str]:
    """``id → domain`` from a hand-label CSV (ids of 泰迪杯 messages and the domain a person gave them)."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as handle:
        return {row["id"]: row["domain"] for row in csv.DictReader(handle)}


def correction_examples(taxonomy: Taxonomy, rows: Iterable[dict[str, Any]]) -> list[Example]:
    """Agents' corrections (``text``, ``title``, ``code``) as examples; unknown codes are skipped."""
    out = []
    for row in rows:
        leaf = taxonomy.get(str(row.get("code", "")))
        text = prepare(str(row.get("text") or ""), str(row.get("title") or "")).text
        if leaf is not None and text:
            out.append(Example(text, leaf.code, leaf.domain, "correction"))
    return out


def example_weight(example: Example, config: TrainConfig) -> float:
    if example.source.startswith("synth"):
        return config.synth_weight
    if example.source in ("tipdm-hand", "correction"):
        return config.hand_weight
    return 1.0


def make_vectorizer(config: TrainConfig, blocks: Sequence[FeatureBlock] | None = None) -> Any:
    """The features the heads read: a ``FeatureUnion`` of one TF-IDF per block (default ``config.blocks``), named
    by its view and scaled by its weight (``LinearModel.features`` recomputes it with numpy)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    blocks = config.blocks if blocks is None else blocks
    return FeatureUnion(
        [(block.view, TfidfVectorizer(analyzer=view(block.view), min_df=2, max_features=block.max_features,
                                      sublinear_tf=True, dtype=np.float32)) for block in blocks],
        transformer_weights={block.view: block.weight for block in blocks},
    )


def leading_blocks(vectorizer: Any, n: int) -> Any:
    """The first ``n`` blocks of a fitted ``make_vectorizer`` union, still fitted: their features are the first
    ones of the whole row, so a head trained on them reads the same indices (``LeafHead`` ignores the rest)."""
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(vectorizer.transformer_list[:n], transformer_weights=vectorizer.transformer_weights)


LEARNER_C = {"svm": 0.2, "logreg": 8.0}
"""Each learner's C, tuned by 5-fold CV over the hand labels (svm: 0.1/0.15/0.2/0.3/0.5 tried with the feature
blocks, 0.2/0.3/0.5/1.0 with characters only; logreg: 8/30)."""


def _c(config: TrainConfig) -> float:
    return LEARNER_C[config.learner] if config.c is None else config.c


def _linear_svm(config: TrainConfig) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=_c(config), class_weight="balanced", max_iter=max(config.max_iter, 2000))


def _logistic_regression(config: TrainConfig) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=_c(config), max_iter=config.max_iter, tol=1e-3, class_weight="balanced")


DOMAIN_LEARNERS: dict[str, Callable[[TrainConfig], Any]] = {"svm": _linear_svm, "logreg": _logistic_regression}
"""Linear learners for the domain head. Both export ``coef_``/``intercept_``; the numpy model applies a softmax to
the margins and the fitted temperature calibrates it (an SVM's margins are not probabilities until then)."""


def fit(examples: Sequence[Example], config: TrainConfig, leaf_training: Sequence[Example] = (),
        city_training: Sequence[Example] = ()) -> LinearModel:
    """Fit TF-IDF + a linear domain head (``config.learner``) with scikit-learn and export the numpy model; with
    ``leaf_training`` also the sparse leaf head over their leaf codes, with ``city_training`` the city head, both on
    the same features."""
    if config.learner not in DOMAIN_LEARNERS:
        raise ValueError(f"unknown learner {config.learner!r}; choose one of {sorted(DOMAIN_LEARNERS)}")
    vectorizer = make_vectorizer(config)
    X = vectorizer.fit_transform([e.text for e in examples])
    classifier = DOMAIN_LEARNERS[config.learner](config)
    classifier.fit(X, [e.domain for e in examples], sample_weight=[example_weight(e, config) for e in examples])
    model = LinearModel.from_sklearn(vectorizer, classifier)
    if leaf_training:
        model.leaf_head = fit_leaf_head(vectorizer, leaf_training, config)
    if city_training:
        model.city_head = fit_leaf_head(leading_blocks(vectorizer, config.city_blocks), city_training, config,
                                        c=config.city_c)
    return model


def fit_leaf_head(vectorizer: Any, examples: Sequence[Example], config: TrainConfig,
                  c: float | None = None) -> LeafHead:
    """Logistic regression over the examples' codes on an already fitted vectorizer's features, pruned to a
    ``LeafHead`` (``c``: regularisation, default ``config.leaf_c``)."""
    from sklearn.linear_model import LogisticRegression

    head = LogisticRegression(C=c or config.leaf_c, max_iter=200, tol=1e-3)
    head.fit(vectorizer.transform([e.text for e in examples]), [e.code for e in examples])
    return LeafHead.from_dense([str(c) for c in head.classes_], head.coef_, head.intercept_, config.leaf_keep)


def leaf_examples(taxonomy: Taxonomy, synth: Sequence[Example], corrections: Sequence[Example] = (),
                  real: Sequence[Example] = ()) -> list[Example]:
    """What the leaf head learns from: messages with a leaf label (authored, ``real`` leaf-labelled 泰迪杯 messages,
    agents' corrections) and the synthetic sentences of service leaves."""
    rows = authored_examples(taxonomy) + list(real) + [e for e in synth if e.source == "synth"] + list(corrections)
    return [e for e in rows if taxonomy[e.code].kind == "服务"]


def city_examples(taxonomy: Taxonomy, synth: Sequence[Example], real: Sequence[Example]) -> list[Example]:
    """What the city head learns from: the city-labelled real messages (a 部件/事件 code or ``NOT_CITY``) and the
    synthetic sentences of the 部件/事件 leaves. Without real labels there is nothing to tell a case from a
    non-case, so no head (the cue-word rule decides)."""
    if not real:
        return []
    return list(real) + [e for e in synth if e.source == "synth" and taxonomy[e.code].kind != "服务"]


CITY_THRESHOLDS = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
"""Tried for ``LinearModel.city_threshold`` (1.0: the head never names a code by itself)."""
CITY_VETOES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
"""Tried for ``LinearModel.city_veto`` (1.0: the head never vetoes a cue-word code)."""
CITY_SYNTH_SEED = 202
"""Seed of the held-out synthetic sentences the city decision is also chosen on (training uses 13, dev 101)."""


def choose_city_decision(taxonomy: Taxonomy, training: Sequence[Example], config: TrainConfig,
                         folds: int = 3) -> tuple[float, float, dict[str, Any]]:
    """The city head's threshold and veto (see ``city_code``), by the mean of two held-out label accuracies
    (部件/事件 code or none): k-fold over the real city-labelled messages (written, long), and held-out synthetic
    sentences (spoken, short; predicted by every fold's model). Ties → the higher threshold and veto. Returns
    (threshold, veto, report)."""
    keyword = KeywordClassifier(taxonomy)
    real = [e for e in training if e.source == CITY_SOURCE]
    rest = [e for e in training if e.source != CITY_SOURCE]
    spoken = synth_examples(taxonomy, per_leaf=2, seed=CITY_SYNTH_SEED)
    held: dict[str, list[tuple[Example, dict[str, float]]]] = {"real": [], "synthetic": []}
    order = np.random.default_rng(0).permutation(len(real))
    for k in range(folds):
        test = set(order[k::folds].tolist())
        train = rest + [e for i, e in enumerate(real) if i not in test]
        vectorizer = make_vectorizer(config, config.blocks[: config.city_blocks]).fit([e.text for e in train])
        head = fit_leaf_head(vectorizer, train, config, c=config.city_c)
        model = LinearModel.from_sklearn(vectorizer, _NoDomainHead(), city_head=head)
        held["real"] += [(real[i], model.city_proba(real[i].text)) for i in sorted(test)]
        held["synthetic"] += [(e, model.city_proba(e.text)) for e in spoken]
    cue = {id(e): cue_city_code(taxonomy, keyword.scores(e.text)[0], e.domain) if e.domain else None
           for rows in held.values() for e, _ in rows}

    def accuracy(rows: list[tuple[Example, dict[str, float]]], threshold: float, veto: float) -> float:
        gold = [NOT_CITY if e.code == NOT_CITY or taxonomy[e.code].kind == "服务" else e.code for e, _ in rows]
        pred = [city_code(taxonomy, p, e.domain, threshold, veto, cue[id(e)]) or NOT_CITY for e, p in rows]
        return float(np.mean([g == q for g, q in zip(gold, pred)]))

    grid = {(t, v): {name: accuracy(rows, t, v) for name, rows in held.items()}
            for t in CITY_THRESHOLDS for v in CITY_VETOES}
    threshold, veto = max(grid, key=lambda tv: (np.mean(list(grid[tv].values())), tv))
    report = {"n": len(held["real"]), "folds": folds, "n_synthetic": len(spoken), "threshold": threshold,
              "veto": veto, **{f"accuracy_{name}": round(a, 4) for name, a in grid[threshold, veto].items()},
              "cue_words_only": {name: round(a, 4) for name, a in grid[1.0, 1.0].items()}}
    return threshold, veto, report


class _NoDomainHead:
    """Stands in for the domain classifier when only the city head's probabilities are needed."""

    coef_ = np.zeros((1, 0), dtype=np.float32)
    intercept_ = np.zeros(1, dtype=np.float32)
    classes_ = np.asarray(["-"])


def build_examples(taxonomy: Taxonomy, config: TrainConfig, corrections: Sequence[Example] = ()) -> tuple[
    list[Example], dict[str, int]
]:
    """Synthetic + weakly labelled real + hand-labelled real examples (dev messages excluded) + corrections."""
    synth = synth_examples(taxonomy, per_leaf=config.synth_per_leaf)
    noise = AsrNoise("".join(e.text for e in synth))
    examples = list(synth)
    for _ in range(config.noisy_copies):
        examples += [Example(noise(e.text), e.code, e.domain, "synth-asr") for e in synth]
    stats = {"synth": len(synth), "synth-asr": len(examples) - len(synth), "corrections": len(corrections)}
    if config.use_tipdm and tipdm_available():
        dev_ids = set(hand_labels())
        train_hand = hand_labels(TRAIN_HAND_LABELS)
        labeller = WeakLabeller(KeywordClassifier(taxonomy))
        keyword = labeller.keyword
        stats.update({"tipdm-weak": 0, "tipdm-hand": 0, "tipdm-unlabelled": 0})
        for message in read_messages():
            if message.id in dev_ids:
                continue
            text = message_text(message)
            if message.id in train_hand:
                domain = train_hand[message.id]
                examples.append(Example(text, _leaf_in(keyword, text, domain), domain, "tipdm-hand"))
                stats["tipdm-hand"] += 1
                continue
            label = labeller.label(message)
            if label.domain is None:
                stats["tipdm-unlabelled"] += 1
                continue
            code = label.leaf or taxonomy.default_leaf(label.domain).code
            examples.append(Example(text, code, label.domain, "tipdm-weak"))
            stats["tipdm-weak"] += 1
    examples += list(corrections)
    return examples, stats


def _leaf_in(keyword: KeywordClassifier, text: str, domain: str) -> str:
    scores, _ = keyword.scores(text)
    in_domain = [(s, c) for c, s in scores.items() if keyword.taxonomy[c].domain == domain]
    return max(in_domain)[1] if in_domain else keyword.taxonomy.default_leaf(domain).code


# --- calibration ------------------------------------------------------------------------------------------------
def heldout_predictions(examples: list[Example], config: TrainConfig) -> tuple[list[Example], np.ndarray, list[str]]:
    """k-fold over the calibration pool: model probabilities for each, from a model that never saw it.

    The pool is the hand-labelled real messages; without enough of them (no ../shared) the synthetic sentences, so
    that an SVM's margins still get a temperature (their ASR-noised copies stay in training: a slightly
    overconfident fit, better than none)."""
    folds = config.calibrate_folds
    hand = [i for i, e in enumerate(examples) if e.source == "tipdm-hand"]
    if len(hand) < folds * 10:
        hand = [i for i, e in enumerate(examples) if e.source == "synth"]
    if folds < 2 or len(hand) < folds * 10:
        return [], np.zeros((0, 0)), []
    rng = np.random.default_rng(0)
    order = rng.permutation(hand)
    held: list[Example] = []
    rows: list[np.ndarray] = []
    domains: list[str] = []
    for k in range(folds):
        test = set(order[k::folds].tolist())
        model = fit([e for i, e in enumerate(examples) if i not in test], config)
        domains = domains or model.domains
        if model.domains != domains:  # pragma: no cover - every fold keeps all weakly labelled domains
            raise RuntimeError("fold models disagree on the domain list")
        for i in sorted(test):
            held.append(examples[i])
            rows.append(model.model_proba(examples[i].text))
    return held, np.vstack(rows), domains


def choose_fusion_and_temperature(held: list[Example], proba: np.ndarray, domains: list[str], cues: DomainCues,
                                  keyword: KeywordClassifier) -> tuple[float, float, float, dict[str, Any]]:
    """(fusion weight, cue weight) by 7-domain macro-F1 on held-out predictions (ties → smaller weights), then
    the temperature by least log-loss. Returns (fusion_weight, cue_weight, temperature, report)."""
    from sklearn.metrics import f1_score

    gold = np.array([e.domain for e in held])
    votes = np.array([[cues.votes(e.text).get(d, 0.0) for d in domains] for e in held])
    leaf = [keyword.domain_scores(keyword.scores(e.text)[0]) for e in held]
    cue_scores = np.array([[row.get(d, 0.0) for d in domains] for row in leaf])
    log_p = np.log(proba + 1e-12)
    seven = np.isin(gold, SEVEN)
    table: dict[tuple[float, float], float] = {}
    for weight in FUSION_CANDIDATES:
        for cue_weight in CUE_CANDIDATES:
            pred = np.array(domains)[(log_p + weight * votes + cue_weight * cue_scores).argmax(1)]
            table[(weight, cue_weight)] = float(
                f1_score(gold[seven], pred[seven], labels=SEVEN, average="macro", zero_division=0))
    fusion, cue_weight = max(table, key=lambda w: (round(table[w], 4), -w[0] - w[1]))
    scores = log_p + fusion * votes + cue_weight * cue_scores
    truth = np.array([domains.index(g) if g in domains else -1 for g in gold])
    known = truth >= 0
    temperature, log_loss = fit_temperature(scores[known], truth[known])
    return fusion, cue_weight, temperature, {
        "n": len(held),
        "on": "hand-labelled" if held[0].source == "tipdm-hand" else "synthetic",
        "macro_f1_7_without_fusion": round(table[(0.0, 0.0)], 4),
        "macro_f1_7_chosen": round(table[(fusion, cue_weight)], 4),
        "macro_f1_7_by_weights": {f"{k[0]}/{k[1]}": round(v, 4) for k, v in table.items()},
        "log_loss_at_temperature": round(log_loss, 4),
    }


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """The softmax temperature of least log-loss for rows of ``scores`` (log-probabilities or margins) against the
    true class indices ``truth``, on a log grid from 0.02 to 20 (an SVM needs T < 0.2); returns (T, log-loss)."""

    def nll(t: float) -> float:
        z = scores / t
        z = z - z.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        return float(-logp[np.arange(len(truth)), truth].mean())

    temperature = float(min(np.exp(np.linspace(np.log(0.02), np.log(20), 90)), key=nll))
    return temperature, nll(temperature)


def calibration_mix(labels: Iterable[str], domains: Sequence[str]) -> np.ndarray:
    """Class mix of the calibration pool's domain labels (add-one smoothed): the temperature makes the model's
    probabilities calibrated for this mix, so it is the prior ``nlu.category.mix`` re-weights from."""
    counts = Counter(labels)
    values = np.array([counts.get(d, 0) + 1.0 for d in domains])
    return values / values.sum()


# --- evaluation ---------------------------------------------------------------------------------------------------
def coverage_curve(correct: np.ndarray, confidence: np.ndarray) -> list[dict[str, float]]:
    """Accuracy on the cases kept when abstaining below each threshold."""
    rows = []
    for threshold in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        kept = confidence >= threshold
        rows.append({
            "threshold": threshold,
            "coverage": round(float(kept.mean()), 4) if len(kept) else 0.0,
            "accuracy": round(float(correct[kept].mean()), 4) if kept.any() else float("nan"),
        })
    return rows


PredictDomain = Callable[[list[str]], tuple[list[str], list[float]]]


def evaluate(predict_domain: PredictDomain, texts: list[str], gold: list[str], name: str,
             labels: list[str] | None = None, prior: dict[str, float] | None = None) -> DevReport:
    """Accuracy, macro-F1 (over ``labels``, default the gold labels present) and accuracy vs coverage.

    With ``prior`` every example of class c weighs ``prior[c] / count(c)``: the figures a set with those class
    proportions would give (re-weighting, not new data).
    """
    from sklearn.metrics import accuracy_score, f1_score

    predicted, confidence = predict_domain(texts)
    gold_a, pred_a = np.asarray(gold), np.asarray(predicted)
    labels = labels or sorted(set(gold))
    counts = {c: int((gold_a == c).sum()) for c in labels}
    weights = None
    if prior:
        weights = np.array([prior.get(g, 0.0) / max(counts.get(g, 1), 1) for g in gold_a])
    return DevReport(
        name=name,
        n=len(gold),
        accuracy=round(float(accuracy_score(gold_a, pred_a, sample_weight=weights)), 4),
        macro_f1=round(float(f1_score(gold_a, pred_a, labels=labels, average="macro", zero_division=0,
                                      sample_weight=weights)), 4),
        per_class_n=counts,
        coverage_curve=coverage_curve(gold_a == pred_a, np.asarray(confidence)),
    )


def dev_fingerprint() -> str:
    """Identifies the dev split (hand-label file content + synthetic dev seed): figures compare only within one."""
    content = HAND_LABELS.read_bytes() if HAND_LABELS.exists() else b""
    return hashlib.sha1(content + b"|synth-dev:101").hexdigest()[:12]


def dev_sets(taxonomy: Taxonomy) -> dict[str, tuple[list[str], list[str]]]:
    """The dev splits available here: synthetic (always) and hand-labelled real messages (needs ../shared)."""
    synth = synth_examples(taxonomy, per_leaf=2, seed=101)
    sets = {"synth-dev": ([e.text for e in synth], [e.domain for e in synth])}
    if tipdm_available():
        labels = hand_labels()
        by_id = {m.id: m for m in read_messages() if m.id in labels}
        ids = [i for i in labels if i in by_id]
        sets["tipdm-hand-dev"] = ([message_text(by_id[i]) for i in ids], [labels[i] for i in ids])
    return sets


def evaluate_backend(predict_domain: PredictDomain, taxonomy: Taxonomy,
                     batch_predict_domain: PredictDomain | None = None) -> dict[str, DevReport]:
    """Every dev report: synthetic, real (all domains), real 7 domains, real 7 domains at the reserved prior; with
    ``batch_predict_domain`` (each set classified as one batch, adapted to its class mix) the real ones again,
    suffixed ``+batch-mix``."""
    reports = {}
    runs = [("", predict_domain)] + ([("+batch-mix", batch_predict_domain)] if batch_predict_domain else [])
    for name, (texts, gold) in dev_sets(taxonomy).items():
        for suffix, predict in runs:
            if suffix and name == "synth-dev":
                continue
            reports[name + suffix] = evaluate(predict, texts, gold, name + suffix)
            if name == "tipdm-hand-dev":
                keep = [i for i, g in enumerate(gold) if g in SEVEN]
                texts7, gold7 = [texts[i] for i in keep], [gold[i] for i in keep]
                reports[f"{name}-7{suffix}"] = evaluate(predict, texts7, gold7, f"{name}-7{suffix}", labels=SEVEN)
                reports[f"{name}-7-reserved-prior{suffix}"] = evaluate(
                    predict, texts7, gold7, f"{name}-7-reserved-prior{suffix}", labels=SEVEN, prior=RESERVED_PRIOR)
    return reports


def backend_predict_domain(backend: Any, adapt: bool = False) -> PredictDomain:
    """``predict_domain`` for any ``CategoryBackend`` (top-1 domain and confidence; "无" when it abstains); with
    ``adapt`` the texts are one batch, adapted to its class mix (``nlu.category.mix.predict_batch``)."""

    def predict_domain(texts: list[str]) -> tuple[list[str], list[float]]:
        guesses, _ = predict_batch(backend, texts, top_k=1, adapt=adapt)
        return [g[0].domain if g else "无" for g in guesses], [g[0].confidence if g else 0.0 for g in guesses]

    return predict_domain


# --- promotion --------------------------------------------------------------------------------------------------
PROMOTION_KEY = "tipdm-hand-dev-7"


def is_not_worse(meta: dict[str, Any], target: Path, key: str = PROMOTION_KEY) -> bool:
    """True unless the model already in ``target`` scores better on the dev split ``key`` (else synth-dev)."""
    current = target / META_FILE
    if not current.exists():
        return True
    old_meta = json.loads(current.read_text(encoding="utf-8"))
    if old_meta.get("dev_fingerprint") != meta.get("dev_fingerprint"):
        return True  # the dev split changed: the old figures are not comparable, the new model is measured afresh
    old = old_meta.get("dev", {})
    new = meta.get("dev", {})
    metric = key if key in old and key in new else "synth-dev"
    return old.get(metric, {}).get("macro_f1", -1) <= new.get(metric, {}).get("macro_f1", -1)


def promote_folder(staging: Path, target: Path, key: str = PROMOTION_KEY, force: bool = False) -> bool:
    """Move a finished model folder (files + ``meta.json``) to ``target`` if not worse (or ``force``); writes its
    model card."""
    from nlu.category.training.card import write_card

    meta = json.loads((staging / META_FILE).read_text(encoding="utf-8"))
    if not force and not is_not_worse(meta, target, key):
        shutil.rmtree(staging, ignore_errors=True)
        return False
    write_card(staging, meta)
    staging.chmod(0o755)  # mkdtemp makes it private; a model folder is shared data
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(staging), str(target))
    card = target / "MODEL_CARD.md"
    card.write_text(card.read_text(encoding="utf-8").replace(f"# {staging.name}", f"# {target.name}"), encoding="utf-8")
    return True


def promote(model: LinearModel, meta: dict[str, Any], target: Path, key: str = PROMOTION_KEY,
            cues_path: Path = DOMAIN_CUES_PATH, force: bool = False) -> bool:
    """Write the linear model (and its card) to ``target`` unless the model there scores better on dev ``key``."""
    staging = Path(tempfile.mkdtemp(prefix="category-model-"))
    model.save(staging, meta, cues_path=cues_path)
    return promote_folder(staging, target, key, force=force)


def run_training(taxonomy: Taxonomy, target: Path, corrections: Sequence[Example] = (),
                 config: TrainConfig | None = None, force: bool = False) -> tuple[bool, dict[str, Any]]:
    """Train, calibrate, evaluate and promote if not worse on dev (always with ``force``); returns (promoted, meta)."""
    config = config or TrainConfig()
    cues = cached_domain_cues()
    examples, stats = build_examples(taxonomy, config, corrections)
    held, proba, domains = heldout_predictions(examples, config)
    calibration: dict[str, Any] = {"n": 0}
    fusion, cue_weight, temperature = 0.0, 0.0, 1.0
    if held:
        fusion, cue_weight, temperature, calibration = choose_fusion_and_temperature(
            held, proba, domains, cues, KeywordClassifier(taxonomy))
    synth = [e for e in examples if e.source == "synth"]
    real = real_leaf_examples(taxonomy) if config.use_tipdm else []
    leaves = leaf_examples(taxonomy, synth, corrections, real)
    stats["leaf-head"], stats["leaf-head-real"] = len(leaves), len(real)
    real_city = real_city_examples(taxonomy, domains=hand_labels(TRAIN_HAND_LABELS)) if config.use_tipdm else []
    city = city_examples(taxonomy, synth, real_city)
    stats["city-head"] = len(city)
    stats["city-head-real"] = sum(e.source == CITY_SOURCE for e in city)
    city_threshold, city_veto, city_report = (choose_city_decision(taxonomy, city, config) if city
                                              else (0.5, 1.0, {"n": 0}))
    model = fit(examples, config, leaves, city)
    model.fusion_weight, model.cue_weight, model.temperature = fusion, cue_weight, temperature
    model.city_threshold, model.city_veto = city_threshold, city_veto
    model.domain_prior = calibration_mix((e.domain for e in held), model.domains) if held else None
    classifier = LinearClassifier(taxonomy, model, cues)
    reports = evaluate_backend(backend_predict_domain(classifier), taxonomy,
                               backend_predict_domain(classifier, adapt=True) if can_adapt(classifier) else None)
    meta = {
        "backend": "linear",
        "trained_on": str(date.today()),
        "taxonomy_version": taxonomy.full_version,
        "domain_cues_version": cues.version,
        "config": asdict(config),
        "training_examples": stats,
        "calibration": calibration,
        "city_head": city_report,
        "dev": {name: r.as_dict() for name, r in reports.items()},
        "dev_fingerprint": dev_fingerprint(),
        "rebuild": "hotline train category",
    }
    return promote(model, meta, target, force=force), meta
