"""Fine-tune a BERT-family checkpoint from a LOCAL folder into the ``transformer`` backend.

Same data as the linear backend (``build_examples``: synthetic, weakly labelled and hand-labelled real messages,
agents' corrections; the dev split is never trained on), same 15-domain label space, example weights as a weighted
cross-entropy. A plain PyTorch loop (AdamW, linear warm-up/decay, gradient clipping) keeps the dependencies to torch
and transformers. A slice of the hand-labelled messages is held out to fit the softmax temperature; then the model is
evaluated on the dev splits and promoted only if not worse (``promote_folder``), with its model card.

No hub access anywhere: ``from_pretrained(..., local_files_only=True)``.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from nlu.category.backends.transformer import (
    META_FILE,
    TransformerClassifier,
    require_torch,
)
from nlu.category.training.synth import Example
from nlu.category.training.train import (
    TrainConfig,
    backend_predict_domain,
    build_examples,
    dev_fingerprint,
    evaluate_backend,
    example_weight,
    promote_folder,
)
from nlu.taxonomy import Taxonomy


@dataclass
class TransformerTrainConfig:
    epochs: float = 2.0
    batch_size: int = 16
    learning_rate: float = 3e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_length: int = 256
    calibration_share: float = 0.2
    """Share of the hand-labelled messages held out to fit the temperature (not trained on)."""
    max_steps: int | None = None
    """Stop after this many optimiser steps (tests, quick runs)."""
    seed: int = 13
    threads: int | None = None


def fine_tune(base_model: Path, examples: Sequence[Example], domains: list[str], config: TransformerTrainConfig,
              data_config: TrainConfig, out_dir: Path) -> dict[str, Any]:
    """Train and save model + tokenizer to ``out_dir``; returns training statistics."""
    torch, transformers = require_torch()
    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    label2id = {d: i for i, d in enumerate(domains)}
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(base_model), local_files_only=True)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        str(base_model), num_labels=len(domains), id2label=dict(enumerate(domains)), label2id=label2id,
        local_files_only=True,
    )
    model.train()
    rows = [(e.text, label2id[e.domain], example_weight(e, data_config)) for e in examples if e.domain in label2id]
    rng = random.Random(config.seed)
    steps_per_epoch = math.ceil(len(rows) / config.batch_size)
    total = max(1, int(steps_per_epoch * config.epochs))
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    decay = [p for n, p in model.named_parameters() if not any(k in n for k in ("bias", "LayerNorm", "norm"))]
    no_decay = [p for n, p in model.named_parameters() if any(k in n for k in ("bias", "LayerNorm", "norm"))]
    optimiser = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.learning_rate,
    )
    warmup = max(1, int(total * config.warmup_ratio))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))
    )
    step, losses, start = 0, [], time.perf_counter()
    while step < total:
        rng.shuffle(rows)
        for i in range(0, len(rows), config.batch_size):
            chunk = rows[i : i + config.batch_size]
            batch = tokenizer([r[0] for r in chunk], truncation=True, max_length=config.max_length, padding=True,
                              return_tensors="pt")
            logits = model(**batch).logits
            labels = torch.tensor([r[1] for r in chunk])
            weights = torch.tensor([r[2] for r in chunk], dtype=logits.dtype)
            loss = (torch.nn.functional.cross_entropy(logits, labels, reduction="none") * weights).sum() / weights.sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            losses.append(float(loss.detach()))
            step += 1
            if step >= total:
                break
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    return {"steps": step, "examples": len(rows), "seconds": round(time.perf_counter() - start, 1),
            "first_loss": round(losses[0], 4), "last_loss": round(float(np.mean(losses[-10:])), 4)}


def fit_temperature(classifier: TransformerClassifier, held: Sequence[Example]) -> float:
    """Softmax temperature with the least log-loss on held-out examples (1.0 when there are none)."""
    if not held:
        return 1.0
    classifier.temperature = 1.0
    proba = np.vstack([classifier.domain_proba([e.text])[0] for e in held])
    logits = np.log(proba + 1e-12)
    truth = np.array([classifier.domains.index(e.domain) for e in held])

    def nll(t: float) -> float:
        z = logits / t
        z = z - z.max(1, keepdims=True)
        return float(-(z - np.log(np.exp(z).sum(1, keepdims=True)))[np.arange(len(truth)), truth].mean())

    return float(min(np.exp(np.linspace(np.log(0.2), np.log(20), 60)), key=nll))


def run_transformer_training(taxonomy: Taxonomy, target: Path, base_model: Path, corrections: Sequence[Example] = (),
                             config: TransformerTrainConfig | None = None,
                             data_config: TrainConfig | None = None, force: bool = False) -> tuple[bool, dict[str, Any]]:
    """Fine-tune, calibrate, evaluate and (maybe) promote; returns (promoted, meta)."""
    config = config or TransformerTrainConfig()
    data_config = data_config or TrainConfig()
    examples, stats = build_examples(taxonomy, data_config, corrections)
    hand = [e for e in examples if e.source == "tipdm-hand"]
    random.Random(config.seed).shuffle(hand)
    held = hand[: int(len(hand) * config.calibration_share)]
    held_ids = {id(e) for e in held}
    train_rows = [e for e in examples if id(e) not in held_ids]
    staging = Path(tempfile.mkdtemp(prefix="category-model-"))
    training = fine_tune(base_model, train_rows, list(taxonomy.domains), config, data_config, staging)
    meta: dict[str, Any] = {"backend": "transformer", "max_length": config.max_length, "temperature": 1.0}
    (staging / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    classifier = TransformerClassifier(taxonomy, staging, threads=config.threads)
    temperature = fit_temperature(classifier, held)
    classifier.temperature = temperature
    reports = evaluate_backend(backend_predict_domain(classifier), taxonomy)
    meta.update({
        "temperature": temperature,
        "base_model": str(base_model),
        "trained_on": str(date.today()),
        "taxonomy_version": taxonomy.full_version,
        "config": {**asdict(config), "data": asdict(data_config)},
        "training_examples": {**stats, "held-out-for-calibration": len(held)},
        "training": training,
        "calibration": {"n": len(held)},
        "dev": {name: r.as_dict() for name, r in reports.items()},
        "dev_fingerprint": dev_fingerprint(),
        "rebuild": f"hotline train category --backend transformer --base-model {base_model}",
    })
    (staging / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return promote_folder(staging, target, force=force), meta
