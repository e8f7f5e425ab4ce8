"""One interface for every category classifier, and the registry that names them.

A backend turns prepared text into ranked guesses. Backends are registered by name in
``hotline.registry.category_backends`` (``keyword``, ``linear``, ``transformer``) with a factory
``factory(taxonomy, **config) -> CategoryBackend``; the ``category_model`` component picks one from configuration.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from hotline.case import CategoryGuess
from hotline.registry import category_backends
from nlu.taxonomy import Taxonomy


@runtime_checkable
class CategoryBackend(Protocol):
    """Ranks taxonomy leaves for a text."""

    name: str
    taxonomy: Taxonomy

    def predict(self, text: str, top_k: int = 3) -> list[CategoryGuess]:
        """Top-k guesses for already prepared text (see ``nlu.category.text.prepare``); [] when it has no idea."""
        ...


def make_backend(name: str, taxonomy: Taxonomy, **config: object) -> CategoryBackend:
    """Build the backend registered under ``name`` (importing the shipped ones first)."""
    import nlu.category.backends  # noqa: F401  (registers keyword / linear / transformer)

    return category_backends.get(name)(taxonomy, **config)
