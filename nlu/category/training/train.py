"""Build the training set, fit the linear backend, measure it on the dev splits, and promote it if not worse.

Data (see docs/classification.md): synthetic hotline sentences per leaf (+ ASR-noised copies), the real 泰迪杯
messages of 附件3/附件4 weakly labelled by ``WeakLabeller`` plus one round of self-training, and agents' corrections.
Dev splits: the hand-labelled real messages in ``data/dev_tipdm_hand_labels.csv`` (never trained on) and a
synthetic split generated with another seed.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from nlu.category.backends.keyword import KeywordClassifier
from nlu.category.backends.linear import META_FILE, LinearModel
from nlu.category.text import prepare
from nlu.category.training.corpus import Message, read_messages, tipdm_available
from nlu.category.training.synth import AsrNoise, Example, synth_examples
from nlu.category.training.weak import WeakLabeller
from nlu.taxonomy import Taxonomy

HAND_LABELS = Path(__file__).resolve().parents[1] / "data" / "dev_tipdm_hand_labels.csv"
SEVEN = ["城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生"]
SELF_TRAIN_MIN_PROBA = 0.6
MESSAGE_CHARS = 600


@dataclass
class TrainConfig:
    synth_per_leaf: int = 6
    noisy_copies: int = 1
    max_features: int = 120_000
    c: float = 8.0
    self_train: bool = True
    use_tipdm: bool = True


@dataclass
class DevReport:
    name: str
    n: int
    accuracy: float
    macro_f1: float
    coverage_curve: list[dict[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def message_text(message: Message) -> str:
    return prepare(message.text[:MESSAGE_CHARS], message.title).text


def hand_labels(path: Path = HAND_LABELS) -> dict[str, str]:
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


def fit(examples: Sequence[Example], config: TrainConfig) -> LinearModel:
    vectorizer = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), min_df=2, max_features=config.max_features, sublinear_tf=True,
        dtype=np.float32,
    )
    X = vectorizer.fit_transform([e.text for e in examples])
    classifier = LogisticRegression(C=config.c, max_iter=120, tol=1e-3, class_weight="balanced")
    classifier.fit(X, [e.domain for e in examples])
    return LinearModel(vectorizer, classifier)


def build_examples(taxonomy: Taxonomy, config: TrainConfig, corrections: Sequence[Example] = ()) -> tuple[
    list[Example], list[Message], dict[str, int]
]:
    """Synthetic + weakly labelled real examples (hand-labelled dev messages excluded) and the unlabelled rest."""
    synth = synth_examples(taxonomy, per_leaf=config.synth_per_leaf)
    noise = AsrNoise("".join(e.text for e in synth))
    examples = list(synth)
    for _ in range(config.noisy_copies):
        examples += [Example(noise(e.text), e.code, e.domain, "synth-asr") for e in synth]
    stats = {"synth": len(synth), "synth-asr": len(examples) - len(synth), "corrections": len(corrections)}
    unlabelled: list[Message] = []
    if config.use_tipdm and tipdm_available():
        dev_ids = set(hand_labels())
        labeller = WeakLabeller(KeywordClassifier(taxonomy))
        weak = 0
        for message in read_messages():
            if message.id in dev_ids:
                continue
            label = labeller.label(message)
            if label.domain is None:
                unlabelled.append(message)
                continue
            code = label.leaf or taxonomy.default_leaf(label.domain).code
            examples.append(Example(message_text(message), code, label.domain, "tipdm-weak"))
            weak += 1
        stats["tipdm-weak"] = weak
    examples += list(corrections)
    return examples, unlabelled, stats


def train(taxonomy: Taxonomy, config: TrainConfig, corrections: Sequence[Example] = ()) -> tuple[
    LinearModel, dict[str, int]
]:
    """Fit; then, if enabled, add confidently self-labelled real messages and fit again."""
    examples, unlabelled, stats = build_examples(taxonomy, config, corrections)
    model = fit(examples, config)
    if config.self_train and unlabelled:
        texts = [message_text(m) for m in unlabelled]
        proba = model.proba(texts)
        extra = [
            Example(text, taxonomy.default_leaf(model.domains[i]).code, model.domains[i], "tipdm-self")
            for text, row in zip(texts, proba)
            if row[(i := int(row.argmax()))] >= SELF_TRAIN_MIN_PROBA
        ]
        stats["tipdm-self"] = len(extra)
        model = fit(examples + extra, config)
    return model, stats


def coverage_curve(correct: np.ndarray, confidence: np.ndarray) -> list[dict[str, float]]:
    """Accuracy on the cases kept when abstaining below each threshold."""
    rows = []
    for threshold in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        kept = confidence >= threshold
        rows.append({
            "threshold": threshold,
            "coverage": round(float(kept.mean()), 4),
            "accuracy": round(float(correct[kept].mean()), 4) if kept.any() else float("nan"),
        })
    return rows


def evaluate(predict_domain, texts: list[str], gold: list[str], name: str, labels: list[str] | None = None) -> DevReport:
    """Accuracy, macro-F1 (over ``labels``, default the gold labels present) and accuracy vs coverage."""
    predicted, confidence = predict_domain(texts)
    gold_a, pred_a = np.asarray(gold), np.asarray(predicted)
    labels = labels or sorted(set(gold))
    return DevReport(
        name=name,
        n=len(gold),
        accuracy=round(float(accuracy_score(gold_a, pred_a)), 4),
        macro_f1=round(float(f1_score(gold_a, pred_a, labels=labels, average="macro", zero_division=0)), 4),
        coverage_curve=coverage_curve(gold_a == pred_a, np.asarray(confidence)),
    )


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


def evaluate_model(model: LinearModel, taxonomy: Taxonomy) -> dict[str, DevReport]:
    def predict_domain(texts: list[str]) -> tuple[list[str], list[float]]:
        proba = model.proba(texts)
        return [model.domains[i] for i in proba.argmax(1)], proba.max(1).tolist()

    reports = {}
    for name, (texts, gold) in dev_sets(taxonomy).items():
        reports[name] = evaluate(predict_domain, texts, gold, name)
        if name == "tipdm-hand-dev":
            keep = [i for i, g in enumerate(gold) if g in SEVEN]
            reports[name + "-7"] = evaluate(
                predict_domain, [texts[i] for i in keep], [gold[i] for i in keep], name + "-7", labels=SEVEN
            )
    return reports


def promote(model: LinearModel, meta: dict[str, Any], target: Path, key: str = "tipdm-hand-dev-7") -> bool:
    """Write the model to ``target`` unless the model there scores better on the dev split ``key``."""
    current = target / META_FILE
    if current.exists():
        old = json.loads(current.read_text(encoding="utf-8")).get("dev", {})
        new = meta.get("dev", {})
        metric = key if key in old and key in new else "synth-dev"
        if old.get(metric, {}).get("macro_f1", -1) > new.get(metric, {}).get("macro_f1", -1):
            return False
    staging = Path(tempfile.mkdtemp(prefix="category-model-"))
    model.save(staging, meta)
    card = target / "MODEL_CARD.md"
    keep_card = card.read_text(encoding="utf-8") if card.exists() else None
    if target.exists():
        shutil.rmtree(target)
    shutil.move(str(staging), str(target))
    if keep_card is not None:
        card.write_text(keep_card, encoding="utf-8")
    return True


def run_training(taxonomy: Taxonomy, target: Path, corrections: Sequence[Example] = (),
                 config: TrainConfig | None = None) -> tuple[bool, dict[str, Any]]:
    """Train, evaluate and (maybe) promote; returns (promoted, meta)."""
    config = config or TrainConfig()
    model, stats = train(taxonomy, config, corrections)
    reports = evaluate_model(model, taxonomy)
    meta = {
        "backend": "linear",
        "trained_on": str(date.today()),
        "taxonomy_version": taxonomy.full_version,
        "config": config.__dict__,
        "training_examples": stats,
        "domains": model.domains,
        "dev": {name: r.as_dict() for name, r in reports.items()},
    }
    return promote(model, meta, target), meta
