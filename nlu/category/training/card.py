"""The model card (``MODEL_CARD.md``) of a category model folder, written from its ``meta.json``.

``hotline train category`` writes it with every promoted model and ``hotline eval category --update-card`` rewrites
its figures from a fresh evaluation, so the card never disagrees with the model it sits next to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DESCRIPTIONS = {
    "linear": (
        "Predicts the 一级 domain (15 classes of the unified-12345 taxonomy) of a citizen message with TF-IDF "
        "blocks (`meta.json → blocks`: character 1–3-grams of the whole text, character 1–3-grams of the title, "
        "jieba words; `nlu/category/features.py`) + a class-balanced linear domain head (`config.learner`: `svm` = linear SVM, the default, "
        "chosen by 5-fold CV over every hand label in `bench/category_cv.py`; `logreg` = multinomial logistic "
        "regression), fused with domain cue-word votes (`domain_cues.yaml`), softmax over the margins, "
        "temperature-calibrated. The leaf inside that domain: the 部件/事件 code of the city head (a logistic "
        "regression over the GB/T 30428.2 codes + NONE, trained on real messages labelled with a code or NONE, on the character block only): its "
        "best code in the domain when that reaches `city_threshold`, else the 部件/事件 leaf the cue words name "
        "unless the head gives NONE at least `city_veto`; without a city head, the cue-word leaf), else the best service leaf of the leaf head (a second logistic regression over the 517 "
        "service leaves on all the blocks, pruned to its largest weights; figures: `bench/category_leaf.py`). "
        "Inference is numpy only. "
        "Files: `model.npz` (terms, idf, coefficients, sparse leaf and city heads), `meta.json` (config, data counts, calibration, "
        "dev figures), `domain_cues.yaml` (the cue list the fusion uses)."
    ),
    "transformer": (
        "Fine-tuned BERT-family encoder (from a local checkpoint the user provided) with a classification head "
        "over the 15 domains; the leaf is the best taxonomy cue-word match inside the predicted domain. Files: "
        "the Hugging Face model and tokenizer files, `meta.json`."
    ),
}

SOURCES = {
    "synth": "synthetic hotline sentences (templates in `nlu/category/data/templates.yaml` × leaf cue words × demo landmarks)",
    "synth-asr": "ASR-noised copies of the synthetic sentences (homophones, dropped/doubled characters, spaces)",
    "tipdm-weak": "real messages of 泰迪杯 2020 C 题 附件3/附件4 labelled by domain cue words + the answering department",
    "tipdm-hand": "real messages hand-labelled by this project (`nlu/category/data/train_tipdm_hand_labels.csv`)",
    "tipdm-unlabelled": "real messages the rules left unlabelled (not trained on)",
    "corrections": "agents' corrections",
    "leaf-head": "examples the leaf head learned from: the leaf-labelled messages this project wrote "
                 "(`nlu/category/data/authored/`), the leaf-labelled real messages, the synthetic service-leaf "
                 "sentences and agents' corrections",
    "leaf-head-real": "of those, real messages this project labelled down to the 三级 leaf "
                      "(`nlu/category/data/train_tipdm_leaf_labels.csv`)",
    "city-head": "examples the city head learned from: real messages labelled with a 部件/事件 code or NONE and the "
                 "synthetic 部件/事件 sentences",
    "city-head-real": "of those, real messages (`nlu/category/data/train_tipdm_city_labels.csv`)",
}


def _report_line(name: str, report: dict[str, Any]) -> str:
    per_class = report.get("per_class_n") or {}
    sizes = ", ".join(f"{k} {v}" for k, v in per_class.items()) if per_class else ""
    line = f"  - `{name}` (n={report['n']}): accuracy {report['accuracy']:.4f}, macro-F1 {report['macro_f1']:.4f}"
    return line + (f" — per class: {sizes}" if sizes and name.endswith("-7") else "")


def render_card(meta: dict[str, Any], name: str) -> str:
    """Markdown for the card."""
    backend = meta.get("backend", "linear")
    lines = [f"# {name} — case classifier (`{backend}` backend)", ""]
    lines.append(f"- **What it does**: {DESCRIPTIONS.get(backend, backend)}")
    counts = meta.get("training_examples", {})
    data = "; ".join(f"{n:,} {SOURCES.get(k, k)}" for k, n in counts.items() if n)
    lines.append(
        f"- **Training data** (`{meta.get('rebuild', 'hotline train category')}`, {meta.get('trained_on')}, taxonomy "
        f"{meta.get('taxonomy_version')}): {data}. The 泰迪杯 files (`../shared/data/tipdm2020-c-smart-gov-messages`, "
        "research use) are read at build time; nothing derived from them is committed except this model. The "
        "hand-labelled dev messages (`nlu/category/data/dev_tipdm_hand_labels.csv`) are never trained on."
    )
    calibration = meta.get("calibration") or {}
    if calibration.get("n") and backend == "transformer":
        lines.append(f"- **Calibration**: softmax temperature {meta.get('temperature', 1.0):.3f} fitted on "
                     f"{calibration['n']} held-out hand-labelled training messages.")
    elif calibration.get("n"):
        lines.append(
            f"- **Calibration** ({calibration['n']} {calibration.get('on', 'hand-labelled')} training messages, "
            f"{meta.get('config', {}).get('calibrate_folds', '?')}-fold held-out predictions): domain-cue weight "
            f"{meta.get('fusion_weight')}, leaf-cue weight {meta.get('cue_weight')} (held-out 7-domain macro-F1 "
            f"{calibration.get('macro_f1_7_chosen')}, without fusion {calibration.get('macro_f1_7_without_fusion')}), "
            f"temperature {meta.get('temperature', 1.0):.3f} (log-loss {calibration.get('log_loss_at_temperature')})."
            + (" The class mix of those messages is kept (`domain_prior`): batch adaptation re-weights from it."
               if meta.get("domain_prior") else "")
        )
    city = meta.get("city_head") or {}
    if city.get("n"):
        cue_only = city.get("cue_words_only", {})
        lines.append(
            f"- **City decision**: threshold {city['threshold']}, veto {city['veto']}, chosen on {city['folds']}-fold "
            f"held-out predictions for {city['n']} real city-labelled training messages and {city['n_synthetic']} "
            f"held-out synthetic sentences: label accuracy (部件/事件 code or NONE) {city['accuracy_real']} / "
            f"{city['accuracy_synthetic']}; cue words alone {cue_only.get('real')} / {cue_only.get('synthetic')}. "
            "Dev figures: `bench/category_leaf.py --city`."
        )
    dev = meta.get("dev") or {}
    lines.append(f"- **Figures** (`hotline eval category`, written {meta.get('evaluated_on', meta.get('trained_on'))}):")
    for report_name, report in dev.items():
        lines.append(_report_line(report_name, report))
    main = dev.get("tipdm-hand-dev-7")
    if main:
        curve = ", ".join(
            f"≥{c['threshold']:.1f} → coverage {c['coverage']:.3f} / accuracy {c['accuracy']:.4f}"
            for c in main.get("coverage_curve", []) if c["threshold"] in (0.4, 0.5, 0.6, 0.7, 0.8)
        )
        lines.append(f"  - accuracy vs coverage (real, 7 domains; abstain below the threshold): {curve}")
    lines.append(
        "- **Dev split**: `tipdm-hand-dev` = real messages labelled by this project's engineers: a random sample "
        "plus a sample enriched for 卫生计生/商贸旅游/劳动和社会保障 (see docs/classification.md); `-7` keeps the 7 "
        "domains of the reserved set; `-7-reserved-prior` re-weights those to the reserved set's class sizes; "
        "`+batch-mix`: the set classified as one batch, adapted to its own mix of domains (`nlu/category/mix.py`, "
        "what `hotline predict category` does for a file of ≥ 30 messages)."
    )
    lines.append(
        "- **Limits**: labels are this project's (double-annotated, blind adjudication; the two annotations agreed "
        "on 79 %), not the 12345 staff's; most errors are on the 城乡建设 boundary (环境保护, 交通运输, 政法). The "
        "401-message dev moves about a point per misread message of a small class: compare configurations with "
        "`bench/category_cv.py` (5-fold over all 7,141 hand labels). Speed: see docs/classification.md "
        "(`bench/category.py`)."
    )
    lines.append(f"- **Rebuild**: `{meta.get('rebuild', 'hotline train category')}` (reads `../shared` or "
                 "`$HOTLINE_SHARED_DIR`); it replaces this folder only if not worse on the dev split.")
    return "\n".join(lines) + "\n"


def write_card(folder: Path, meta: dict[str, Any]) -> Path:
    """Write ``folder/MODEL_CARD.md`` from ``meta``; returns its path."""
    path = folder / "MODEL_CARD.md"
    path.write_text(render_card(meta, folder.name), encoding="utf-8")
    return path
