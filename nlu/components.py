"""Imports the modules that register the nlu pipeline components (see ``hotline.pipeline.COMPONENT_MODULES``)."""

import nlu.category.components  # noqa: F401  category_keyword, category_model
import nlu.location.components  # noqa: F401  location_gazetteer
import nlu.normalize  # noqa: F401  normalize_text
