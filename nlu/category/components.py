"""Pipeline components for case classification (imported by ``nlu.components`` to register them).

- ``category_keyword``: cue-word matching against the taxonomy (no model file needed).
- ``category_model``: a trained backend from ``models/`` (``linear`` by default, or ``transformer``), falling back to
  cue words (with a logged warning and ``case.notes["category_backend"] == "keyword"``) when the model directory is
  missing.

Both fill ``case.category`` / ``case.category_candidates`` and call ``case.needs_review`` (Chinese reason) when the
text is unusable, nothing matched, or the top confidence is below ``review_below``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from hotline.case import Case, CategoryGuess
from hotline.pipeline import PipelineContext
from hotline.registry import components
from nlu.category.backend import CategoryBackend, make_backend
from nlu.category.guess import apply_guesses, guess_from_leaf
from nlu.category.mix import RollingMix, can_adapt
from nlu.category.text import DEFAULT_MAX_CHARS, prepare
from nlu.taxonomy import Taxonomy, load_taxonomy

DEFAULT_MODEL_NAME = "category-linear"
logger = logging.getLogger(__name__)


def context_taxonomy(context: PipelineContext) -> Taxonomy:
    """The taxonomy with the city's extension file, loaded once per pipeline."""
    return context.shared("taxonomy", lambda: load_taxonomy(context.city.file("taxonomy_extension")))


def make_classifier_step(
    backend: CategoryBackend,
    top_k: int,
    review_below: float,
    max_chars: int,
    raise_urgency: bool,
    taxonomy: Taxonomy | None = None,
    rolling: RollingMix | None = None,
) -> Callable[[Case], Case]:
    """The ``Case -> Case`` step shared by all category components. A category the channel already chose
    (``case.category_hint``, e.g. an Open311 ``service_code``) is taken as given when the taxonomy knows it. With
    ``rolling``, each message is classified for the mix of domains the recent messages hold (``RollingMix``)."""

    def classify(text: str) -> list[CategoryGuess]:
        if rolling is None:
            return backend.predict(text, top_k=top_k)
        return backend.predict(text, top_k=top_k, mix=rolling.observe)  # type: ignore[call-arg]

    def step(case: Case) -> Case:
        leaf = taxonomy.get(case.category_hint) if taxonomy is not None and case.category_hint else None
        if leaf is not None:
            case.notes["category_backend"] = "hint"
            chosen = guess_from_leaf(leaf, 1.0, ["市民或渠道已选定类别"])
            return apply_guesses(case, [chosen], review_below, usable=True, raise_urgency=raise_urgency)
        prepared = prepare(case.analysis_text, case.title, max_chars=max_chars)
        guesses = classify(prepared.text) if prepared.usable else []
        case.notes["category_backend"] = backend.name
        return apply_guesses(
            case,
            guesses,
            review_below,
            usable=prepared.usable,
            truncated_at=max_chars if prepared.truncated else None,
            raise_urgency=raise_urgency,
        )

    return step


@components.register("category_keyword")
def make_category_keyword(
    context: PipelineContext,
    top_k: int = 3,
    review_below: float = 0.5,
    max_chars: int = DEFAULT_MAX_CHARS,
    raise_urgency: bool = True,
) -> Callable[[Case], Case]:
    """Classify by taxonomy cue words."""
    taxonomy = context_taxonomy(context)
    backend = context.shared("category_backend:keyword", lambda: make_backend("keyword", taxonomy))
    return make_classifier_step(backend, top_k, review_below, max_chars, raise_urgency, taxonomy)


@components.register("category_model")
def make_category_model(
    context: PipelineContext,
    backend: str = "linear",
    model_dir: str | None = None,
    top_k: int = 3,
    review_below: float = 0.5,
    max_chars: int = DEFAULT_MAX_CHARS,
    raise_urgency: bool = True,
    adapt_window: int = 0,
) -> Callable[[Case], Case]:
    """Classify with a trained backend; ``model_dir`` is relative to ``settings.models_dir`` unless absolute.
    ``adapt_window`` > 0: adapt to the mix of domains of the last that many messages (``RollingMix``; backends
    without a calibration mix, and the cue-word fallback, are not adapted)."""
    taxonomy = context_taxonomy(context)
    folder = Path(model_dir) if model_dir else Path(DEFAULT_MODEL_NAME if backend == "linear" else f"category-{backend}")
    if not folder.is_absolute():
        folder = context.settings.models_dir / folder
    if not folder.exists():
        logger.warning("category model folder %s is missing: falling back to cue words", folder)
        chosen = context.shared("category_backend:keyword", lambda: make_backend("keyword", taxonomy))
    else:
        chosen = context.shared(
            f"category_backend:{backend}:{folder}", lambda: make_backend(backend, taxonomy, model_dir=folder)
        )
    rolling = None
    if adapt_window > 0 and can_adapt(chosen):
        rolling = RollingMix(chosen.domain_prior, window=adapt_window)  # type: ignore[attr-defined]
    elif adapt_window > 0:
        logger.warning("category backend %s has no calibration mix: adapt_window is ignored", chosen.name)
    return make_classifier_step(chosen, top_k, review_below, max_chars, raise_urgency, taxonomy, rolling)
