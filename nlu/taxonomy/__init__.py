"""The hotline taxonomy (部件/事件 of GB/T 30428.2-2013 and the unified-12345 service matters) as data.

Usage::

    from nlu.taxonomy import load_taxonomy
    taxonomy = load_taxonomy(extension=city.file("taxonomy_extension"))
    taxonomy.get("BJ0116").name  # 路灯
"""

from nlu.taxonomy.loader import DEFAULT_TAXONOMY_PATH, TaxonomyError, cached_taxonomy, load_taxonomy
from nlu.taxonomy.model import DEPARTMENT_TYPES, KIND_PREFIX, Kind, Leaf, Taxonomy

__all__ = [
    "DEFAULT_TAXONOMY_PATH",
    "DEPARTMENT_TYPES",
    "KIND_PREFIX",
    "Kind",
    "Leaf",
    "Taxonomy",
    "TaxonomyError",
    "cached_taxonomy",
    "load_taxonomy",
]
