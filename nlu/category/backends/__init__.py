"""The shipped classifier backends; importing this package registers them in ``category_backends``.

``transformer`` is always registered; it imports torch/transformers (an optional install) only when a model is loaded.
"""

from nlu.category.backends import keyword, linear, transformer  # noqa: F401
