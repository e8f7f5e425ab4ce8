"""The ``transformer`` backend: a BERT-family encoder fine-tuned over the 15 domains (see
``nlu.category.training.train_transformer``), leaf chosen inside the predicted domain by the taxonomy's cue words.

Everything is loaded from a LOCAL folder (``local_files_only=True``: no hub access). ``torch`` and
``transformers`` are an optional install (``pip install '.[transformers]'``); they are imported when a model is
loaded, so the registry always lists the backend and a missing install gives a clear error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from hotline.case import CategoryGuess
from hotline.registry import category_backends
from nlu.category.backends.keyword import KeywordClassifier
from nlu.category.domain_cues import cached_domain_cues
from nlu.category.guess import guess_from_leaf, leaf_in_domain
from nlu.taxonomy import Taxonomy

META_FILE = "meta.json"
MISSING = (
    "the transformer backend needs torch and transformers: pip install 'torch==2.13.0' 'transformers>=4.40' "
    "(or the project's [transformers] extra)"
)


def require_torch() -> tuple[Any, Any]:
    """``(torch, transformers)`` or ImportError with the install line."""
    try:
        import torch
        import transformers
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(MISSING) from exc
    return torch, transformers


class TransformerClassifier:
    """Domain by the fine-tuned encoder (temperature-scaled softmax), leaf by cue words within that domain."""

    name = "transformer"

    def __init__(self, taxonomy: Taxonomy, model_dir: Path, max_length: int | None = None, threads: int | None = None):
        if not (model_dir / "config.json").exists():
            raise FileNotFoundError(f"not a model folder (no config.json): {model_dir}")
        torch, transformers = require_torch()
        self.torch = torch
        if threads:
            torch.set_num_threads(threads)
        meta_path = model_dir / META_FILE
        self.meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        self.model = transformers.AutoModelForSequenceClassification.from_pretrained(
            str(model_dir), local_files_only=True
        )
        self.model.eval()
        id2label = self.model.config.id2label
        self.domains = [str(id2label[i]) for i in range(len(id2label))]
        unknown = [d for d in self.domains if d not in taxonomy.domains]
        if unknown:
            raise ValueError(f"model labels are not taxonomy domains: {unknown}")
        self.max_length = int(max_length or self.meta.get("max_length", 256))
        self.temperature = float(self.meta.get("temperature", 1.0))
        self.taxonomy = taxonomy
        self.keyword = KeywordClassifier(taxonomy)
        self.cues = cached_domain_cues()

    def domain_proba(self, texts: list[str]) -> np.ndarray:
        """Calibrated probabilities over ``self.domains`` for a batch of prepared texts."""
        batch = self.tokenizer(texts, truncation=True, max_length=self.max_length, padding=True, return_tensors="pt")
        with self.torch.inference_mode():
            logits = self.model(**batch).logits / self.temperature
        return self.torch.softmax(logits, dim=-1).cpu().numpy()

    def predict(self, text: str, top_k: int = 3) -> list[CategoryGuess]:
        if not text.strip():
            return []
        proba = self.domain_proba([text])[0]
        scores, cue_reasons = self.keyword.scores(text)
        guesses = []
        for index in np.argsort(-proba)[:top_k]:
            domain = self.domains[int(index)]
            leaf = leaf_in_domain(self.taxonomy, scores, domain)
            reasons = cue_reasons.get(leaf.code, [])[:5] or self.cues.matched(text, domain)
            guesses.append(guess_from_leaf(leaf, float(proba[index]), reasons))
        return guesses


@category_backends.register("transformer")
def make_transformer(taxonomy: Taxonomy, model_dir: Path | str, max_length: int | None = None,
                     threads: int | None = None, **_: object) -> TransformerClassifier:
    """Load a fine-tuned model folder (Hugging Face files + ``meta.json``)."""
    return TransformerClassifier(taxonomy, Path(model_dir), max_length=max_length, threads=threads)
