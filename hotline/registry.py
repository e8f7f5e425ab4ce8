"""Named, swappable parts of the product, registered with ``catalogue`` (the registry library spaCy uses).

A pipeline component is registered under a name with a *factory*::

    @registry.components.register("category_keyword")
    def make_category_keyword(context: PipelineContext, top_k: int = 3) -> Component: ...

``config/pipeline.yaml`` then lists components by name with their settings. Other packages can add components
through the ``hotline_components`` entry-point group without touching this repository.
"""

from __future__ import annotations

import catalogue

components = catalogue.create("hotline", "components", entry_points=True)
"""Pipeline component factories: ``factory(context, **config) -> Callable[[Case], Case]``."""

category_backends = catalogue.create("hotline", "category_backends", entry_points=True)
"""Case classifiers (issue 3 plugs its trained backends in here)."""

category_views = catalogue.create("hotline", "category_views", entry_points=False)
"""Views of a message the linear category backend counts terms in (``nlu.category.features``)."""
